"""The v1 API, assembled from each app's `api_urls` (HQ and branch halves)."""
from importlib import import_module

from django.urls import path

from branches import apis as branch_apis

from .common_urls import schema_patterns

HQ_APPS = ["commissions.hq", "commissions", "social_insurance.policies", "social_insurance", "performance"]
BRANCH_APPS = ["clients", "commissions", "social_insurance", "performance", "notifications", "portal", "history"]


def collect(modules: list[str], attr: str, submodule: str = "api_urls") -> list:
    """Each app owns its routes in `<app>/<submodule>.py` as `hq_urlpatterns` and/or
    `branch_urlpatterns`; apps without the module simply have none."""
    patterns = []
    for module in modules:
        try:
            mod = import_module(f"{module}.{submodule}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{module}.{submodule}":
                raise
            continue
        patterns += getattr(mod, attr, [])
    return patterns


def hq_api_patterns():
    return [
        path("auth/token/", branch_apis.TokenApi.as_view(), name="api-token"),
        path("auth/token/revoke/", branch_apis.TokenRevokeApi.as_view(), name="api-token-revoke"),
        path("branches/", branch_apis.BranchListApi.as_view(), name="api-branches"),
        path("branches/<str:code>/deactivate/", branch_apis.BranchActiveApi.as_view(active=False)),
        path("branches/<str:code>/activate/", branch_apis.BranchActiveApi.as_view(active=True)),
        path("users/", branch_apis.UserListApi.as_view(), name="api-users"),
        path("audit/", branch_apis.AuditApi.as_view(), name="api-audit"),
        *schema_patterns(),
        *collect(HQ_APPS, "hq_urlpatterns"),
    ]


def branch_api_patterns():
    return [
        *schema_patterns(),
        *collect(BRANCH_APPS, "branch_urlpatterns"),
    ]
