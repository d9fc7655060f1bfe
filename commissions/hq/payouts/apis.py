"""Payment data API (`/api/v1/payment-profiles/…`, public schema): HQ reads (masked numbers),
HQ finance writes."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from branches.permissions import IsHQ

from . import selectors, services


class IsHQFinanceToWrite(BasePermission):
    """Reading: HQ (admin or finance). Writing: HQ finance only."""

    message = _("仅总部财务可修改发放信息。")

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or selectors.may_edit_payments(request.user)


class PaymentProfileDoc(serializers.Serializer):
    user_id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    complete = serializers.BooleanField(read_only=True)
    employee_number = serializers.CharField()
    id_number = serializers.CharField(help_text="18 位身份证号;读取时为脱敏形式")
    account_name = serializers.CharField()
    bank_name = serializers.CharField()
    bank_branch = serializers.CharField()
    account_number = serializers.CharField(help_text="12–30 位数字;读取时为脱敏形式")


class PaymentProfileListApi(APIView):
    """`GET payment-profiles/?branch=&missing=1` — every earner and whether their data is complete."""

    permission_classes = [IsHQ]

    @extend_schema(operation_id="payment_profiles_list", responses=PaymentProfileDoc(many=True), parameters=[
        OpenApiParameter("branch", str), OpenApiParameter("missing", str, enum=["1"])])
    def get(self, request):
        rows = [selectors.profile_out(u) for u in selectors.earners(branch_code=request.query_params.get("branch") or None)]
        if request.query_params.get("missing") == "1":
            rows = [r for r in rows if not r["complete"]]
        return Response(rows)


class PaymentProfileApi(APIView):
    """`GET payment-profiles/{user_id}/` (HQ), `PUT` (HQ finance): 400 with a message per field
    and nothing written on bad input."""

    permission_classes = [IsHQ, IsHQFinanceToWrite]

    @extend_schema(operation_id="payment_profile_read", responses=PaymentProfileDoc)
    def get(self, request, user_id: int):
        return Response(selectors.profile_out(selectors.access_earner(user_id)))

    @extend_schema(operation_id="payment_profile_write", request=PaymentProfileDoc, responses=PaymentProfileDoc)
    def put(self, request, user_id: int):
        services.payment_profile_save(actor=request.user, user_id=user_id,
                                      data=request.data if isinstance(request.data, dict) else None)
        person = selectors.access_earner(user_id)
        return Response(selectors.profile_out(person))
