"""OpenAPI shapes of the portal API (documentation only: input is parsed by portal.services)."""
from __future__ import annotations

from rest_framework import serializers


class ClaimIn(serializers.Serializer):
    client = serializers.IntegerField(help_text="client id in this branch")
    tier = serializers.IntegerField(help_text="index of the opening-reward tier claimed (0 = first)")
    note = serializers.CharField(required=False, allow_blank=True)
    photos = serializers.ListField(child=serializers.FileField(), help_text="JPEG/PNG/HEIC, ≤ 8 MB each")


class ClaimPhotoOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField()


class ClaimOut(serializers.Serializer):
    id = serializers.IntegerField()
    client = serializers.IntegerField(help_text="the client number given")
    client_name = serializers.CharField(allow_null=True)
    claimant = serializers.CharField()
    tier = serializers.IntegerField()
    tier_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    status = serializers.ChoiceField(choices=["approved", "rejected"])
    reason_code = serializers.CharField()
    reason = serializers.CharField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField()
    overridden_by = serializers.CharField(allow_null=True)
    override_note = serializers.CharField()
    statement_link = serializers.CharField(allow_null=True)
    photos = ClaimPhotoOut(many=True)


class ClaimOverrideIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    note = serializers.CharField()
