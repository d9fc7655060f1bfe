from django.urls import path

from . import apis, hq_apis

branch_urlpatterns = [
    path("si/contributions/preview/", apis.ContributionPreviewApi.as_view(), name="api-si-preview"),
    path("si/employees/", apis.EmployeeListApi.as_view(), name="api-si-employees"),
    path("si/employees/import/", apis.EmployeeImportApi.as_view(), name="api-si-employees-import"),
    path("si/months/<str:period>/", apis.MonthApi.as_view(), name="api-si-month"),
    path("si/months/<str:period>/compute/", apis.MonthComputeApi.as_view(), name="api-si-month-compute"),
    path("si/months/<str:period>/reconcile/", apis.MonthReconcileApi.as_view(), name="api-si-month-reconcile"),
    path("si/months/<str:period>/file/", apis.MonthFileApi.as_view(), name="api-si-month-file"),
    path("si/statements/", apis.StatementListApi.as_view(), name="api-si-statements"),
    path("si/statements/<int:pk>/confirm/", apis.StatementRespondApi.as_view(decision="confirm")),
    path("si/statements/<int:pk>/dispute/", apis.StatementRespondApi.as_view(decision="dispute")),
    path("si/disputes/", apis.DisputeListApi.as_view(), name="api-si-disputes"),
    path("si/disputes/<int:pk>/resolve/", apis.DisputeResolveApi.as_view()),
]

hq_urlpatterns = [
    path("si/duplicates/", hq_apis.DuplicateReportApi.as_view(), name="api-si-duplicates"),
    path("si/policies/", hq_apis.PolicyListApi.as_view(), name="api-si-policies"),
]
