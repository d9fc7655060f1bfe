"""Payment data API (`/api/v1/payment-profiles/…`, public schema): HQ reads (masked numbers),
HQ finance writes."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from branches import roles as R
from branches.permissions import DeclaredRoles

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

    roles = R.HQ_ANY

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

    roles = R.HQ_ANY  # and, to write, HQ finance only:
    permission_classes = [DeclaredRoles, IsHQFinanceToWrite]

    @extend_schema(operation_id="payment_profile_read", responses=PaymentProfileDoc)
    def get(self, request, user_id: int):
        return Response(selectors.profile_out(selectors.access_earner(user_id)))

    @extend_schema(operation_id="payment_profile_write", request=PaymentProfileDoc, responses=PaymentProfileDoc)
    def put(self, request, user_id: int):
        services.payment_profile_save(actor=request.user, user_id=user_id,
                                      data=request.data if isinstance(request.data, dict) else None)
        person = selectors.access_earner(user_id)
        return Response(selectors.profile_out(person))


# ---------------------------------------------------------------------------------------------
# Paying in two steps (发放复核): the same services as the finance pages
# ---------------------------------------------------------------------------------------------
class IsHQFinance(BasePermission):
    message = _("仅总部财务可办理发放。")

    def has_permission(self, request, view) -> bool:
        return selectors.may_edit_payments(request.user)


def _batch_out(batch) -> dict:
    return {"id": batch.pk, "branch": batch.branch.code, "period": batch.period, "status": batch.status,
            "statements": batch.statements, "total": f"{batch.total:.2f}",
            "prepared_by": batch.prepared_by.label, "prepared_at": batch.prepared_at.isoformat(),
            "decided_by": batch.decided_by.label if batch.decided_by else None,
            "decided_at": batch.decided_at.isoformat() if batch.decided_at else None}


class PayoutPrepareApi(APIView):
    """`POST payouts/{branch}/{period}/prepare/ {statements, total}` — the figures the caller
    checked; 400 (nothing written) when they no longer hold, are negative or not numbers."""

    roles = R.HQ_ANY  # and HQ finance only:
    permission_classes = [DeclaredRoles, IsHQFinance]

    def post(self, request, code: str, period: str):
        from django.core.exceptions import ValidationError

        from ..views import _locked_branch, _period_arg
        from . import paying

        branch, period = _locked_branch(code), _period_arg(period)
        data = request.data if isinstance(request.data, dict) else {}
        try:
            count = int(str(data.get("statements", "")))
        except ValueError:
            raise ValidationError({"statements": [_("请填写核对过的提成单份数(整数)。")]}) from None
        total = paying.parse_total(data.get("total"))
        batch = paying.payout_prepare(actor=request.user, branch=branch, period=period, confirmed=(count, total))
        return Response(_batch_out(batch), status=201)


class PayoutConfirmApi(APIView):
    """`POST payouts/batches/{id}/confirm/ {total}` — total required when the caller prepared it."""

    roles = R.HQ_ANY  # and HQ finance only:
    permission_classes = [DeclaredRoles, IsHQFinance]

    def post(self, request, batch_id: int):
        from . import paying

        data = request.data if isinstance(request.data, dict) else {}
        return Response(_batch_out(paying.payout_confirm(actor=request.user, batch_id=batch_id,
                                                         entered_total=data.get("total"))))


class PayoutWithdrawApi(APIView):
    """`POST payouts/batches/{id}/withdraw/` — only before a bank file was downloaded."""

    roles = R.HQ_ANY  # and HQ finance only:
    permission_classes = [DeclaredRoles, IsHQFinance]

    def post(self, request, batch_id: int):
        from . import paying

        return Response(_batch_out(paying.payout_withdraw(actor=request.user, batch_id=batch_id)))
