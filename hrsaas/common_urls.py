from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import include, path
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView, SpectacularSwaggerSplitView
from drf_spectacular.utils import extend_schema

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

    @extend_schema(**SCHEMA_KWARGS)  # as the parent's: the schema view is not part of the schema
    def get(self, request, *args, **kwargs):
        in_branch = request_branch(request) is not None
        self.urlconf = getattr(request, "urlconf", None) if in_branch else "hrsaas.schema_urls"
        return super().get(request, *args, **kwargs)


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
