"""History import and parallel-run pages, mounted at /b/<code>/."""
from django.urls import path

from . import views

branch_urlpatterns = [
    path("history/", views.home, name="history-home"),
    path("history/parallel/", views.parallel, name="history-parallel"),
    path("history/<int:import_id>/mapping/", views.mapping, name="history-mapping"),
    path("history/<int:import_id>/", views.report, name="history-report"),
    path("history/<int:import_id>/report.<str:fmt>", views.report_download, name="history-report-download"),
    path("history/<int:import_id>/accept/", views.accept, name="history-accept"),
]
