"""HQ commission API (`/api/v1/…`, public schema): rule versions and the adjustment register.
Thin: parse input, call one service or selector, serialize."""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from branches import roles as R
from branches.permissions import IsHQAdmin

from ..adjustments import parse_date
from . import selectors, services
from .models import RegisteredAdjustment
from .rules import COMPONENTS

class RuleVersionDoc(serializers.Serializer):
    """A rule version: `component` decides which parameters apply (see API.md)."""

    id = serializers.IntegerField(read_only=True)
    component = serializers.ChoiceField(choices=COMPONENTS)
    effective_from = serializers.DateField()
    note = serializers.CharField(required=False)
    tiers = serializers.ListField(child=serializers.DictField(), required=False)
    months = serializers.IntegerField(required=False)
    percent = serializers.CharField(required=False)
    new_client_months = serializers.IntegerField(required=False)
    rates = serializers.ListField(child=serializers.DictField(), required=False)
    marketing_percent = serializers.CharField(required=False)
    sales_on_marketing_lead_percent = serializers.CharField(required=False)
    sales_self_sourced_percent = serializers.CharField(required=False)
    points = serializers.DictField(required=False)


class RegisterDoc(serializers.Serializer):
    id = serializers.IntegerField()
    branch = serializers.CharField()
    branch_name = serializers.CharField()
    adjustment_id = serializers.IntegerField()
    component = serializers.CharField()
    percent = serializers.CharField()
    effective_from = serializers.DateField()
    effective_to = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=RegisteredAdjustment.Status.choices)
    reason = serializers.CharField()
    revoked_from = serializers.DateField(allow_null=True)
    revoke_reason = serializers.CharField()
    registered_at = serializers.DateTimeField()
    history = serializers.ListField(child=serializers.DictField())
    branch_history = serializers.ListField(child=serializers.DictField(), help_text="the branch's own steps")


class RevokeDoc(serializers.Serializer):
    effective_from = serializers.DateField()
    reason = serializers.CharField()


def _data(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def _choice(request, name: str, choices) -> str | None:
    value = request.query_params.get(name) or None
    if value is not None and value not in choices:
        raise ValidationError({name: [_("未知取值:%(value)s(可选:%(choices)s)")
                                      % {"value": value, "choices": ", ".join(choices)}]})
    return value


class RuleVersionListApi(APIView):
    """`GET rules/?component=&on=YYYY-MM-DD` (HQ) and `POST rules/` (HQ admin)."""
    roles = {"GET": R.HQ_ANY, "POST": R.HQ_ADMIN_ONLY}


    @extend_schema(operation_id="rules_list", responses=RuleVersionDoc(many=True), parameters=[
        OpenApiParameter("component", str, enum=list(COMPONENTS)),
        OpenApiParameter("on", str, description="YYYY-MM-DD: only the version in force that day")])
    def get(self, request):
        component = _choice(request, "component", COMPONENTS)
        errors: dict = {}
        on = parse_date(request.query_params.get("on"), "on", errors, required=False)
        if errors:
            raise ValidationError(errors)
        return Response(selectors.rule_versions_out(selectors.rule_versions(component=component, on=on)))

    @extend_schema(operation_id="rules_create", request=RuleVersionDoc, responses={201: RuleVersionDoc})
    def post(self, request):
        if not IsHQAdmin().has_permission(request, self):
            self.permission_denied(request, message=IsHQAdmin.message)
        version = services.rule_version_create(actor=request.user, data=services.parse_rule_version(request.data))
        return Response(selectors.rule_version_out(version), status=status.HTTP_201_CREATED)


class RegisterListApi(APIView):
    """`GET adjustments/?branch=&status=&component=`: HQ's register (备案) with history."""
    roles = R.HQ_ANY


    @extend_schema(operation_id="register_list", responses=RegisterDoc(many=True), parameters=[
        OpenApiParameter("branch", str), OpenApiParameter("status", str, enum=list(RegisteredAdjustment.Status.values)),
        OpenApiParameter("component", str, enum=list(COMPONENTS))])
    def get(self, request):
        rows = selectors.register_rows(
            branch=request.query_params.get("branch") or None,
            status=_choice(request, "status", RegisteredAdjustment.Status.values),
            component=_choice(request, "component", COMPONENTS),
        )
        return Response(selectors.register_out(rows))


class RegisterRevokeApi(APIView):
    """`POST adjustments/{id}/revoke/ {effective_from, reason}` (HQ admin)."""
    roles = R.HQ_ADMIN_ONLY


    @extend_schema(operation_id="register_revoke", request=RevokeDoc, responses={200: RegisterDoc})
    def post(self, request, registered_id: int):
        row = services.registered_adjustment_revoke(actor=request.user, registered_id=registered_id,
                                                    data=_data(request))
        return Response(selectors.register_out([row])[0])
