"""Portal pages, mounted at /b/<code>/."""
from django.urls import path

from . import views

branch_urlpatterns = [
    path("me/", views.home, name="portal-home"),
    path("me/live/", views.live, name="portal-live"),
    path("me/statement/", views.statement_current, name="portal-statement-current"),
    path("me/statement/<str:period>/", views.statement, name="portal-statement"),
    path("me/statement/<str:period>/lines/<str:key>/", views.line, name="portal-line"),
    path("me/estimate/", views.estimate, name="portal-estimate"),
    path("me/claims/", views.claims, name="portal-claims"),
    path("me/claims/<int:claim_id>/", views.claim_detail, name="portal-claim"),
    path("me/claims/<int:claim_id>/photos/<int:photo_id>/", views.claim_photo, name="portal-claim-photo"),
    path("me/inquiries/", views.inquiries, name="portal-inquiries"),
    path("me/inquiries/<int:inquiry_id>/", views.inquiry_detail, name="portal-inquiry"),
    path("me/inquiries/<int:inquiry_id>/files/<int:event_id>/", views.inquiry_attachment, name="portal-inquiry-file"),
    path("review/", views.review, name="portal-review"),
    path("review/claims/<int:claim_id>/", views.claim_detail, name="portal-review-claim"),
    path("review/inquiries/<int:inquiry_id>/", views.inquiry_detail, name="portal-review-inquiry"),
]
