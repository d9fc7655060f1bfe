"""Branch commission pages, mounted at /b/<code>/."""
from django.urls import path

from . import views
from .adjustment_urls import page_urlpatterns
from .hq.payouts.urls import branch_page_patterns as payslip_patterns

branch_urlpatterns = [
    *payslip_patterns,  # 电子工资条: confirm or question one's own closed statement
    *page_urlpatterns,  # 浮动调整: propose, review with what-if, approve/reject
    # The workspace: periods and close (manager), statements, entry and import (staff).
    path("commissions/", views.home, name="cm-home"),
    path("commissions/periods/<str:period>/close/", views.period_close, name="cm-close"),
    path("commissions/statements/", views.statements_index, name="cm-statements-index"),
    path("commissions/statements/<str:period>/", views.statements, name="cm-statements"),
    path("commissions/statements/<str:period>/<str:username>/", views.statement, name="cm-statement"),
    path("commissions/record/client/", views.record_client, name="cm-record-client"),
    path("commissions/record/sale/", views.record_sale, name="cm-record-sale"),
    path("commissions/leads/", views.leads, name="cm-leads"),
    path("commissions/leads/<int:lead_id>/sign/", views.lead_sign, name="cm-lead-sign"),
    path("commissions/import/", views.import_page, name="cm-import"),
]
