"""Branch commission pages, mounted at /b/<code>/."""
from django.urls import path

from . import lead_views, views
from .adjustment_urls import page_urlpatterns
from .hq.payouts.urls import branch_page_patterns as payslip_patterns
from .planning.urls import branch_page_patterns as planning_patterns

branch_urlpatterns = [
    *payslip_patterns,  # 电子工资条: confirm or question one's own closed statement
    *planning_patterns,  # 方案回放与建议 (before the adjustment detail routes)
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
    path("commissions/import/template/<str:kind>.<str:fmt>", views.import_template, name="cm-import-template"),
    # 线索 worked by the people who bring them (marketing, sales) and the office.
    path("leads/", lead_views.my_leads, name="leads-mine"),
    path("leads/new/", lead_views.lead_new, name="lead-new"),
    path("leads/<int:lead_id>/", lead_views.lead_detail, name="lead-detail"),
    path("leads/<int:lead_id>/sign/", lead_views.lead_sign, name="lead-sign"),
]
