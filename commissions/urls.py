"""Branch commission pages, mounted at /b/<code>/."""
from .adjustment_urls import page_urlpatterns

branch_urlpatterns = [
    *page_urlpatterns,  # 浮动调整: propose, review with what-if, approve/reject
]
