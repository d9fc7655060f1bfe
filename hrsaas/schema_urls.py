"""The whole v1 API in one URL configuration, for HQ's OpenAPI schema (`/api/v1/schema/`): the
HQ endpoints and every branch's, the latter under `/b/{branch}/api/v1/` with the branch's code
as a path parameter. Only the schema generator reads it; requests are routed by urls_hq and
urls_branch (django-tenants puts each branch's code in front of the latter)."""
from django.urls import include, path

from .api_urls import branch_api_patterns, hq_api_patterns

urlpatterns = [
    path("api/v1/", include(hq_api_patterns())),
    path("b/<slug:branch>/api/v1/", include(branch_api_patterns())),
]
