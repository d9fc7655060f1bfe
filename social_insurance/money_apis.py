"""Branch API for client money (`/b/<code>/api/v1/si/…`): payments received against a fee
statement (回款) and their reversal, arrears aged per client (欠费), the branch's money dates.

Who (docs/security.md): the office (branch manager, 人事/运营) records and reverses payments and
reads every client's arrears; a client contact reads their own company's payments and arrears
(404 for any other statement); the manager sets the dates. Everyone else: 403/404."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from branches import roles as R
from branches.permissions import request_branch

from hrsaas.core import inputs

from . import money_selectors as sel
from . import services
from .selectors import access_statement, statement_money

OFFICE_OR_CONTACT = R.OFFICE | R.CLIENT_CONTACTS


def _money(value) -> str:
    return f"{value:.2f}"


def _body(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def payment_json(p) -> dict:
    return {"id": p.id, "statement": p.statement_id, "amount": _money(p.amount), "paid_on": p.paid_on.isoformat(),
            "reference": p.reference, "note": p.note, "reverses": p.reverses_id,
            "reversed": bool(getattr(p, "is_reversed", False)), "recorded_at": p.created_at.isoformat()}


def statement_money_json(statement, payments) -> dict:
    money = statement_money(statement)
    dates = sel.money_dates()
    return {
        "statement": statement.id, "period": statement.period, "client": statement.client_id,
        "client_name": statement.client.name, "due_on": dates.due_on(statement.period).isoformat(),
        "contributions": _money(money.contributions),
        "charges": [{"kind": c.kind, "service": c.service, "amount": _money(c.amount), "explanation": c.explanation_text}
                    for c in statement.charges.order_by("kind", "service")],
        "due": _money(money.due), "paid": _money(money.paid), "outstanding": _money(money.outstanding),
        "settled_on": money.settled_on.isoformat() if money.settled_on else None,
        "payments": [payment_json(p) for p in payments],
    }


class PaymentIn(serializers.Serializer):
    amount = serializers.CharField(help_text="金额,如 \"1200.00\"(最多两位小数,不超过未付余额)")
    paid_on = serializers.CharField(help_text="到账日期 YYYY-MM-DD,不晚于今天")
    reference = serializers.CharField(required=False, help_text="银行流水号")
    note = serializers.CharField(required=False)


class StatementPaymentsApi(APIView):
    """`GET` → the statement's money (contributions, charges, due, paid, outstanding, settled_on,
    due_on) and its payments; `POST {amount, paid_on, reference?, note?}` → 201 the payment.
    A payment arriving after the statutory deadline posts the late fee (滞纳金) on the client's
    next open statement in the same transaction."""

    roles = {"GET": OFFICE_OR_CONTACT, "POST": R.OFFICE}

    @extend_schema(operation_id="si_statement_payments", responses={200: dict})
    def get(self, request, pk: int):
        statement, payments = sel.payments_of(request.user, request_branch(request), pk)
        return Response(statement_money_json(statement, payments))

    @extend_schema(operation_id="si_statement_payment_record", request=PaymentIn, responses={201: dict, 400: dict})
    def post(self, request, pk: int):
        access_statement(request.user, request_branch(request), pk)
        payment = services.fee_payment_record(actor=request.user, statement_id=pk, data=_body(request))
        return Response(payment_json(payment), status=status.HTTP_201_CREATED)


class ReverseIn(serializers.Serializer):
    reason = serializers.CharField(help_text="冲销原因(必填)")


class PaymentReverseApi(APIView):
    """`POST {reason}` → 201 the reversal (a negative payment naming the one it undoes)."""

    roles = R.OFFICE

    @extend_schema(operation_id="si_payment_reverse", request=ReverseIn, responses={201: dict, 400: dict})
    def post(self, request, pk: int):
        sel.access_payment(request.user, request_branch(request), pk)
        reversal = services.fee_payment_reverse(actor=request.user, payment_id=pk,
                                                reason=inputs.text(_body(request), "reason", max_length=300))
        return Response(payment_json(reversal), status=status.HTTP_201_CREATED)


def arrears_json(owed) -> dict:
    return {
        "today": owed.today.isoformat(), "payment_due_day": owed.dates.payment_due_day,
        "total": _money(owed.total), "buckets": {b: _money(v) for b, v in owed.buckets.items()},
        "clients": [{
            "client": c.client_id, "client_name": c.client_name, "total": _money(c.total),
            "buckets": {b: _money(v) for b, v in c.buckets.items()},
            "statements": [{"statement": s.statement.id, "period": s.statement.period, "due_on": s.due_on.isoformat(),
                            "due": _money(s.due), "paid": _money(s.paid), "outstanding": _money(s.outstanding),
                            "days_overdue": s.days_overdue, "bucket": s.bucket} for s in c.statements],
        } for c in owed.clients],
    }


class ArrearsApi(APIView):
    """`GET` → what each client still owes per fee statement, aged from its due day (the branch's
    payment-due day of the statement's month): buckets not_due, d1_30, d31_60, d61_90, over_90.
    A client contact gets their own company only."""

    roles = OFFICE_OR_CONTACT

    @extend_schema(operation_id="si_arrears", responses={200: dict})
    def get(self, request):
        return Response(arrears_json(sel.arrears(request.user, request_branch(request))))


class MoneySettingsIn(serializers.Serializer):
    payment_due_day = serializers.IntegerField(required=False, help_text="客户付款到期日:费用明细表所属月的第几日(1–28)")
    contribution_due_day = serializers.IntegerField(required=False,
                                                    help_text="社保费法定缴费截止日:所属月的第几日(1–28),不早于客户付款到期日")


class MoneySettingsApi(APIView):
    """The branch's client-money dates: read by the office, set by the branch manager."""

    roles = {"GET": R.OFFICE, "POST": R.MANAGER}

    @extend_schema(operation_id="si_money_settings", responses=MoneySettingsIn)
    def get(self, request):
        d = sel.money_dates()
        return Response({"payment_due_day": d.payment_due_day, "contribution_due_day": d.contribution_due_day})

    @extend_schema(operation_id="si_money_settings_update", request=MoneySettingsIn, responses=MoneySettingsIn)
    def post(self, request):
        policy = services.money_policy_update(actor=request.user, data=_body(request))
        return Response({"payment_due_day": policy.payment_due_day, "contribution_due_day": policy.contribution_due_day})
