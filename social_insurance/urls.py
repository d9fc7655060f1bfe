from django.urls import path

from . import views

branch_urlpatterns = [
    path("si/", views.cycle_board, name="si-board"),
    path("si/actions/<str:action>/", views.cycle_action, name="si-action"),
    path("si/statements/<int:pk>/", views.statement_detail, name="si-statement"),
]

hq_urlpatterns = [
    path("si/policies/", views.hq_policies, name="si-hq-policies"),
    path("si/duplicates/", views.hq_duplicates, name="si-hq-duplicates"),
]
