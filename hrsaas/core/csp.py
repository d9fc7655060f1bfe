"""Content-Security-Policy on every response: scripts only from our own static files (no inline
script, no on* attribute, no eval), nothing framed, no connection elsewhere.

Styles keep 'unsafe-inline': several pages still carry a <style> block and Chart.js/Swagger UI
set style attributes; a style cannot run code, so this is the accepted trade-off until those are
moved to CSS files. `tests/platform/test_csp.py` checks the header and that no template has an
inline script or an on* handler."""
from __future__ import annotations

POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = POLICY
        return response
