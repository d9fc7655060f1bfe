"""Branch client API: `POST clients/` (开户), `POST clients/{id}/close/`, `POST clients/import/`."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from branches import roles as R
from commissions import imports
from commissions import serializers as doc
from hrsaas.core.parsers import JSONObjectParser

from . import services
from .models import FEE_FIELDS



def client_out(client) -> dict:
    from branches.models import User

    opener = User.objects.filter(pk=client.opened_by_id).values_list("username", flat=True).first()
    return {"id": client.id, "name": client.name, "headcount": client.headcount,
            "opened_on": client.opened_on.isoformat(), "opened_by": opener, "services": list(client.services),
            "contract_no": client.contract_no, "city": client.city, "credit_code": client.credit_code,
            "closed_on": client.closed_on.isoformat() if client.closed_on else None,
            "opening_source": client.opening_source, "opening_period": client.opening_period or None,
            **{name: f"{getattr(client, name):.2f}" for name in FEE_FIELDS.values()}}


class ClientCreateApi(APIView):
    roles = R.OFFICE

    @extend_schema(operation_id="clients_create", request=doc.ClientIn, responses={201: doc.ClientOut})
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        client = services.client_create(actor=request.user, data=services.parse_client(data))
        return Response(client_out(client), status=status.HTTP_201_CREATED)


class ClientCloseApi(APIView):
    roles = R.OFFICE

    @extend_schema(operation_id="clients_close", request=doc.ClientCloseIn, responses={200: doc.ClientOut})
    def post(self, request, client_id: int):
        data = request.data if isinstance(request.data, dict) else {}
        client = services.client_close(actor=request.user, client_id=client_id,
                                       closed_on=services.parse_client_close(data))
        return Response(client_out(client))


class ClientImportApi(APIView):
    roles = R.OFFICE
    parser_classes = [MultiPartParser, FormParser, JSONObjectParser]

    @extend_schema(operation_id="clients_import", request={"multipart/form-data": doc.ImportIn}, responses={201: doc.ImportOut, 400: dict})
    def post(self, request):
        report = imports.import_file(actor=request.user, kind="clients", upload=request.FILES.get("file"))
        return Response(report, status=status.HTTP_201_CREATED if report["ok"] else status.HTTP_400_BAD_REQUEST)


class ClientFeesApi(APIView):
    """The contracted 服务费 per insured person per month, per service (audited)."""
    roles = R.OFFICE

    @extend_schema(operation_id="clients_service_fees", request=doc.ClientFeesIn, responses={200: doc.ClientOut})
    def post(self, request, client_id: int):
        data = request.data if isinstance(request.data, dict) else {}
        client = services.client_fees_update(actor=request.user, client_id=client_id,
                                             fees=services.parse_fees_update(data))
        return Response(client_out(client))
