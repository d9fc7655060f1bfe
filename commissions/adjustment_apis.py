"""Branch adjustment API (`/b/<code>/api/v1/adjustments/…`). Thin: parse, call one service or
read, serialize.

Who: branch staff and managers propose and read; only the branch manager approves or rejects
(HQ admins pass every branch role). Another branch's people get 404, anonymous callers 401."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from branches import roles as R

from . import adjustments
from .hq.rules import COMPONENTS
from .models import Adjustment
from hrsaas.core.inputs import unknown_choice
from django.utils.translation import gettext as _, pgettext


class AdjustmentIn(serializers.Serializer):
    component = serializers.ChoiceField(choices=COMPONENTS)
    percent = serializers.CharField(help_text="-20.00 … 20.00")
    effective_from = serializers.DateField()
    effective_to = serializers.DateField(required=False)
    reason = serializers.CharField()


class AdjustmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    component = serializers.CharField()
    percent = serializers.CharField()
    effective_from = serializers.DateField()
    effective_to = serializers.DateField(allow_null=True)
    reason = serializers.CharField()
    status = serializers.ChoiceField(choices=Adjustment.Status.choices)
    proposed_by = serializers.CharField()
    decided_by = serializers.CharField(allow_null=True)
    decision_note = serializers.CharField()
    revoked_from = serializers.DateField(allow_null=True)
    registered_id = serializers.IntegerField(allow_null=True)
    history = serializers.ListField(child=serializers.DictField())


class DecisionIn(serializers.Serializer):
    note = serializers.CharField(required=False, help_text="Why; optional when approving.")


class RejectionIn(serializers.Serializer):
    note = serializers.CharField(help_text="Why it is rejected (required: the proposer reads it).")


def _data(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def _out(adj) -> dict:
    return adjustments.adjustments_out([adj])[0]


class AdjustmentListApi(APIView):
    roles = {"GET": R.OFFICE_AND_FINANCE, "POST": R.OFFICE}
    @extend_schema(operation_id="adjustments_list", responses=AdjustmentOut(many=True), parameters=[
        OpenApiParameter("status", str, enum=list(Adjustment.Status.values)),
        OpenApiParameter("component", str, enum=list(COMPONENTS))])
    def get(self, request):
        st = request.query_params.get("status") or None
        component = request.query_params.get("component") or None
        if st is not None and st not in Adjustment.Status.values:
            raise ValidationError({"status": [_("未知状态:%(value)s") % {"value": st}]})
        if component is not None and component not in COMPONENTS:
            raise ValidationError({"component": [unknown_choice(component, what=pgettext("in a sentence", "提成项目"), choices=COMPONENTS)]})
        return Response(adjustments.adjustments_out(adjustments.adjustments_list(status=st, component=component)))

    @extend_schema(operation_id="adjustments_propose", request=AdjustmentIn, responses={201: AdjustmentOut})
    def post(self, request):
        adj = adjustments.adjustment_propose(actor=request.user, data=adjustments.parse_adjustment(_data(request)))
        return Response(_out(adj), status=status.HTTP_201_CREATED)


class AdjustmentDetailApi(APIView):
    roles = R.OFFICE_AND_FINANCE

    @extend_schema(operation_id="adjustments_detail", responses=AdjustmentOut)
    def get(self, request, adjustment_id: int):
        return Response(_out(adjustments.access_adjustment(adjustment_id)))


class AdjustmentApproveApi(APIView):
    roles = R.MANAGER

    @extend_schema(operation_id="adjustments_approve", request=DecisionIn, responses={200: AdjustmentOut})
    def post(self, request, adjustment_id: int):
        adj = adjustments.adjustment_approve(actor=request.user, adjustment_id=adjustment_id,
                                             note=_data(request).get("note", ""))
        return Response(_out(adj))


class AdjustmentRejectApi(APIView):
    roles = R.MANAGER

    @extend_schema(operation_id="adjustments_reject", request=RejectionIn, responses={200: AdjustmentOut})
    def post(self, request, adjustment_id: int):
        adj = adjustments.adjustment_reject(actor=request.user, adjustment_id=adjustment_id,
                                            note=_data(request).get("note", ""))
        return Response(_out(adj))
