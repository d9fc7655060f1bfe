from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


def common_patterns():
    return [
        path("i18n/", include("django.conf.urls.i18n")),
    ]


def schema_patterns():
    return [
        path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
        # The split view serves Swagger UI's start-up script from this URL (?script=) instead of
        # inline, so the page runs under the Content-Security-Policy's script-src 'self'.
        path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    ]
