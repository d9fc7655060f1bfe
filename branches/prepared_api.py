"""Prepared GETs answered without DRF's request machinery.

A prepared statement or board is one Redis round trip away (hrsaas/core/prepared.py); what a
request for it still cost was mostly DRF wrapping it: a Request object, new authenticator,
permission, negotiation and renderer objects, then finalising the response — about as much CPU
again as the whole trivial view. `PreparedGet.as_view()` answers the plain case itself:

    GET, `Authorization: Token …` of a live token, JSON asked for (no `format`, no Accept header,
    or `*/*` or `application/json`), the view's declared roles held in the URL's branch
    (the same `DeclaredRoles` check), and the view's `body()` returned bytes

with the status, body and headers the DRF view gives (`Allow`, `Vary: Accept`, the content type;
tested byte for byte). Everything else goes to the DRF view unchanged — no token, a failed or
refused check, bad input, another format, HEAD or OPTIONS. The light path never refuses: any
refusal or error is DRF's own answer, so the two paths cannot disagree on who sees what.
"""
from __future__ import annotations

from functools import update_wrapper

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings

from .permissions import DeclaredRoles
from .tokens import ExpiringTokenAuthentication

# What DRF's negotiation answers with the JSON renderer (the first of the defaults). No Accept
# header counts as `*/*` there; an Accept header sent empty matches no renderer (406).
_PLAIN_ACCEPT = frozenset({"*/*", "application/json"})


def _plain_json_get(request) -> bool:
    return (request.method == "GET" and "format" not in request.GET
            and request.META.get("HTTP_ACCEPT", "*/*").strip() in _PLAIN_ACCEPT
            and request.META.get("HTTP_AUTHORIZATION", "")[:6].lower() == "token ")


class PreparedGet:
    # Mixin for an APIView whose GET answer is `cls.body(request, **kwargs)` (bytes of JSON).
    # The view's own `get` must answer `json_response(request, self.body(request, **kwargs))`.
    # A comment, not a docstring: drf-spectacular describes an endpoint with the first docstring
    # of its view's classes above APIView, and this note is not the endpoint's description.

    @classmethod
    def body(cls, request, **kwargs) -> bytes:
        raise NotImplementedError

    @classmethod
    def as_view(cls, **initkwargs):
        drf_view = super().as_view(**initkwargs)
        probe = cls(**initkwargs)
        probe.setup(HttpRequest())  # as Django's dispatch does: HEAD answered as GET, in `Allow` too
        allow = probe.default_response_headers["Allow"]
        vary = len(probe.renderer_classes) > 1
        json_first = bool(probe.renderer_classes) and probe.renderer_classes[0] is JSONRenderer
        # The light path checks what the project's defaults check: a view with authentication,
        # permissions, throttles or negotiation of its own is always DRF's.
        as_defaults = (list(probe.authentication_classes) == list(api_settings.DEFAULT_AUTHENTICATION_CLASSES)
                       and api_settings.DEFAULT_AUTHENTICATION_CLASSES[:1] == [ExpiringTokenAuthentication]
                       and list(probe.permission_classes) == [DeclaredRoles] and not probe.throttle_classes
                       and probe.content_negotiation_class is api_settings.DEFAULT_CONTENT_NEGOTIATION_CLASS
                       and probe.versioning_class is None)
        json_first = json_first and as_defaults
        permission = DeclaredRoles()  # holds no state; an authenticator does (one per request)

        def view(request, *args, **kwargs):
            if json_first and _plain_json_get(request):
                response = _light(request, kwargs)
                if response is not None:
                    return response
            return drf_view(request, *args, **kwargs)

        def _light(request, kwargs):
            held = request.__dict__.get("user")  # AuthenticationMiddleware's lazy user
            try:
                found = ExpiringTokenAuthentication().authenticate(request)
                if found is None:
                    return None
                request.user = found[0]
                if not permission.has_permission(request, cls):
                    raise DjangoPermissionDenied
                body = cls.body(request, **kwargs)
            except Exception:  # noqa: BLE001 — a refusal, bad input or a fault: DRF answers it, as always
                body = None
            if body is None:  # DRF starts from the request as it came
                if held is None:
                    request.__dict__.pop("user", None)
                else:
                    request.user = held
                return None
            response = HttpResponse(body, content_type=JSONRenderer.media_type)
            if vary:
                patch_vary_headers(response, ["Accept"])
            response["Allow"] = allow
            return response

        update_wrapper(view, drf_view)
        return view
