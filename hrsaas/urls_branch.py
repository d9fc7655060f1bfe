"""A branch (its schema): served under `/b/<code>/` by django-tenants' subfolder routing."""
from django.urls import include, path

from branches import views as branch_views

from .api_urls import BRANCH_APPS, branch_api_patterns, collect
from .common_urls import common_patterns

urlpatterns = [
    path("", branch_views.branch_home, name="branch-home"),
    path("api/v1/", include(branch_api_patterns())),
    *common_patterns(),
    *collect(BRANCH_APPS, "branch_urlpatterns", submodule="urls"),
]

handler500 = "hrsaas.views.server_error"
handler404 = "hrsaas.views.not_found"
handler403 = "hrsaas.views.forbidden"
handler400 = "hrsaas.views.bad_request"
