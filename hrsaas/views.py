"""Error pages: clean answers, never a stack trace; a database outage is a 503 that clears
itself (Django's connection health checks reconnect on the next request)."""
from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _


def _wants_json(request) -> bool:
    return "/api/" in request.path


def _json(message: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})


def _page(status: int, message: str) -> HttpResponse:
    return HttpResponse(
        f'<!doctype html><html lang="zh-hans"><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{status}</title><body style=\"font-family:sans-serif;padding:2rem\"><h1>{message}</h1>"
        f'<p><a href="/">hrsaas</a></p></body></html>',
        status=status, content_type="text/html; charset=utf-8",
    )


def server_error(request):
    exc = sys.exc_info()[1]
    if isinstance(exc, (OperationalError, InterfaceError)):
        try:
            connection.close()  # a broken connection is not reused
        except Exception:  # noqa: BLE001 - it is already broken
            pass
        message = _("数据库暂时不可用,请稍后重试。")
        response = _json(message, 503) if _wants_json(request) else _page(503, message)
        response["Retry-After"] = "5"
        return response
    message = _("服务器内部错误,我们已记录,请稍后重试。")
    return _json(message, 500) if _wants_json(request) else _page(500, message)


def not_found(request, exception=None):
    message = _("页面不存在,或您无权访问。")
    return _json(message, 404) if _wants_json(request) else _page(404, message)


class ChineseFirstMiddleware:
    """The product speaks Chinese unless a person picks English with the language switch (its
    cookie): a browser's Accept-Language alone does not change the language. Runs before
    Django's LocaleMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
