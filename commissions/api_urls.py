from django.urls import include, path

from . import apis, lead_apis
from .hq import leaderboard_api
from .hq.payouts.urls import branch_api_patterns as payslip_api_patterns
from .planning import urls as planning_urls

branch_urlpatterns = [
    *payslip_api_patterns,  # 电子工资条: 一键确认 / question one's own statement
    path("sales/", apis.SaleCreateApi.as_view(), name="api-sales"),
    path("sales/import/", apis.SalesImportApi.as_view(), name="api-sales-import"),
    path("leads/", lead_apis.LeadListCreateApi.as_view(), name="api-leads"),
    path("leads/summary/", lead_apis.LeadSummaryApi.as_view(), name="api-leads-summary"),
    path("leads/settings/", lead_apis.LeadPolicyApi.as_view(), name="api-leads-settings"),
    path("leads/disputes/<int:dispute_id>/decide/", lead_apis.LeadDisputeDecideApi.as_view(),
         name="api-lead-dispute-decide"),
    path("leads/<int:lead_id>/", lead_apis.LeadDetailApi.as_view(), name="api-lead"),
    path("leads/<int:lead_id>/sign/", lead_apis.LeadSignApi.as_view(), name="api-lead-sign"),
    path("leads/<int:lead_id>/stage/", lead_apis.LeadStageApi.as_view(), name="api-lead-stage"),
    path("leads/<int:lead_id>/assign/", lead_apis.LeadAssignApi.as_view(), name="api-lead-assign"),
    path("leads/<int:lead_id>/disputes/", lead_apis.LeadDisputeApi.as_view(), name="api-lead-disputes"),
    path("recompute/", apis.RecomputeApi.as_view(), name="api-recompute"),
    path("statements/", apis.StatementListApi.as_view(), name="api-statements"),
    path("statements/<str:username>/<str:period>/", apis.StatementDetailApi.as_view(), name="api-statement"),
    path("periods/<str:period>/close/", apis.PeriodCloseApi.as_view(), name="api-period-close"),
    path("leaderboards/", apis.LeaderboardApi.as_view(), name="api-leaderboard"),
    path("", include("commissions.adjustment_urls")),
    *planning_urls.branch_api_patterns,  # 方案回放与建议
]

hq_urlpatterns = [
    path("leaderboards/", leaderboard_api.HQLeaderboardApi.as_view(), name="api-hq-leaderboard"),
    *planning_urls.hq_api_patterns,  # 方案草案、回放与建议
]
