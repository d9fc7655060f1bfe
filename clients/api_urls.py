from django.urls import path

from . import apis

branch_urlpatterns = [
    path("clients/", apis.ClientCreateApi.as_view(), name="api-clients"),
    path("clients/import/", apis.ClientImportApi.as_view(), name="api-clients-import"),
    path("clients/<int:client_id>/close/", apis.ClientCloseApi.as_view(), name="api-client-close"),
    path("clients/<int:client_id>/service-fees/", apis.ClientFeesApi.as_view(), name="api-client-service-fees"),
]
