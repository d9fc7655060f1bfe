from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from branches import roles as R

from . import selectors, services
from .models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    # In the reader's language (the words kept with the message), like the inbox page.
    title = serializers.CharField(source="title_text", read_only=True)
    body = serializers.CharField(source="body_text", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "created_at", "read_at"]


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, allow_null=True, default=None)


class InboxSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
    items = NotificationSerializer(many=True)


class InboxApi(APIView):
    """The caller's own inbox in this branch (nobody reads another person's)."""
    roles = R.EVERY_BRANCH_ROLE


    @extend_schema(responses=InboxSerializer)
    def get(self, request):
        items = selectors.inbox_for(request.user)
        return Response({"unread": selectors.unread_count(request.user),
                         "items": NotificationSerializer(items, many=True).data})


class MarkReadApi(APIView):
    roles = R.EVERY_BRANCH_ROLE

    @extend_schema(request=MarkReadSerializer, responses={200: dict})
    def post(self, request):
        ser = MarkReadSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        count = services.notifications_mark_read(recipient=request.user, ids=ser.validated_data["ids"])
        return Response({"marked": count})
