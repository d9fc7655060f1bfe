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
    path("performance/scores/<int:score_id>/", views.score_detail, name="perf-score"),
    path("performance/mine/", views.my_scores, name="perf-mine"),
]
