"""HQ (public schema): `/` pages and `/api/v1/` endpoints."""
from django.contrib.auth import views as auth_views
from django.urls import include, path

from branches import views as branch_views
from branches.login import ThrottledLoginView

from .api_urls import HQ_APPS, collect, hq_api_patterns
from .common_urls import common_patterns

urlpatterns = [
    path("", branch_views.hq_home, name="hq-home"),
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("branches/", branch_views.branch_list, name="hq-branches"),
    path("branches/<str:code>/toggle/", branch_views.branch_toggle, name="hq-branch-toggle"),
    path("people/", branch_views.people, name="hq-people"),
    path("people/<int:user_id>/", branch_views.person, name="hq-person"),
    path("api/v1/", include(hq_api_patterns())),
    *common_patterns(),
    *collect(HQ_APPS, "hq_urlpatterns", submodule="urls"),
]

handler500 = "hrsaas.views.server_error"
handler404 = "hrsaas.views.not_found"
handler403 = "hrsaas.views.forbidden"
handler400 = "hrsaas.views.bad_request"
