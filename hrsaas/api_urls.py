"""The v1 API, assembled from each app's `api_urls` (HQ and branch halves)."""
from importlib import import_module

from django.urls import path

from branches import apis as branch_apis

from .common_urls import schema_patterns

HQ_API_APPS = ["commissions.hq", "social_insurance.policies", "performance"]
BRANCH_API_APPS = ["commissions", "social_insurance", "performance", "notifications"]


def _collect(modules: list[str], attr: str) -> list:
    patterns = []
    for module in modules:
        try:
            mod = import_module(f"{module}.api_urls")
        except ModuleNotFoundError as exc:
            if exc.name != f"{module}.api_urls":
                raise
            continue
        patterns += getattr(mod, attr, [])
    return patterns


def hq_api_patterns():
    return [
        path("auth/token/", branch_apis.TokenApi.as_view(), name="api-token"),
        path("branches/", branch_apis.BranchListApi.as_view(), name="api-branches"),
        path("branches/<str:code>/deactivate/", branch_apis.BranchActiveApi.as_view(active=False)),
        path("branches/<str:code>/activate/", branch_apis.BranchActiveApi.as_view(active=True)),
        path("users/", branch_apis.UserListApi.as_view(), name="api-users"),
        path("audit/", branch_apis.AuditApi.as_view(), name="api-audit"),
        *schema_patterns(),
        *_collect(HQ_API_APPS, "hq_urlpatterns"),
    ]


def branch_api_patterns():
    return [
        *schema_patterns(),
        *_collect(BRANCH_API_APPS, "branch_urlpatterns"),
    ]
