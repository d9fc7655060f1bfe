"""Error pages: clean answers, never a stack trace; a database outage is a 503 that clears
itself (Django's connection health checks reconnect on the next request)."""
from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.templatetags.static import static
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _


def _wants_json(request) -> bool:
    # The API docs page lives under /api/ but is a page people open in a browser.
    return "/api/" in request.path and not request.path.endswith("/api/v1/docs/")


def _json(message: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})


def _page(status: int, message: str) -> HttpResponse:
    # Built by hand, not from templates/base.html: an error page must render even when the
    # database (and so the navigation's context) is what failed.
    language = get_language() or "zh-hans"
    return HttpResponse(
        f'<!doctype html><html lang="{escape(language)}"><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="stylesheet" href="{escape(static("css/app.css"))}">'
        f"<title>{status} · hrsaas</title><body><main class=\"container error-page\"><h1>{escape(message)}</h1>"
        f'<p><a href="/">{escape(_("返回首页"))}</a></p></main></body></html>',
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


BAD_REQUEST = "提交的内容过大或格式有误,未保存任何内容。"


def bad_request(request, exception=None):
    """A request Django refuses before any view reads it (a body over DATA_UPLOAD_MAX_MEMORY_SIZE,
    too many fields, a malformed form): the product's own page, with its menu, saying that nothing
    was saved and to go back — not Django's bare "Bad Request (400)". The API answers in JSON
    (an oversized JSON body never gets here: PrivateResponsesMiddleware gives it a 413)."""
    from django.core.exceptions import DisallowedHost

    if isinstance(exception, DisallowedHost):
        # A host this deployment does not serve: no page of ours (its layout and the way back
        # would read the host again), only the words.
        message = _("请求无效。")
        return _json(message, 400) if _wants_json(request) else _page(400, message)
    message = _(BAD_REQUEST)
    if _wants_json(request):
        return _json(message, 400)
    from django.shortcuts import render
    from django.utils.http import url_has_allowed_host_and_scheme

    # Back to the form the person came from (this site's own pages only), else the home page.
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = ""
    try:
        return render(request, "400.html", {"message": message, "back": back}, status=400)
    except Exception:  # noqa: BLE001 - refused before the layout's context could be built
        return _page(400, message)


def forbidden(request, exception=None):
    # A refusal that says why (raised with a message of ours) says it; else the general words.
    said = exception.args[0] if exception is not None and exception.args else ""
    message = str(said) if isinstance(said, (str, Promise)) and str(said) else _("您没有权限执行此操作。")
    return _json(message, 403) if _wants_json(request) else _page(403, message)


def csrf_failure(request, reason=""):
    message = _("页面已过期或来源不明,请刷新页面后重试。")
    return _json(message, 403) if _wants_json(request) else _page(403, message)


class NoTracebackForRefusals:
    """Logging filter: a refused request (403) is logged as one line, not with the traceback of
    the PermissionDenied that produced it — a refusal is the system working, not a fault."""

    def filter(self, record) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True


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


class MethodNotAllowedPageMiddleware:
    """A page opened with the wrong method (an action's URL typed or bookmarked: GET on a form's
    target) says so in words, instead of Django's empty 405; the Allow header stays."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content and not _wants_json(request):
            page = _page(405, _("此地址用于提交表单,不能直接打开。请返回上一页,用页面上的按钮操作。"))
            if response.has_header("Allow"):
                page["Allow"] = response["Allow"]
            return page
        return response
