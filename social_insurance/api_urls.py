from django.urls import path

from . import apis, hq_apis, payroll_apis, policy_apis

branch_urlpatterns = [
    path("si/contributions/preview/", apis.ContributionPreviewApi.as_view(), name="api-si-preview"),
    path("si/employees/", apis.EmployeeListApi.as_view(), name="api-si-employees"),
    path("si/employees/import/", apis.EmployeeImportApi.as_view(), name="api-si-employees-import"),
    path("si/employees/<int:pk>/base/", apis.EmployeeBaseApi.as_view(), name="api-si-employee-base"),
    path("si/payroll/import/", payroll_apis.PayrollImportApi.as_view(), name="api-si-payroll-import"),
    path("si/payroll/<str:period>/findings/", payroll_apis.PayrollFindingsApi.as_view(), name="api-si-payroll-findings"),
    path("si/months/<str:period>/", apis.MonthApi.as_view(), name="api-si-month"),
    path("si/months/<str:period>/compute/", apis.MonthComputeApi.as_view(), name="api-si-month-compute"),
    path("si/months/<str:period>/reconcile/", apis.MonthReconcileApi.as_view(), name="api-si-month-reconcile"),
    path("si/months/<str:period>/file/", apis.MonthFileApi.as_view(), name="api-si-month-file"),
    path("si/statements/", apis.StatementListApi.as_view(), name="api-si-statements"),
    path("si/statements/<int:pk>/confirm/", apis.StatementRespondApi.as_view(decision="confirm")),
    path("si/statements/<int:pk>/dispute/", apis.StatementRespondApi.as_view(decision="dispute")),
    path("si/statements/<int:pk>/reply/", apis.StatementReplyApi.as_view(), name="api-si-statement-reply"),
    path("si/disputes/", apis.DisputeListApi.as_view(), name="api-si-disputes"),
    path("si/disputes/<int:pk>/resolve/", apis.DisputeResolveApi.as_view()),
    path("si/disputes/<int:pk>/reject/", apis.DisputeRejectApi.as_view(), name="api-si-dispute-reject"),
    path("si/exceptions/", apis.ExceptionListApi.as_view(), name="api-si-exceptions"),
    path("si/exceptions/<int:pk>/respond/", apis.ExceptionRespondApi.as_view(), name="api-si-exception-respond"),
    path("si/exceptions/<int:pk>/resolve/", apis.ExceptionResolveApi.as_view(), name="api-si-exception-resolve"),
]

hq_urlpatterns = [
    path("si/duplicates/", hq_apis.DuplicateReportApi.as_view(), name="api-si-duplicates"),
    path("si/policies/", hq_apis.PolicyListApi.as_view(), name="api-si-policies"),
    path("si/policies/<int:pk>/", hq_apis.PolicyDetailApi.as_view(), name="api-si-policy"),
    path("si/cities/", hq_apis.CityListApi.as_view(), name="api-si-cities"),
    path("si/cities/<str:city>/", hq_apis.CityDetailApi.as_view(), name="api-si-city"),
    path("si/policies/publish/", policy_apis.PolicyPublishApi.as_view(), name="api-si-policy-publish"),
    path("si/policies/<int:pk>/extend/", policy_apis.PolicyExtendApi.as_view(), name="api-si-policy-extend"),
]

# Client money (回款, 欠费): social_insurance/money_apis.py.
from . import money_apis  # noqa: E402

branch_urlpatterns += [
    path("si/statements/<int:pk>/payments/", money_apis.StatementPaymentsApi.as_view(), name="api-si-statement-payments"),
    path("si/payments/<int:pk>/reverse/", money_apis.PaymentReverseApi.as_view(), name="api-si-payment-reverse"),
    path("si/arrears/", money_apis.ArrearsApi.as_view(), name="api-si-arrears"),
    path("si/money-settings/", money_apis.MoneySettingsApi.as_view(), name="api-si-money-settings"),
]
