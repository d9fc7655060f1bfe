"""Branch commission API (`/b/<code>/api/v1/…`): parse input, call one service or selector,
serialize. Nothing else lives here."""
from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from branches import roles as R
from branches.permissions import COMMISSION_BOARD_DENIED, request_branch
from branches.prepared_api import PreparedGet
from branches.throttles import JobTriggerThrottleMixin

from hrsaas.core.parsers import JSONObjectParser
from hrsaas.core.period import parse_period
from hrsaas.core.prepared import json_response

from . import imports, inputs, prepared, selectors, services
from . import serializers as doc



def _data(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def _period(value) -> str:
    errors = inputs.Errors()
    period = inputs.parse_period({"period": value}, "period", errors)
    errors.raise_if_any()
    return period


def sale_out(sale) -> dict:
    return {"id": sale.id, "client": sale.client_id, "service": sale.service, "period": sale.period,
            "amount": f"{sale.amount:.2f}", "seller": sale.seller.username}


class SaleCreateApi(APIView):
    roles = R.OFFICE

    @extend_schema(operation_id="sales_create", request=doc.SaleIn, responses={201: doc.SaleOut})
    def post(self, request):
        sale = services.sale_create(actor=request.user, data=services.parse_sale(_data(request)))
        return Response(sale_out(sale), status=status.HTTP_201_CREATED)


# Leads: commissions/lead_apis.py (marketing and sales work their own).


class RecomputeApi(JobTriggerThrottleMixin, APIView):
    """`POST {period}` → 202 {task_id, period}: one pending recompute per branch and period
    (`services.recompute_request`); past the trigger rate, 429."""

    roles = R.OFFICE

    @extend_schema(operation_id="recompute_create", request=doc.RecomputeIn, responses={202: doc.RecomputeOut})
    def post(self, request):
        period = _period(_data(request).get("period"))
        task_id = services.recompute_request(actor=request.user, period=period)
        return Response({"task_id": task_id, "period": period}, status=status.HTTP_202_ACCEPTED)


class StatementListApi(APIView):
    roles = R.STATEMENT_READERS

    @extend_schema(operation_id="statements_list", parameters=[OpenApiParameter("period", str, required=True)], responses=doc.StatementSummary(many=True))
    def get(self, request):
        period = _period(request.query_params.get("period"))
        return Response(selectors.statements_visible_to(request.user, request_branch(request), period))


class StatementDetailApi(PreparedGet, APIView):
    roles = R.STATEMENT_READERS

    @classmethod
    def body(cls, request, username: str, period: str) -> bytes:
        period = _period(period)
        lang = "en" if (get_language() or "").startswith("en") else "zh"
        return prepared.statement_json(request.user, request_branch(request), username, period, lang=lang,
                                       request=request)

    @extend_schema(operation_id="statements_retrieve", responses=doc.StatementOut)
    def get(self, request, username: str, period: str):
        return json_response(request, self.body(request, username=username, period=period))


class PeriodCloseApi(APIView):
    roles = R.MANAGER

    @extend_schema(operation_id="periods_close", request=None, responses=doc.PeriodCloseOut)
    def post(self, request, period: str):
        obj = services.period_close(actor=request.user, period=_period(period))
        return Response({"period": obj.period, "status": obj.status, "closed_at": obj.closed_at.isoformat(),
                         "closed_by": request.user.username})


class LeaderboardApi(PreparedGet, APIView):
    roles = R.INSIDERS

    @extend_schema(operation_id="branch_leaderboards", parameters=[OpenApiParameter("period", str, required=True), OpenApiParameter("metric", str, enum=["openings", "sales", "commission"])], responses=doc.LeaderboardOut)
    def get(self, request):
        return json_response(request, self.body(request))

    @classmethod
    def body(cls, request) -> bytes:
        period, metric = request.GET.get("period", ""), request.GET.get("metric", "openings")
        try:
            kind = selectors.parse_board_period(period)[0]
        except ValueError:
            raise ValidationError({"period": [_("期间格式须为 YYYY-MM 或 YYYY-Www。")]})
        if kind == "month":
            period = parse_period(period)  # " 2025-07" is 2025-07: its rows, its prepared body
        if metric not in selectors.METRICS:
            raise ValidationError({"metric": [_("指标须为 openings、sales 或 commission。")]})
        if metric == "commission" and not R.may_read_commission_amounts(request.user, request_branch(request)):
            raise PermissionDenied(COMMISSION_BOARD_DENIED)
        return prepared.board_json(request_branch(request), period, metric, kind, request.user.username,
                                   request=request)


class SalesImportApi(APIView):
    roles = R.OFFICE
    parser_classes = [MultiPartParser, FormParser, JSONObjectParser]

    @extend_schema(operation_id="sales_import", request={"multipart/form-data": doc.ImportIn}, responses={201: doc.ImportOut, 400: dict})
    def post(self, request):
        report = imports.import_file(actor=request.user, kind="sales", upload=request.FILES.get("file"))
        return Response(report, status=status.HTTP_201_CREATED if report["ok"] else status.HTTP_400_BAD_REQUEST)
