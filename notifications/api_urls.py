from django.urls import path

from . import apis

branch_urlpatterns = [
    path("notifications/", apis.InboxApi.as_view(), name="api-inbox"),
    path("notifications/read/", apis.MarkReadApi.as_view(), name="api-inbox-read"),
]
