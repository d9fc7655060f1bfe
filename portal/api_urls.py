from django.urls import path

from . import apis

branch_urlpatterns = [
    path("claims/", apis.ClaimListApi.as_view(), name="api-claims"),
    path("claims/<int:claim_id>/", apis.ClaimDetailApi.as_view(), name="api-claim"),
    path("claims/<int:claim_id>/override/", apis.ClaimOverrideApi.as_view(), name="api-claim-override"),
    path("claims/<int:claim_id>/photos/<int:photo_id>/", apis.ClaimPhotoApi.as_view(), name="api-claim-photo"),
]
