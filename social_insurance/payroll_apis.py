"""Branch API for clients' payroll lists (`/b/<code>/api/v1/si/payroll/…`)."""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from branches import roles as R

from . import services
from .apis import _period, money
from .models import CheckFinding, FindingKind


class PayrollImportApi(APIView):
    """工资表 upload (fields `period`, `client`, `file`): replaces that client's list for the month,
    all rows or none; the month's checks are refreshed when it is computed."""
    roles = R.OFFICE

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=None, responses={201: dict, 400: dict})
    def post(self, request):
        period = _period(str(request.data.get("period") or ""))
        upload = request.FILES.get("file")
        if upload is None:
            return Response({"file": [_("请上传文件。")]}, status=400)
        # Size, rows and columns are capped by the one upload reader (hrsaas/uploads.py).
        report = services.payroll_import(actor=request.user, period=period, client_id=request.data.get("client"),
                                         filename=upload.name, content=upload)
        body = {"period": period, "rows": report.rows, "created": report.created,
                "wage_total": money(report.wage_total), "errors": report.errors}
        return Response(body, status=201 if report.ok else 400)


PAYROLL_KINDS = (FindingKind.UNINSURED_ON_PAYROLL, FindingKind.INSURED_NOT_ON_PAYROLL)


class PayrollFindingsApi(APIView):
    """The month's payroll checks: paid but not insured, insured but not paid (masked numbers)."""
    roles = R.OFFICE


    @extend_schema(responses={200: dict})
    def get(self, request, period: str):
        period = _period(period)
        rows = (CheckFinding.objects.filter(period=period, kind__in=PAYROLL_KINDS)
                .select_related("employee", "payroll_entry").order_by("kind", "id"))
        return Response({"period": period, "findings": [
            {"kind": f.kind, "name": f.person_name, "id_masked": f.person_id_masked,
             "client": (f.employee or f.payroll_entry).client_id, "detail": f.detail_text} for f in rows]})
