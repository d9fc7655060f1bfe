from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


class SchemaApi(SpectacularAPIView):
    """The OpenAPI schema of the API this URL belongs to. Under a branch, the paths are built from
    the branch's own URL configuration (django-tenants sets it on the request), so they carry
    `/b/<code>/` and "Try it out" on the branch's docs page calls that branch, not HQ."""

    def get(self, request, *args, **kwargs):
        self.urlconf = getattr(request, "urlconf", None)
        return super().get(request, *args, **kwargs)


def common_patterns():
    return [
        path("i18n/", include("django.conf.urls.i18n")),
    ]


def schema_patterns():
    return [
        path("schema/", SchemaApi.as_view(), name="api-schema"),
        # The split view serves Swagger UI's start-up code as a script file (no inline script),
        # and its assets come from drf-spectacular-sidecar's static files: nothing from a CDN.
        path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    ]
