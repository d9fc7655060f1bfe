"""Server-rendered pages for 社保/公积金; they call the same services and selectors as the API."""
from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.roles import Role, hq_roles_of, roles_in_branch

from . import selectors, services
from .engine import ITEM_LABELS, PolicyError, add_months, month_start, period_of
from .models import CheckFinding, InsuredEmployee, PaymentException, StaffChange
from .policies.models import Confidence
from .policies.selectors import policy_table


def _period(request) -> str:
    period = request.GET.get("period") or request.POST.get("period") or period_of(timezone.localdate())
    try:
        month_start(period)
    except PolicyError:
        raise Http404
    return period


def _require_staff(request):
    if not selectors.is_branch_staff(request.user, request.tenant):
        raise Http404


def cycle_board(request):
    """月度流程看板: 增减员, 计算, 核对, 申报, checks, statements, exceptions."""
    _require_staff(request)
    period = _period(request)
    board = selectors.cycle_board(period)
    ctx = {
        "branch": request.tenant, "period": period, "board": board,
        "prev": add_months(period, -1), "next": add_months(period, 1),
        "changes": StaffChange.objects.filter(period=period).select_related("employee", "employee__client"),
        "findings": CheckFinding.objects.filter(period=period).select_related("employee"),
        "statements": selectors.statements_visible_to(request.user, request.tenant, period),
        "exceptions": [(e, selectors.exception_overdue(e, timezone.now()))
                       for e in PaymentException.objects.exclude(status="resolved").select_related("employee")[:50]],
        "employee_count": InsuredEmployee.objects.count(),
    }
    return render(request, "social_insurance/board.html", ctx)


@require_POST
def cycle_action(request, action: str):
    _require_staff(request)
    period = _period(request)
    try:
        if action == "compute":
            services.month_compute(actor=request.user, period=period)
            messages.success(request, _("已计算 %(p)s。") % {"p": period})
        elif action == "reconcile":
            services.month_reconcile(actor=request.user, period=period)
            messages.success(request, _("增减员已核对。"))
        elif action == "file":
            if not (roles_in_branch(request.user, request.tenant) & {Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.HQ_ADMIN}):
                raise Http404
            services.month_file(actor=request.user, period=period, receipt_no=request.POST.get("receipt_no", ""),
                                receipt_note=request.POST.get("receipt_note", ""))
            messages.success(request, _("已记录申报回执。"))
        else:
            raise Http404
    except ValidationError as exc:
        for errs in exc.message_dict.values():
            for err in errs:
                messages.error(request, err)
    return redirect(f"/b/{request.tenant.code}/si/?period={period}")


def statement_detail(request, pk: int):
    """费用明细表 (printable); `?format=xlsx` downloads it; the client's contact answers here."""
    statement = selectors.access_statement(request.user, request.tenant, pk)
    lines = list(selectors.statement_lines(statement))
    if request.method == "POST":
        try:
            services.statement_respond(actor=request.user, statement_id=pk, decision=request.POST.get("decision", ""),
                                       note=request.POST.get("note", ""))
            messages.success(request, _("已提交答复。"))
        except ValidationError as exc:
            for errs in exc.message_dict.values():
                for err in errs:
                    messages.error(request, err)
        return redirect(request.path)
    if request.GET.get("format") == "xlsx":
        return _statement_xlsx(statement, lines)
    can_respond = Role.CLIENT_CONTACT in roles_in_branch(request.user, request.tenant) and statement.status == "issued"
    return render(request, "social_insurance/statement.html", {
        "statement": statement, "lines": lines, "labels": ITEM_LABELS, "can_respond": can_respond,
        "branch": request.tenant,
    })


def _statement_xlsx(statement, lines) -> HttpResponse:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = statement.period
    ws.append([f"费用明细表 {statement.client.name} {statement.period}"])
    ws.append(["姓名", "身份证号", "险种", "类型", "所属月份", "缴费基数", "单位比例%", "个人比例%", "单位金额", "个人金额"])
    for l in lines:
        ws.append([l.employee.name, l.employee.id_number_masked, ITEM_LABELS[l.kind], l.get_source_display(),
                   l.for_period, l.base, l.employer_percent, l.employee_percent, l.employer_amount, l.employee_amount])
    ws.append(["合计", "", "", "", "", "", "", "", statement.employer_total, statement.employee_total])
    for row in ws.iter_rows(min_row=3, min_col=6, max_col=10):
        for cell in row:
            cell.number_format = "0.00"
    buf = io.BytesIO()
    wb.save(buf)
    resp = HttpResponse(buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="statement-{statement.period}-{statement.client_id}.xlsx"'
    return resp


@login_required
def hq_policies(request):
    """HQ 政策表: every city/year with its items; low-confidence rows marked."""
    if not hq_roles_of(request.user):
        raise Http404
    return render(request, "social_insurance/hq_policies.html", {
        "policies": policy_table(), "labels": ITEM_LABELS, "low": Confidence.LOW,
    })


@login_required
def hq_duplicates(request):
    """HQ 重复参保报告: masked ids, branch codes and counts only."""
    if not hq_roles_of(request.user):
        raise Http404
    period = _period(request)
    return render(request, "social_insurance/hq_duplicates.html", {
        "period": period, "rows": selectors.duplicate_report(period),
        "prev": add_months(period, -1), "next": add_months(period, 1),
    })
