"""`POST /b/<code>/api/v1/si/statements/<id>/payments/`: record money received from the client
against one fee statement (回款). The office only; the service refuses bad input and overpayment."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from branches import roles as R

from . import services


class PaymentIn(serializers.Serializer):
    amount = serializers.CharField(help_text="yuan, e.g. \"2,000.00\"")
    paid_on = serializers.CharField(help_text="YYYY-MM-DD, not after today")
    reference = serializers.CharField(required=False)
    note = serializers.CharField(required=False)


class PaymentOut(serializers.Serializer):
    id = serializers.IntegerField()
    statement = serializers.IntegerField()
    amount = serializers.CharField()
    paid_on = serializers.CharField()
    reference = serializers.CharField()


class StatementPaymentApi(APIView):
    roles = R.OFFICE

    @extend_schema(operation_id="si_statement_payment_create", request=PaymentIn, responses={201: PaymentOut})
    def post(self, request, pk: int):
        data = request.data if isinstance(request.data, dict) else {}
        payment = services.fee_payment_record(actor=request.user, statement_id=pk, data=data)
        return Response({"id": payment.pk, "statement": payment.statement_id, "amount": f"{payment.amount:.2f}",
                         "paid_on": payment.paid_on.isoformat(), "reference": payment.reference},
                        status=status.HTTP_201_CREATED)
