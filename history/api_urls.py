from django.urls import path

from . import apis

branch_urlpatterns = [
    path("history/imports/", apis.ImportListApi.as_view(), name="api-history-imports"),
    path("history/imports/<int:import_id>/", apis.ImportDetailApi.as_view(), name="api-history-import"),
    path("history/imports/<int:import_id>/check/", apis.ImportCheckApi.as_view(), name="api-history-check"),
    path("history/imports/<int:import_id>/accept/", apis.ImportAcceptApi.as_view(), name="api-history-accept"),
    path("history/parallel/", apis.ParallelApi.as_view(), name="api-history-parallel"),
    path("history/parallel/sign-off/", apis.ParallelSignOffApi.as_view(), name="api-history-sign-off"),
]
