"""History import and parallel-run API (`/b/<code>/api/v1/history/…`): parse, call one service
or selector, serialize."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from branches.throttles import JobTriggerThrottleMixin
from hrsaas.core.parsers import JSONObjectParser

from . import selectors, services
from .engine import FIELD_LABELS, FIELDS, REQUIRED_FIELDS
from .selectors import READERS, SIGNERS, WRITERS


def _data(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def import_out(imp, *, with_report: bool = True) -> dict:
    out = {
        "id": imp.id, "kind": imp.kind, "status": imp.status, "period": imp.period or None,
        "filename": imp.filename, "rows": imp.row_count, "uploaded_at": imp.uploaded_at.isoformat(),
        "checked_at": imp.checked_at.isoformat() if imp.checked_at else None,
        "accepted_at": imp.accepted_at.isoformat() if imp.accepted_at else None,
        "format_issues": imp.format_issues, "logic_issues": imp.logic_issues, "differences": imp.differences,
        "lines_compared": imp.lines_compared, "error_rate": f"{imp.error_rate:.2f}", "rules": imp.rules_text,
    }
    if with_report:
        out["columns"] = imp.header
        out["fields"] = [{"field": f, "label": str(FIELD_LABELS[f]), "required": f in REQUIRED_FIELDS,
                          "column": imp.header[imp.mapping[f]] if imp.mapping.get(f) is not None else None}
                         for f in FIELDS]
        out["report"] = imp.report or None
    return out


class HistoryUploadIn(serializers.Serializer):
    file = serializers.FileField()
    kind = serializers.ChoiceField(choices=["history", "parallel"])
    period = serializers.CharField(required=False, help_text="YYYY-MM; the parallel-run month")


class HistoryCheckIn(serializers.Serializer):
    mapping = serializers.DictField(required=False, help_text="field → column header (or index); null for none")
    rules = serializers.DictField(required=False, help_text='{} (in force), {"versions": {component: id}} or '
                                                            '{"draft": {component: params}}')
    run_async = serializers.BooleanField(required=False, default=False, help_text="true: 202 {task_id}")


class ParallelSignOffIn(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True)
    accept_differences = serializers.BooleanField(required=False, default=False,
                                                  help_text="true (with a note): end the run while differences remain")


class ImportListApi(APIView):
    """GET: this branch's history and parallel-run imports; POST: upload a sheet (multipart)."""

    roles = {"GET": READERS, "POST": WRITERS}
    parser_classes = [MultiPartParser, FormParser, JSONObjectParser]

    @extend_schema(operation_id="history_imports_list", responses={200: list[dict]})
    def get(self, request):
        return Response([import_out(i, with_report=False) for i in selectors.imports_list()[:200]])

    @extend_schema(operation_id="history_imports_create", request={"multipart/form-data": HistoryUploadIn},
                   responses={201: dict, 400: dict})
    def post(self, request):
        imp = services.import_upload(actor=request.user, upload=request.FILES.get("file"),
                                     kind=str(_data(request).get("kind") or ""), period=_data(request).get("period"))
        return Response(import_out(imp), status=status.HTTP_201_CREATED)


class ImportDetailApi(APIView):
    roles = READERS

    @extend_schema(operation_id="history_imports_read", responses={200: dict})
    def get(self, request, import_id: int):
        return Response(import_out(selectors.access_import(import_id, with_rows=False)))


class ImportCheckApi(JobTriggerThrottleMixin, APIView):
    """POST {mapping?, rules?, run_async?}: map the columns and run the three checks (a whole
    sheet's work, here or on the worker: limited per person as the other job triggers are)."""

    roles = WRITERS

    @extend_schema(operation_id="history_imports_check", request=HistoryCheckIn, responses={200: dict, 202: dict})
    def post(self, request, import_id: int):
        data = _data(request)
        imp = selectors.access_import(import_id)
        if data.get("run_async") is True:
            services.import_prepare(actor=request.user, import_id=imp.id, mapping=data.get("mapping"),
                                    rules=data.get("rules"))
            task_id = services.import_check_request(actor=request.user, import_id=imp.id)
            return Response({"task_id": task_id, "id": imp.id}, status=status.HTTP_202_ACCEPTED)
        imp = services.import_check(actor=request.user, import_id=imp.id, mapping=data.get("mapping"),
                                    rules=data.get("rules"))
        return Response(import_out(imp))


class ImportAcceptApi(APIView):
    roles = WRITERS

    @extend_schema(operation_id="history_imports_accept", request=None, responses={200: dict})
    def post(self, request, import_id: int):
        return Response(import_out(services.import_accept(actor=request.user, import_id=import_id),
                                   with_report=False))


def parallel_out(summary: dict) -> dict:
    sign_off = summary["sign_off"]
    return {
        "months": [{"period": m.period, "import": m.id, "rows": m.row_count, "lines_compared": m.lines_compared,
                    "differences": m.differences, "format_issues": m.format_issues, "logic_issues": m.logic_issues,
                    "error_rate": f"{m.error_rate:.2f}"} for m in summary["months"]],
        "rows": summary["rows"], "lines_compared": summary["lines_compared"], "differences": summary["differences"],
        "error_rate": f"{summary['error_rate']:.2f}", "difference_rate": f"{summary['difference_rate']:.2f}",
        "signed_off": None if sign_off is None else {
            "by": sign_off.signed_by.username if sign_off.signed_by else None,
            "at": sign_off.signed_at.isoformat(), "note": sign_off.note, "months": sign_off.months,
            "error_rate": f"{sign_off.error_rate:.2f}"},
    }


class ParallelApi(APIView):
    roles = READERS

    @extend_schema(operation_id="history_parallel_read", responses={200: dict})
    def get(self, request):
        return Response(parallel_out(selectors.parallel_summary()))


class ParallelSignOffApi(APIView):
    """HQ admin only: ends the parallel run (who and when recorded)."""

    roles = SIGNERS

    @extend_schema(operation_id="history_parallel_sign_off", request=ParallelSignOffIn, responses={201: dict})
    def post(self, request):
        from hrsaas.core.inputs import text

        data = _data(request)
        # A list or an object is refused as such (str() once made [""] a note of its own).
        services.parallel_sign_off(actor=request.user, note=text(data, "note", max_length=300),
                                   accept_differences=data.get("accept_differences") is True
                                   or str(data.get("accept_differences")).lower() in ("true", "1", "on"))
        return Response(parallel_out(selectors.parallel_summary()), status=status.HTTP_201_CREATED)
