from django.urls import include, path

from . import apis
from .hq import leaderboard_api
from .hq.payouts.urls import branch_api_patterns as payslip_api_patterns

branch_urlpatterns = [
    *payslip_api_patterns,  # 电子工资条: 一键确认 / question one's own statement
    path("sales/", apis.SaleCreateApi.as_view(), name="api-sales"),
    path("sales/import/", apis.SalesImportApi.as_view(), name="api-sales-import"),
    path("leads/", apis.LeadCreateApi.as_view(), name="api-leads"),
    path("leads/<int:lead_id>/sign/", apis.LeadSignApi.as_view(), name="api-lead-sign"),
    path("recompute/", apis.RecomputeApi.as_view(), name="api-recompute"),
    path("statements/", apis.StatementListApi.as_view(), name="api-statements"),
    path("statements/<str:username>/<str:period>/", apis.StatementDetailApi.as_view(), name="api-statement"),
    path("periods/<str:period>/close/", apis.PeriodCloseApi.as_view(), name="api-period-close"),
    path("leaderboards/", apis.LeaderboardApi.as_view(), name="api-leaderboard"),
    path("", include("commissions.adjustment_urls")),
]

hq_urlpatterns = [
    path("leaderboards/", leaderboard_api.HQLeaderboardApi.as_view(), name="api-hq-leaderboard"),
]
