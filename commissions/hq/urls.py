"""HQ commission pages, mounted at / (public schema)."""
from django.urls import path

from . import views

hq_urlpatterns = [
    path("commissions/rules/", views.rules_home, name="hq-rules"),
    path("commissions/rules/<str:component>/", views.rules_component, name="hq-rules-component"),
    path("commissions/adjustments/", views.register, name="hq-register"),
    path("commissions/adjustments/<int:registered_id>/revoke/", views.register_revoke, name="hq-register-revoke"),
]
