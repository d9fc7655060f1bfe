"""Pages and API routes of paying people (HQ, public schema)."""
from django.urls import path

from . import apis, payslip, views

page_patterns = [
    path("commissions/finance/people/", views.people, name="hq-payment-people"),
    path("commissions/finance/people/<int:user_id>/payment/", views.person_payment, name="hq-payment-person"),
    path("commissions/finance/batches/<int:batch_id>/confirm/", views.batch_confirm, name="hq-batch-confirm"),
    path("commissions/finance/batches/<int:batch_id>/withdraw/", views.batch_withdraw, name="hq-batch-withdraw"),
    path("commissions/payouts/<str:period>/<str:kind>/<str:fmt>/", views.payout_file, name="hq-payout-file"),
    path("commissions/payouts/<str:period>/<str:code>/<str:kind>/<str:fmt>/", views.payout_file,
         name="hq-payout-file-branch"),
]

api_patterns = [
    path("payment-profiles/", apis.PaymentProfileListApi.as_view(), name="api-payment-profiles"),
    path("payment-profiles/<int:user_id>/", apis.PaymentProfileApi.as_view(), name="api-payment-profile"),
    path("payouts/<str:code>/<str:period>/prepare/", apis.PayoutPrepareApi.as_view(), name="api-payout-prepare"),
    path("payouts/batches/<int:batch_id>/confirm/", apis.PayoutConfirmApi.as_view(), name="api-payout-confirm"),
    path("payouts/batches/<int:batch_id>/withdraw/", apis.PayoutWithdrawApi.as_view(), name="api-payout-withdraw"),
]

branch_page_patterns = [
    path("commissions/payslip/<str:period>/", payslip.payslip, name="cm-payslip"),
]

branch_api_patterns = [
    path("statements/me/<str:period>/confirm/", payslip.PayslipConfirmApi.as_view(), name="api-payslip-confirm"),
    path("statements/me/<str:period>/question/", payslip.PayslipQuestionApi.as_view(), name="api-payslip-question"),
]
