"""Branch adjustment routes (浮动调整).

`urlpatterns`: the API, included by commissions.api_urls under /b/<code>/api/v1/.
`page_urlpatterns`: the pages, mounted under /b/<code>/ by commissions.urls."""
from django.urls import path

from . import adjustment_apis as apis
from . import adjustment_views as views

urlpatterns = [
    path("adjustments/", apis.AdjustmentListApi.as_view(), name="api-adjustments"),
    path("adjustments/<int:adjustment_id>/", apis.AdjustmentDetailApi.as_view(), name="api-adjustment"),
    path("adjustments/<int:adjustment_id>/approve/", apis.AdjustmentApproveApi.as_view(), name="api-adjustment-approve"),
    path("adjustments/<int:adjustment_id>/reject/", apis.AdjustmentRejectApi.as_view(), name="api-adjustment-reject"),
]

page_urlpatterns = [
    path("commissions/adjustments/", views.adjustment_list, name="adj-list"),
    path("commissions/adjustments/<int:adjustment_id>/", views.adjustment_detail, name="adj-detail"),
    path("commissions/adjustments/<int:adjustment_id>/decide/", views.adjustment_decide, name="adj-decide"),
]
