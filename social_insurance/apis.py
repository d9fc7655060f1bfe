"""Branch API for 社保/公积金 (`/b/<code>/api/v1/si/…`): parse, call one service/selector, serialize."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from branches import roles as R
from branches.permissions import request_branch
from branches.roles import Role
from branches.throttles import JobTriggerThrottleMixin

from hrsaas.core import inputs
from hrsaas.core.listing import LIST_WINDOW, window

from . import exceptions, selectors, services
from .money_selectors import with_money
from .engine import PolicyError, month_start



def money(value) -> str:
    return f"{value:.2f}"


def _body(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


class PreviewRequestSerializer(serializers.Serializer):
    city = serializers.CharField()
    month = serializers.CharField()
    wage = serializers.CharField()
    housing_fund_percent = serializers.CharField(required=False)
    injury_rate = serializers.CharField(required=False)


class PreviewItemSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["pension", "medical", "maternity", "unemployment", "work_injury",
                                            "housing_fund"])
    base = serializers.DecimalField(max_digits=12, decimal_places=2)
    employer = serializers.DecimalField(max_digits=12, decimal_places=2)
    employee = serializers.DecimalField(max_digits=12, decimal_places=2)


class PreviewResponseSerializer(serializers.Serializer):
    city = serializers.CharField()
    month = serializers.CharField(help_text="YYYY-MM")
    policy_year = serializers.CharField(help_text="the policy version's year, as published (e.g. 2025年度)")
    items = PreviewItemSerializer(many=True, help_text="only the 险种 the city has")
    employer_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    employee_total = serializers.DecimalField(max_digits=12, decimal_places=2)


class ContributionPreviewApi(APIView):
    """缴费试算: any member of the branch."""
    roles = R.EVERY_BRANCH_ROLE  # a calculator over public policy data (client contacts too)

    @extend_schema(request=PreviewRequestSerializer, responses={200: PreviewResponseSerializer})
    def post(self, request):
        data = _body(request)
        policy, result = services.contribution_preview(
            city=data.get("city"), month=data.get("month"), wage=data.get("wage"),
            housing_fund_percent=data.get("housing_fund_percent"), injury_rate=data.get("injury_rate"),
        )
        return Response({
            "city": policy.city,
            "month": data["month"],
            "policy_year": policy.year,
            "items": [{"type": a.kind, "base": money(a.base), "employer": money(a.employer),
                       "employee": money(a.employee)} for a in result.items],
            "employer_total": money(result.employer_total),
            "employee_total": money(result.employee_total),
        })


def employee_json(e) -> dict:
    return {
        "id": e.id, "client": e.client_id, "client_name": e.client.name, "name": e.name,
        "id_number": e.id_number_masked, "insured_city": e.insured_city, "contract_city": e.contract_city,
        "payroll_city": e.payroll_city, "wage": money(e.wage),
        "housing_fund_percent": money(e.housing_fund_percent) if e.housing_fund_percent is not None else None,
        "injury_rate": money(e.injury_rate) if e.injury_rate is not None else None,
        "start_date": e.start_date.isoformat(), "end_date": e.end_date.isoformat() if e.end_date else None,
    }


class EmployeeListApi(APIView):
    roles = {"GET": R.EVERY_BRANCH_ROLE, "POST": R.OFFICE}

    @extend_schema(responses={200: list[dict]}, parameters=LIST_WINDOW)
    def get(self, request):
        qs = selectors.employees_visible_to(request.user, request_branch(request))
        rows, headers = window(request, qs, most=2000)
        return Response([employee_json(e) for e in rows], headers=headers)

    @extend_schema(request=dict, responses={201: dict})
    def post(self, request):
        data = _body(request)
        fields = {k: data.get(k) for k in services.IMPORT_COLUMNS}
        employee = services.employee_create(actor=request.user, data=services.EmployeeInput(**fields))
        body = employee_json(employee)
        # Saved, with what to check: the identity number insured in another branch in the same months.
        # … and the city with no policy for their first (or this) month, which computes to nothing.
        body["warnings"] = ({"id_number": [str(services.INSURED_ELSEWHERE_MESSAGE)]}
                            if getattr(employee, "insured_elsewhere", False) else {})
        no_policy = services.no_policy_notice(employee)
        if no_policy:
            body["warnings"]["insured_city"] = [no_policy]
        return Response(body, status=status.HTTP_201_CREATED)


class EmployeeBaseApi(APIView):
    """调基: `{wage, housing_fund_percent?}` → the employee. Counts from the first month not yet
    filed; `housing_fund_percent` left out keeps the rate, null or "" sets the city's floor."""
    roles = R.OFFICE

    @extend_schema(request=dict, responses={200: dict, 400: dict, 404: dict})
    def post(self, request, pk: int):
        data = _body(request)
        from .employee_selectors import employees_for_pages

        if not employees_for_pages(request.user, request_branch(request)).filter(pk=pk).exists():
            from django.http import Http404

            raise Http404
        employee = services.employee_base_change(
            actor=request.user, employee_id=pk, wage=data.get("wage"),
            housing_fund_percent=data["housing_fund_percent"] if "housing_fund_percent" in data else services.KEEP)
        return Response(employee_json(employee))


class EmployeeImportApi(APIView):
    """CSV/XLSX upload (field `file`): all rows or none, with a report of every bad row."""
    roles = R.OFFICE

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=None, responses={201: dict, 400: dict})
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            return Response({"file": [_("请上传文件。")]}, status=400)
        report = services.employees_import(actor=request.user, filename=upload.name, content=upload)
        body = {"rows": report.rows, "created": report.created, "wage_total": money(report.wage_total),
                "errors": report.errors, "warnings": report.warnings}
        return Response(body, status=201 if report.ok else 400)


def _period(period: str) -> str:
    try:
        month_start(period)
    except PolicyError as exc:
        raise serializers.ValidationError({"period": [exc.message]})
    return period


def board_json(board) -> dict:
    c = board.cycle
    return {
        "period": board.period, "status": c.status if c else "open",
        "reconcile_due": c.reconcile_due.isoformat() if c else None,
        "file_due": c.file_due.isoformat() if c else None,
        "computed_at": c.computed_at.isoformat() if c and c.computed_at else None,
        "employee_count": c.employee_count if c else 0,
        "employer_total": money(c.employer_total) if c else "0.00",
        "employee_total": money(c.employee_total) if c else "0.00",
        "receipt_no": c.receipt_no if c else "",
        "additions": board.additions, "removals": board.removals, "findings": board.findings,
        "statements": board.statements, "reconcile_overdue": board.reconcile_overdue,
        "file_overdue": board.file_overdue, "open_exceptions": board.open_exceptions,
        "overdue_exceptions": board.overdue_exceptions,
        # Before filing: what is still unanswered (warnings, filing is not refused for them).
        "filing_cautions": [{"kind": c.key, "message": c.label, "count": c.count}
                            for c in selectors.filing_cautions(board.period)] if c and c.status == "reconciled" else [],
    }


class MonthApi(APIView):
    roles = R.OFFICE

    @extend_schema(responses={200: dict})
    def get(self, request, period: str):
        return Response(board_json(selectors.cycle_board(_period(period))))


class MonthComputeApi(JobTriggerThrottleMixin, APIView):
    """`POST` → 202 {task_id}: the month is computed by a worker (idempotent). One pending compute
    per branch and month: a request while one waits gets its task id (`branches.jobs`); past
    the trigger rate, 429."""

    roles = R.OFFICE

    @extend_schema(request=None, responses={202: dict, 400: dict})
    def post(self, request, period: str):
        from branches.jobs import request_job

        from .tasks import COMPUTE_JOB, compute_month

        # A filed month (or one behind a filed month) is refused here, 400 with its reason and
        # nothing queued, rather than accepted and failed by the worker.
        services.month_compute_check(period=_period(period))

        def send(task_id: str) -> None:
            transaction.on_commit(lambda: compute_month.apply_async(args=[period, request.user.pk], task_id=task_id))

        task_id, _enqueued = request_job(kind=COMPUTE_JOB, period=period, send=send)
        return Response({"task_id": task_id}, status=status.HTTP_202_ACCEPTED)


class MonthReconcileApi(APIView):
    roles = R.OFFICE

    @extend_schema(request=dict, responses={200: dict, 201: dict})
    def post(self, request, period: str):
        services.month_reconcile(actor=request.user, period=_period(period))
        return Response(board_json(selectors.cycle_board(period)))


class MonthFileApi(APIView):
    roles = R.OFFICE

    @extend_schema(request=dict, responses={200: dict, 201: dict})
    def post(self, request, period: str):
        data = _body(request)
        services.month_file(actor=request.user, period=_period(period),
                            receipt_no=inputs.text(data, "receipt_no", max_length=80),
                            # The service counts the length (a line break once), as for the page.
                            receipt_note=inputs.text(data, "receipt_note", max_length=None))
        return Response(board_json(selectors.cycle_board(period)))


def statement_json(s) -> dict:
    """A fee statement: `total` is its contributions (employer + employee); what the client is
    billed adds the statement's charges (服务费, 滞纳金 …): `charges_total`, `due` (应付合计), then
    `paid` and `outstanding` — the same figures as the statement's page and its payments."""
    if hasattr(s, "due_sum"):  # annotated by money_selectors.with_money (a list)
        charges, due, paid = s.charges_sum, s.due_sum, s.paid_sum
    else:
        m = selectors.statement_money(s)
        charges, due, paid = m.charges, m.due, m.paid
    return {"id": s.id, "period": s.period, "client": s.client_id, "client_name": s.client.name,
            "employee_count": s.employee_count, "employer_total": money(s.employer_total),
            "employee_total": money(s.employee_total), "total": money(s.total),
            "charges_total": money(charges), "due": money(due), "paid": money(paid), "outstanding": money(due - paid),
            "status": s.status, "response_note": s.response_note, "reply_note": s.reply_note}


class StatementListApi(APIView):
    roles = R.EVERY_BRANCH_ROLE

    @extend_schema(responses={200: list[dict]})
    def get(self, request):
        period = request.query_params.get("period") or None
        if period:
            _period(period)
        qs = with_money(selectors.statements_visible_to(request.user, request_branch(request), period))
        return Response([statement_json(s) for s in qs])


class StatementRespondApi(APIView):
    roles = R.CLIENT_CONTACTS
    decision = "confirm"

    @extend_schema(request=dict, responses={200: dict, 201: dict})
    def post(self, request, pk: int):
        statement = services.statement_respond(actor=request.user, statement_id=pk, decision=self.decision,
                                               note=inputs.text(_body(request), "note", max_length=None))  # the service counts
        return Response(statement_json(statement))


class StatementReplyApi(APIView):
    """The office answers a client's dispute: `{note}` → the statement, back to 待客户确认."""
    roles = R.OFFICE

    @extend_schema(request=dict, responses={200: dict, 400: dict, 404: dict})
    def post(self, request, pk: int):
        statement = selectors.access_statement(request.user, request_branch(request), pk)
        # The service counts the length (a text box's line break as one character).
        statement = services.statement_reply(actor=request.user, statement_id=statement.pk,
                                             note=inputs.text(_body(request), "note", max_length=None))
        return Response(statement_json(statement))


class DisputeListApi(APIView):
    roles = R.OFFICE | {Role.SPECIALIST}

    @extend_schema(request=dict, responses={200: dict, 201: dict})
    def post(self, request):
        d = _body(request)
        # Typed fields refused as such (a list, an object, "abc" or 1.5 for the employee; a list
        # for the reason) before the service looks anything up.
        errors = inputs.Errors()
        employee_id = inputs.parse_int(d, "employee", errors, low=1, high=2**62)
        reason = inputs.parse_text(d, "reason", errors, max_length=2000, required=False)
        errors.raise_if_any()
        dispute = services.dispute_raise(actor=request.user, employee_id=employee_id, period=str(d.get("period") or ""),
                                         claimed_wage=d.get("claimed_wage"), reason=reason)
        return Response({"id": dispute.id, "status": dispute.status}, status=201)


class DisputeResolveApi(APIView):
    """`{corrected_wage, note?}` → the 补缴/退费 lines posted in the first month not filed."""
    roles = R.OFFICE

    @extend_schema(request=dict, responses={200: dict, 201: dict})
    def post(self, request, pk: int):
        d = _body(request)
        errors = inputs.Errors()
        note = inputs.parse_text(d, "note", errors, max_length=services.DISPUTE_NOTE_MAX, required=False)
        errors.raise_if_any()
        dispute = services.dispute_resolve(actor=request.user, dispute_id=pk, corrected_wage=d.get("corrected_wage"),
                                           note=note)
        return Response({"id": dispute.id, "status": dispute.status, "settled_in_period": dispute.settled_in_period})


class DisputeRejectApi(APIView):
    """`{note}` → 200 {id, status: "rejected"}: the filed base stands, nothing is posted."""
    roles = R.OFFICE

    @extend_schema(request=dict, responses={200: dict, 400: dict, 404: dict})
    def post(self, request, pk: int):
        d = _body(request)
        errors = inputs.Errors()
        note = inputs.parse_text(d, "note", errors, max_length=services.DISPUTE_NOTE_MAX, required=False)
        errors.raise_if_any()
        dispute = services.dispute_reject(actor=request.user, dispute_id=pk, note=note)
        return Response({"id": dispute.id, "status": dispute.status})


# ---------------------------------------------------------------------------------------------
# Payment exceptions (缴费失败 …): respond within 1 h, resolve within 24 h
# ---------------------------------------------------------------------------------------------
def _iso(value) -> str | None:
    return value.isoformat() if value else None


def exception_json(e, now) -> dict:
    late = selectors.exception_overdue(e, now)
    return {
        "id": e.id, "period": e.period, "kind": e.kind, "description": e.description, "status": e.status,
        "employee": e.employee_id, "employee_name": e.employee.name if e.employee_id else None,
        "client": e.client_id, "opened_at": _iso(e.opened_at), "respond_due": _iso(e.respond_due),
        "resolve_due": _iso(e.resolve_due), "responded_at": _iso(e.responded_at), "resolved_at": _iso(e.resolved_at),
        "resolution": e.resolution, "respond_overdue": bool(late.get("respond")),
        "resolve_overdue": bool(late.get("resolve")),
    }


class ExceptionListApi(APIView):
    """`GET ?status=open|responded|resolved|unresolved&period=YYYY-MM&offset=&limit=` (newest first, 500 at a time, the whole count in `X-Total-Count`);
    `POST {period, description, employee?, kind?}` → 201. Branch staff, managers, specialists."""
    roles = R.OFFICE | {Role.SPECIALIST}


    @extend_schema(responses={200: list[dict]}, parameters=LIST_WINDOW)
    def get(self, request):
        status_filter = request.query_params.get("status") or None
        if status_filter is not None and status_filter not in selectors.EXCEPTION_FILTERS:
            raise serializers.ValidationError(
                {"status": [_("状态须为 %(values)s 之一。") % {"values": ", ".join(sorted(selectors.EXCEPTION_FILTERS))}]})
        period = request.query_params.get("period") or None
        if period:
            _period(period)
        qs = selectors.exceptions_visible_to(request.user, request_branch(request), status=status_filter, period=period)
        now = timezone.now()
        rows, headers = window(request, qs, most=500)
        return Response([exception_json(e, now) for e in rows], headers=headers)

    @extend_schema(request=dict, responses={201: dict})
    def post(self, request):
        d = _body(request)
        exc = exceptions.exception_log(actor=request.user, period=d.get("period"), description=d.get("description"),
                                       employee=d.get("employee"), kind=d.get("kind"))
        return Response(exception_json(exc, timezone.now()), status=status.HTTP_201_CREATED)


class ExceptionRespondApi(APIView):
    """`POST` → 200: the exception is being handled (stops the 1-hour clock)."""
    roles = R.OFFICE | {Role.SPECIALIST}


    @extend_schema(request=None, responses={200: dict})
    def post(self, request, pk: int):
        exc = exceptions.exception_respond(actor=request.user, exception_id=pk)
        return Response(exception_json(exc, timezone.now()))


class ExceptionResolveApi(APIView):
    """`POST {note}` → 200: resolved, with what was done."""
    roles = R.OFFICE | {Role.SPECIALIST}


    @extend_schema(request=dict, responses={200: dict})
    def post(self, request, pk: int):
        exc = exceptions.exception_resolve(actor=request.user, exception_id=pk, note=_body(request).get("note"))
        return Response(exception_json(exc, timezone.now()))
