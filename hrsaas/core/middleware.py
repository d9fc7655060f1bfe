"""Requests carrying a NUL byte are refused with 400 before anything reads them.

PostgreSQL text cannot hold NUL (psycopg raises), so a NUL in a path, a query string or a form
field once gave a 500 on ~15 routes, two of them before login (and one in the session cookie on
every route). No legitimate input holds one.
Form fields (urlencoded or multipart; uploaded files are not looked into) are checked here;
JSON bodies are parsed by DRF and their text goes through the core's field parsers, which refuse
NUL with a field message.
"""
from __future__ import annotations

from urllib.parse import unquote_to_bytes

from django.http import HttpResponseBadRequest, JsonResponse

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
MESSAGE = "请求中含有不允许的控制字符(NUL)。"
MAX_FORM_SCANNED = 1024 * 1024


def _length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return MAX_FORM_SCANNED + 1


def _has_nul(raw: bytes | str) -> bool:
    data = raw.encode("latin-1", "replace") if isinstance(raw, str) else raw
    return b"\x00" in data or b"\x00" in unquote_to_bytes(data.replace(b"+", b" "))


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._carries_nul(request):
            if "/api/" in request.path_info.replace("\x00", ""):
                return JsonResponse({"detail": MESSAGE}, status=400, json_dumps_params={"ensure_ascii": False})
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _carries_nul(request) -> bool:
        if "\x00" in request.path_info or "\x00" in request.path:
            return True
        if _has_nul(request.META.get("QUERY_STRING", "")):
            return True
        # A cookie too: the session cookie is looked up in PostgreSQL before any view runs.
        if any("\x00" in k or "\x00" in v for k, v in request.COOKIES.items()) or \
                "\x00" in request.META.get("HTTP_AUTHORIZATION", ""):
            return True
        if request.method == "POST" and request.content_type in FORM_TYPES and _length(request) <= MAX_FORM_SCANNED:
            # The form's text fields only; the views read the same parsed form afterwards (DRF
            # too). Larger bodies are uploads: left to the bounded upload readers, untouched
            # here (the core's text parsers refuse NUL in their fields as well).
            for key, values in request.POST.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    return True
        return False


# A JSON body larger than this is refused before anything reads it. DRF parses the request's
# stream itself, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE never applied: a 12 MB body was read
# and parsed before a field said it was too long. No endpoint takes more than a few kilobytes
# of JSON; files go up as multipart, bounded by the upload readers.
MAX_JSON_BODY = 1024 * 1024
JSON_TOO_LARGE = "请求体过大(JSON 最多 1 MB)。"


class PrivateResponsesMiddleware:
    """What a signed-in person is shown is theirs: no browser or proxy keeps a copy of it (a
    statement, a pay file, a client's list), unless the view said otherwise; and an oversized
    JSON body is refused before it is read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.content_type == "application/json" and _length(request) > MAX_JSON_BODY:
            return JsonResponse({"detail": JSON_TOO_LARGE}, status=413, json_dumps_params={"ensure_ascii": False})
        response = self.get_response(request)
        signed_in = getattr(getattr(request, "user", None), "is_authenticated", False) or \
            request.META.get("HTTP_AUTHORIZATION", "").startswith("Token ")
        if signed_in and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-store"
        return response
