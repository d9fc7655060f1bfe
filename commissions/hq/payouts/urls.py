"""Pages and API routes of paying people (HQ, public schema)."""
from django.urls import path

from . import apis, views

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
]
