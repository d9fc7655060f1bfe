"""HQ commission pages, mounted at / (public schema)."""
from django.urls import path

from . import views
from .payouts import urls as payout_urls
from ..planning.urls import hq_page_patterns as planning_patterns

hq_urlpatterns = [
    *planning_patterns,  # 方案草案、回放与建议 (before rules/<component>/)
    path("commissions/rules/", views.rules_home, name="hq-rules"),
    path("commissions/rules/<str:component>/", views.rules_component, name="hq-rules-component"),
    path("commissions/adjustments/", views.register, name="hq-register"),
    path("commissions/adjustments/<int:registered_id>/revoke/", views.register_revoke, name="hq-register-revoke"),
    # The console: dashboard, finance's locked periods, paid, payroll files.
    path("commissions/dashboard/", views.dashboard, name="hq-dashboard"),
    path("commissions/finance/", views.finance, name="hq-finance"),
    path("commissions/finance/<str:code>/<str:period>/paid/", views.finance_mark_paid, name="hq-finance-paid"),
    path("commissions/payroll/<str:period>/<str:fmt>/", views.payroll_export, name="hq-payroll"),
    path("commissions/payroll/<str:period>/<str:code>/<str:fmt>/", views.payroll_export, name="hq-payroll-branch"),
    *payout_urls.page_patterns,
]
