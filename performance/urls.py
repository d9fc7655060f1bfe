from django.urls import path

from . import views

branch_urlpatterns = [
    path("performance/", views.home, name="perf-home"),
    path("performance/templates/", views.template_list, name="perf-templates"),
    path("performance/templates/new/", views.template_new, name="perf-template-new"),
    path("performance/templates/<slug:code>/", views.template_detail, name="perf-template"),
    path("performance/templates/<slug:code>/versions/new/", views.template_version_new, name="perf-template-version-new"),
    path("performance/cycles/", views.cycle_list, name="perf-cycles"),
    path("performance/cycles/<int:cycle_id>/", views.cycle_detail, name="perf-cycle"),
    path("performance/cycles/<int:cycle_id>/compute/", views.cycle_compute, name="perf-cycle-compute"),
    path("performance/cycles/<int:cycle_id>/finalise/", views.cycle_finalise, name="perf-cycle-finalise"),
    path("performance/cycles/<int:cycle_id>/awards/", views.cycle_awards, name="perf-cycle-awards"),
    path("performance/cycles/<int:cycle_id>/surveys/", views.cycle_surveys, name="perf-cycle-surveys"),
    path("performance/cycles/<int:cycle_id>/reviews/new/", views.review_new, name="perf-review-new"),
    path("performance/surveys/<int:survey_id>/", views.survey_answer, name="perf-survey-answer"),
    path("performance/bonus-rules/", views.bonus_rules, name="perf-bonus-rules"),
    path("performance/bonus-rules/new/<slug:kind>/", views.bonus_rule_new, name="perf-bonus-rule-new"),
    path("performance/bonus-rules/<int:rule_id>/versions/new/", views.bonus_rule_version_new,
         name="perf-bonus-rule-version-new"),
    path("performance/scores/<int:score_id>/", views.score_detail, name="perf-score"),
    path("performance/mine/", views.my_scores, name="perf-mine"),
    path("performance/departments/", views.department_list, name="perf-departments"),
    path("performance/departments/<int:dept_id>/", views.department_members, name="perf-department"),
]
