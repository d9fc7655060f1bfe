from django.urls import path

from . import apis

P = "performance/"
branch_urlpatterns = [
    path(P + "metrics/", apis.MetricListApi.as_view(), name="api-perf-metrics"),
    path(P + "departments/", apis.DepartmentListApi.as_view(), name="api-perf-departments"),
    path(P + "departments/<str:code>/members/", apis.DepartmentMemberApi.as_view(), name="api-perf-members"),
    path(P + "departments/<str:code>/members/<str:username>/", apis.DepartmentMemberRemoveApi.as_view(),
         name="api-perf-member"),
    path(P + "templates/", apis.TemplateListApi.as_view(), name="api-perf-templates"),
    path(P + "templates/<str:code>/versions/", apis.TemplateVersionApi.as_view(), name="api-perf-template-versions"),
    path(P + "values/", apis.ValuesApi.as_view(), name="api-perf-values"),
    path(P + "cycles/", apis.CycleListApi.as_view(), name="api-perf-cycles"),
    path(P + "cycles/<int:cycle_id>/compute/", apis.CycleComputeApi.as_view(), name="api-perf-compute"),
    path(P + "cycles/<int:cycle_id>/finalise/", apis.CycleFinaliseApi.as_view(), name="api-perf-finalise"),
    path(P + "cycles/<int:cycle_id>/missing/", apis.CycleMissingApi.as_view(), name="api-perf-missing"),
    path(P + "cycles/<int:cycle_id>/scores/", apis.CycleScoresApi.as_view(), name="api-perf-scores"),
    path(P + "cycles/<int:cycle_id>/surveys/", apis.SurveyCreateApi.as_view(), name="api-perf-surveys"),
    path(P + "cycles/<int:cycle_id>/reviews/", apis.ReviewCreateApi.as_view(), name="api-perf-reviews"),
    path(P + "cycles/<int:cycle_id>/bonus-bases/", apis.BonusBaseApi.as_view(), name="api-perf-bonus-bases"),
    path(P + "cycles/<int:cycle_id>/bonuses/", apis.BonusLinesApi.as_view(), name="api-perf-bonuses"),
    path(P + "cycles/<int:cycle_id>/awards/", apis.AwardsApi.as_view(), name="api-perf-awards"),
    path(P + "cycles/<int:cycle_id>/risk-flags/", apis.RiskFlagsApi.as_view(), name="api-perf-risk-flags"),
    path(P + "surveys/<int:survey_id>/answers/", apis.SurveyAnswerApi.as_view(), name="api-perf-answers"),
    path(P + "scores/<int:score_id>/", apis.ScoreDetailApi.as_view(), name="api-perf-score"),
    path(P + "scores/<int:score_id>/adjust/", apis.ScoreAdjustApi.as_view(), name="api-perf-adjust"),
    path(P + "bonus-rules/", apis.BonusRuleListApi.as_view(), name="api-perf-bonus-rules"),
    path(P + "my-scores/", apis.MyScoresApi.as_view(), name="api-perf-my-scores"),
]
