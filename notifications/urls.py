from django.urls import path

from . import views

branch_urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/badge/", views.badge, name="inbox-badge"),
    path("inbox/read/", views.mark_all_read, name="inbox-read"),
    path("settings/notifications/", views.channel_settings, name="notification-settings"),
]
