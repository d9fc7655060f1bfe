from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


def common_patterns():
    return [
        path("i18n/", include("django.conf.urls.i18n")),
    ]


def schema_patterns():
    return [
        path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
        path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    ]
