"""HQ commission routes mounted at /api/v1/ (public schema)."""
from django.urls import path

from . import apis
from .payouts import urls as payout_urls

hq_urlpatterns = [
    path("rules/", apis.RuleVersionListApi.as_view(), name="api-rules"),
    path("adjustments/", apis.RegisterListApi.as_view(), name="api-register"),
    path("adjustments/<int:registered_id>/revoke/", apis.RegisterRevokeApi.as_view(), name="api-register-revoke"),
    *payout_urls.api_patterns,
]
