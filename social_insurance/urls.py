from django.urls import path

from . import views

branch_urlpatterns = [
    path("si/", views.cycle_board, name="si-board"),
    path("si/actions/<str:action>/", views.cycle_action, name="si-action"),
    path("si/statements/<int:pk>/", views.statement_detail, name="si-statement"),
    path("si/statements/<int:pk>/reply/", views.statement_reply, name="si-statement-reply"),
    path("si/exceptions/", views.exception_create, name="si-exception-create"),
    path("si/payroll/", views.payroll_upload, name="si-payroll-upload"),
    path("si/exceptions/<int:pk>/<str:action>/", views.exception_action, name="si-exception-action"),
]

hq_urlpatterns = [
    path("si/policies/", views.hq_policies, name="si-hq-policies"),
    path("si/policies/<slug:city>/", views.hq_policy_city, name="si-hq-policy-city"),
    path("si/duplicates/", views.hq_duplicates, name="si-hq-duplicates"),
    path("si/cities/", views.hq_cities, name="si-hq-cities"),
]

# 参保员工 pages (social_insurance/employee_views.py).
from . import employee_views  # noqa: E402

branch_urlpatterns += [
    path("si/employees/", employee_views.employee_list, name="si-employees"),
    path("si/employees/new/", employee_views.employee_add, name="si-employee-add"),
    path("si/employees/lands-in/", employee_views.lands_in, name="si-employee-lands-in"),
    path("si/employees/import/", employee_views.employee_import, name="si-employee-import"),
    path("si/employees/import/template/", employee_views.import_template, name="si-employee-import-template"),
    path("si/employees/<int:pk>/", employee_views.employee_detail, name="si-employee"),
    path("si/employees/<int:pk>/remove/", employee_views.employee_remove, name="si-employee-remove"),
    path("si/employees/<int:pk>/base/", employee_views.employee_base, name="si-employee-base"),
]

# Client money (回款, 欠费) and the client's own pages: social_insurance/money_views.py.
from . import money_views  # noqa: E402

branch_urlpatterns += [
    path("si/statements/<int:pk>/payments/", money_views.payment_record, name="si-payment-record"),
    path("si/statements/<int:pk>/payments/<int:payment_id>/reverse/", money_views.payment_reverse,
         name="si-payment-reverse"),
    path("si/arrears/", money_views.arrears_page, name="si-arrears"),
    path("si/account/people/", money_views.client_people, name="si-client-people"),
]

# 基数争议 (补缴/退费) pages: social_insurance/dispute_views.py.
from . import dispute_views  # noqa: E402

branch_urlpatterns += [
    path("si/changes/", views.changes_export, name="si-changes-export"),
    path("si/employees/<int:pk>/disputes/new/", dispute_views.dispute_new, name="si-dispute-new"),
    path("si/disputes/", dispute_views.dispute_list, name="si-disputes"),
    path("si/disputes/<int:pk>/", dispute_views.dispute_detail, name="si-dispute"),
    path("si/disputes/<int:pk>/resolve/", dispute_views.dispute_resolve, name="si-dispute-resolve"),
    path("si/disputes/<int:pk>/reject/", dispute_views.dispute_reject, name="si-dispute-reject"),
]
