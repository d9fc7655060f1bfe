"""客户管理 pages, mounted at /b/<code>/ (hrsaas/urls_branch.py collects `branch_urlpatterns`)."""
from django.urls import path

from . import views

branch_urlpatterns = [
    path("clients/", views.client_list, name="clients-list"),
    path("clients/new/", views.client_create, name="clients-create"),
    path("clients/<int:pk>/", views.client_detail, name="clients-detail"),
    path("clients/<int:pk>/edit/", views.client_edit, name="clients-edit"),
    path("clients/<int:pk>/close/", views.client_close, name="clients-close"),
    path("clients/<int:pk>/contacts/", views.client_contact_add, name="clients-contact-add"),
    path("clients/<int:pk>/contacts/<int:user_id>/remove/", views.client_contact_remove, name="clients-contact-remove"),
]
