import threading
from collections import OrderedDict

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import include, path
from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.response import Response

from branches.pages import SIGNED_IN, page_roles
from branches.permissions import SCHEMA_FOR_INSIDERS, JsonRefusals, request_branch
from branches.roles import can_enter_branch, is_hq_admin, works_for_the_company


class SchemaApi(JsonRefusals, SpectacularAPIView):
    """The OpenAPI schema of the API this URL belongs to. HQ's (`/api/v1/schema/`) is the whole
    API: its own endpoints and the branch endpoints under `/b/{branch}/api/v1/` (schema_urls).
    Under a branch, the paths are built from the branch's own URL configuration (django-tenants
    sets it on the request), so they carry `/b/<code>/` and "Try it out" on the branch's docs
    page calls that branch, not HQ. A refusal is JSON, whatever format the schema itself would
    be sent in."""

    refusals_as_json = True
    _key = None

    @extend_schema(**SCHEMA_KWARGS)  # as the parent's: the schema view is not part of the schema
    def get(self, request, *args, **kwargs):
        in_branch = request_branch(request) is not None
        self.urlconf = getattr(request, "urlconf", None) if in_branch else "hrsaas.schema_urls"
        # Every input of the document: drf-spectacular also reads `?version=` (into info.version
        # and the file name) when no versioning class set request.version.
        version = self.api_version or request.version or self._get_version_parameter(request)
        self._key = (str(self.urlconf), request.path, request.GET.get("lang") or get_language(),
                     request.accepted_media_type, version)
        served = _rendered.get(self._key)
        if served is not None:
            content, content_type, disposition = served
            response = HttpResponse(content, content_type=content_type)
            response["Content-Disposition"] = disposition
            return response
        return super().get(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._key is not None and response.status_code == 200 and isinstance(response, Response):
            response.render()
            _rendered.put(self._key, (response.content, response["Content-Type"], response["Content-Disposition"]))
        return response


class _Rendered:
    """The schema as last sent, per URL configuration, path, language, format and version. It is the same
    for every caller (SERVE_PUBLIC: who may read it is SchemaReader's decision, made before) and
    changes only with the code, which a deployment restarts the processes for; generating and
    rendering it takes about half a second (the YAML in pure Python), for a document integrators'
    tools and the docs page fetch whole every time."""

    LIMIT = 32  # branches × languages × formats in use; the oldest goes first

    def __init__(self) -> None:
        self._items: OrderedDict[tuple, tuple] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: tuple, value: tuple) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.LIMIT:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_rendered = _Rendered()


def common_patterns():
    return [
        path("i18n/", include("django.conf.urls.i18n")),
    ]


_swagger = SpectacularSwaggerSplitView.as_view(url_name="api-schema")


@page_roles(SIGNED_IN)  # and, under a branch, its members (checked below)
def api_docs(request, *args, **kwargs):
    """The interactive docs page: a browser page, so a sign-in redirect for anonymous visitors and
    the branch pages' 404 for people outside the branch, and a 403 for client contacts (the schema
    itself: SchemaReader)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), "/login/")
    branch = request_branch(request)
    if branch is not None and not (is_hq_admin(request.user) or can_enter_branch(request.user, branch)):
        raise Http404
    if not works_for_the_company(request.user, branch):
        raise PermissionDenied(SCHEMA_FOR_INSIDERS)
    return _swagger(request, *args, **kwargs)


def schema_patterns():
    return [
        path("schema/", SchemaApi.as_view(), name="api-schema"),
        # The split view serves Swagger UI's start-up code as a script file (no inline script),
        # and its assets come from drf-spectacular-sidecar's static files: nothing from a CDN.
        path("docs/", api_docs, name="api-docs"),
    ]
