"""Branch workspace pages at /b/<code>/commissions/…: the manager's period overview and close,
statements with each line's explanation, and the staff's entry of 开户, 销售, 线索 and 签约 and
the CSV/XLSX import. They call the same services and selectors as the API.

BranchAccessMiddleware has already checked login and branch membership. Then: statements are
for earners (their own only), staff, managers and HQ (`commissions.selectors` scopes them);
entering data needs branch staff or manager, closing a period the manager (403 otherwise);
client contacts and anyone else get 404."""
from __future__ import annotations

import json
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from branches import roles as R
from branches.pages import page_roles
from hrsaas.core.formatting import file_forms, format_date, format_period
from hrsaas.core.period import valid_period

from branches.models import BranchMembership, User
from branches.roles import BRANCH_READ_ALL, EARNER_ROLES, HQ_ROLES, Role, may_close_month, roles_in_branch
from hrsaas.core.branch import request_branch
from hrsaas.core.labels import label
from hrsaas.core.people import names_told_apart
from clients import services as client_services
from clients.models import Client, Service

from . import imports, inputs, prepared, selectors, services, statement_exports
from .forms import (
    ClientForm,
    CloseForm,
    ImportForm,
    LeadForm,
    LeadSignForm,
    SaleForm,
)
from .hq.models import BranchPeriod, EarnerMonthRollup
from .models import Adjustment, Lead, RecomputeMarker
from hrsaas.core.inputs import record_id

# The workspace: the office (manager and staff record the events), earners and HQ.
READ_ROLES = frozenset({Role.BRANCH_MANAGER, Role.BRANCH_STAFF}) | EARNER_ROLES | HQ_ROLES
# Statements are pay (薪酬保密): every one for the manager and HQ, one's own for an earner; branch
# staff record what makes them and see the branch's openings and sales, not what they pay.
PAY_ROLES = BRANCH_READ_ALL | EARNER_ROLES | HQ_ROLES
WRITE_ROLES = frozenset({Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.HQ_ADMIN})
CLOSE_ROLES = frozenset({Role.BRANCH_MANAGER})  # and by membership, not implicitly as HQ admin (is_branch_manager)
OVERVIEW_MONTHS = 12
LEADS_SHOWN = 100


# ---------------------------------------------------------------------------------------------
# Guards and small helpers
# ---------------------------------------------------------------------------------------------
def _roles(request) -> frozenset[str]:
    roles = roles_in_branch(request.user, request.tenant)
    if not roles & READ_ROLES:
        raise Http404
    return roles


def _require(request, allowed: frozenset[str]) -> frozenset[str]:
    roles = _roles(request)
    if not roles & allowed:
        raise PermissionDenied
    return roles


def _posted(request):
    """The POST data of a POST (even an empty one, which must still be validated), else None."""
    return request.POST if request.method == "POST" else None


def _period(value: str) -> str:
    errors = inputs.Errors()
    period = inputs.parse_period({"period": value}, "period", errors)
    if errors.errors:
        raise Http404
    return period


def _this_month() -> str:
    today = timezone.localdate()
    return f"{today.year:04d}-{today.month:02d}"


def _earner_choices(branch) -> list[tuple[str, str]]:
    """(value, label) of the branch's earners, for the entry forms' suggestions. The value is what
    a suggestion puts in the box: the name people know them by, which the fields accept
    (`inputs.earner_by_name`); where two share one, the sign-in name, which the field then asks
    for, and the label shows it beside the name."""
    rows = list(BranchMembership.objects.filter(branch=branch, role__in=list(EARNER_ROLES), user__is_active=True)
                .values_list("user__username", "user__display_name").distinct().order_by("user__username"))
    labels = names_told_apart([(d or u, (u,)) for u, d in rows])
    # The fields read a username first (any branch's), so a name that is also someone's sign-in
    # name would pick that someone: such a person's suggestion stays their own sign-in name.
    names = {d for (_u, d), label in zip(rows, labels) if d and label == d}
    taken = set(User.objects.filter(username__in=names).values_list("username", flat=True)) if names else set()
    return [(label if d and label == d and d not in taken else u, label) for (u, d), label in zip(rows, labels)]


def _service_errors(form, exc: ValidationError) -> None:
    form.add_service_errors(exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages})


def sum_money(values) -> Decimal:
    """The sum of the selectors' "1234.50" strings, exactly."""
    return sum((Decimal(v) for v in values), Decimal("0.00"))


def _nav(request, roles, active: str) -> dict:
    # Closing the month is the branch's own manager's (HQ admin reads the branch, does not close it).
    return {"nav_active": active, "may_write": bool(roles & WRITE_ROLES),
            "may_close": may_close_month(request.user, request_branch(request)),
            "reads_all": bool(roles & (BRANCH_READ_ALL | HQ_ROLES)), "sees_pay": bool(roles & PAY_ROLES),
            "this_month": _this_month()}  # a month is closed once it has ended (services.period_close)


# ---------------------------------------------------------------------------------------------
# Workspace home: periods (from the public rollup, one query), pending adjustments
# ---------------------------------------------------------------------------------------------
@page_roles(R.INSIDERS)
def home(request):
    roles = _roles(request)
    branch = request.tenant
    nav = _nav(request, roles, "home")
    rollup = EarnerMonthRollup.objects.filter(branch=branch)
    if nav["sees_pay"] and not nav["reads_all"]:  # an earner: their own months
        rollup = rollup.filter(user=request.user)
    figures = {r["period"]: r for r in rollup.values("period").annotate(
        total=Sum("commission"), people=Count("user_id"), openings=Sum("openings"), sales=Sum("sales_amount"))
        .order_by("-period")[:OVERVIEW_MONTHS]}
    periods = sorted(set(figures) | {_this_month()}, reverse=True)[:OVERVIEW_MONTHS]
    statuses = dict(BranchPeriod.objects.filter(branch=branch, period__in=periods).values_list("period", "status"))
    through = max((p for p, s in statuses.items() if s != BranchPeriod.Status.OPEN), default=None)
    rows = [{"period": p, "status": statuses.get(p, BranchPeriod.Status.CLOSED if through and p < through
                                                     else BranchPeriod.Status.OPEN), **figures.get(p, {})}
            for p in periods]
    # 关账 is offered for the earliest month still open only: months close in order.
    closable = services.earliest_open_period(branch) if nav["may_close"] else None
    pending = (Adjustment.objects.filter(status=Adjustment.Status.PROPOSED).count()
               if roles & {Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.HQ_ADMIN, Role.HQ_FINANCE} else None)
    return render(request, "commissions/workspace.html", {
        **nav, "branch": branch, "rows": rows, "pending": pending, "this_month": _this_month(),
        "closable": closable})


# ---------------------------------------------------------------------------------------------
# Period close (branch manager)
# ---------------------------------------------------------------------------------------------
@page_roles(R.MANAGER, forbidden_to=R.INSIDERS)
def period_close(request, period: str):
    roles = _require(request, CLOSE_ROLES)
    period = _period(period)
    branch = request.tenant
    if not may_close_month(request.user, branch):
        raise PermissionDenied(_("只有本分支机构的经理可以关账。"))
    form = CloseForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.period_close(actor=request.user, period=period)
        except ValidationError as exc:
            for errs in exc.message_dict.values():
                for err in errs:
                    form.add_error(None, err)
        else:
            messages.success(request, _("%(p)s 已关账,提成单已锁定。") % {"p": format_period(period)})
            return redirect("cm-statements", period=period)
    statements = selectors.statements_visible_to(request.user, branch, period)
    status = statements[0]["status"] if statements else services.period_status(branch, period)
    return render(request, "commissions/period_close.html", {
        **_nav(request, roles, "home"), "period": period, "status": status, "statements": statements,
        "line_count": sum(s["line_count"] for s in statements),
        "total": sum_money(s["total"] for s in statements),
        "pending_recompute": RecomputeMarker.objects.filter(period=period).exists(), "form": form,
        "is_open": status == BranchPeriod.Status.OPEN, "ended": period < _this_month(),
        "earlier_open": (services.earliest_open_period(branch, before=period)
                         if status == BranchPeriod.Status.OPEN else None),
    })


# ---------------------------------------------------------------------------------------------
# Statements: the list of a period (a specialist sees only their own) and one with its lines
# ---------------------------------------------------------------------------------------------
@page_roles(R.INSIDERS)
def statements_index(request):
    _require(request, PAY_ROLES)
    value = request.GET.get("period") or _this_month()
    if not valid_period(value):
        value = _this_month()
    return redirect("cm-statements", period=value)


@page_roles(R.INSIDERS)
def statements(request, period: str):
    roles = _require(request, PAY_ROLES)
    period = _period(period)
    branch = request.tenant
    rows = selectors.statements_visible_to(request.user, branch, period)
    fmt = request.GET.get("format")
    if fmt in statement_exports.FORMATS:  # the same rows as the page: a specialist's own only
        return statement_exports.statements_response(rows, fmt=fmt, branch=branch, period=period)
    status = rows[0]["status"] if rows else services.period_status(branch, period)
    return render(request, "commissions/statements.html", {
        **_nav(request, roles, "statements"), "period": period, "rows": rows, "status": status,
        "line_count": sum(r["line_count"] for r in rows), "total": sum_money(r["total"] for r in rows),
        "receipt_rate": _receipt_rate(roles, branch, period),
    })


def _receipt_rate(roles, branch, period: str):
    """电子工资条 confirmation rate: for those who read every statement (manager, HQ)."""
    if not roles & (BRANCH_READ_ALL | HQ_ROLES):
        return None
    from django_tenants.utils import schema_context

    from .hq.payouts.selectors import branch_receipt_rate

    with schema_context("public"):
        return branch_receipt_rate(branch, period)


@page_roles(R.INSIDERS)
def statement(request, period: str, username: str):
    roles = _require(request, PAY_ROLES)
    period = _period(period)
    lang = "en" if (get_language() or "").startswith("en") else "zh"
    fmt = request.GET.get("format")
    if fmt in statement_exports.FORMATS:
        # Read afresh rather than from the prepared body: a file is downloaded rarely, and the
        # lines' client names (its 客户 column) are not in bodies prepared before they were added.
        with file_forms():  # the explanations' dates as the file writes dates
            data = selectors.access_statement(request.user, request.tenant, username, period, lang=lang)
        return statement_exports.statement_response(data, fmt=fmt, branch=request.tenant)
    data = json.loads(prepared.statement_json(request.user, request.tenant, username, period, lang=lang))
    for line in data["lines"]:
        line["title"] = label("component", line["component"])  # every line's kind, 申诉调整 included
    awaiting = selectors.sales_awaiting(data["username"], request.tenant, period)
    return render(request, "commissions/statement.html", {**_nav(request, roles, "statements"), "s": data,
                                                          "awaiting": awaiting})


# ---------------------------------------------------------------------------------------------
# Entry: 开户, 销售, 线索, 签约 (branch staff and managers) — the API's services
# ---------------------------------------------------------------------------------------------
def _record(request, *, roles, form, parse, create, success, template_context) -> object:
    """Validate with the form and the service parser, write with the service, redirect (PRG)."""
    duplicate_of = None
    if request.method == "POST":
        form.is_valid()
        parsed = None
        try:
            parsed = parse(form.service_data())
        except ValidationError as exc:
            _service_errors(form, exc)
        if parsed is not None and not form.errors:
            try:
                obj = create(parsed)
            except ValidationError as exc:
                _service_errors(form, exc)
                duplicate_of = getattr(exc, "duplicate_of", None)  # a client already recorded: link to it
            else:
                messages.success(request, success(obj))
                return redirect(request.path)
    return render(request, "commissions/record.html", {
        **_nav(request, roles, "record"), "form": form, "earners": _earner_choices(request.tenant),
        "duplicate_of": duplicate_of, **template_context})


@page_roles(R.OFFICE, forbidden_to=R.INSIDERS)
def record_client(request):
    roles = _require(request, WRITE_ROLES)
    return _record(
        request, roles=roles, form=ClientForm(_posted(request), initial={
            "opened_on": timezone.localdate().isoformat(), "services": [Service.SOCIAL_INSURANCE]}),
        parse=client_services.parse_client,
        create=lambda data: client_services.client_create(actor=request.user, data=data),
        success=lambda c: _("已录入开户:%(name)s(客户编号 %(id)d),提成将在几秒内更新。") % {"name": c.name, "id": c.pk},
        template_context={"title": _("录入开户"), "intro": _("开户即客户签约开户;开户人按员工人数档位获得开户奖励。"),
                          "testid": "record-client"})


def _recent_clients() -> list[tuple[int, str]]:
    return list(Client.objects.filter(closed_on__isnull=True).order_by("-id").values_list("pk", "name")[:50])


@page_roles(R.OFFICE, forbidden_to=R.INSIDERS)
def record_sale(request):
    roles = _require(request, WRITE_ROLES)

    def parse(data: dict):
        """A client by id or by its unique name (as in imports); every field's problem at once."""
        client_errors = {}
        if data.get("client") and record_id(data["client"]) is None:
            try:
                data = dict(data, client=imports._client_id(data["client"]))
            except ValidationError as exc:
                client_errors = exc.message_dict
        try:
            parsed = services.parse_sale(data)
        except ValidationError as exc:
            raise ValidationError({**exc.message_dict, **client_errors})
        if client_errors:
            raise ValidationError(client_errors)
        return parsed

    return _record(
        request, roles=roles, form=SaleForm(_posted(request), initial={"period": _this_month()}),
        parse=parse, create=lambda data: services.sale_create(actor=request.user, data=data),
        success=lambda s: _("已录入销售:%(c)s,%(p)s,%(a)s 元。") % {"c": s.client.name, "p": format_period(s.period),
                                                             "a": f"{s.amount:,.2f}"},
        template_context={"title": _("录入销售"), "intro": _("客户某项服务某月的计费金额;同一客户、服务和月份只能录入一次。"),
                          "testid": "record-sale", "clients": _recent_clients()})


@page_roles(R.OFFICE, forbidden_to=R.INSIDERS)
def leads(request):
    roles = _require(request, WRITE_ROLES)
    open_leads = list(Lead.objects.filter(signed_on__isnull=True).order_by("-created_on", "-id")[:LEADS_SHOWN])
    signed = list(Lead.objects.filter(signed_on__isnull=False).order_by("-signed_on", "-id")[:20])
    ids = {x for lead in open_leads + signed for x in (lead.marketer_id, lead.seller_id) if x}
    names = {pk: (d or u) for pk, u, d in User.objects.filter(pk__in=ids).values_list("pk", "username", "display_name")}
    for lead in open_leads + signed:
        lead.marketer_label, lead.seller_label = names.get(lead.marketer_id, ""), names.get(lead.seller_id, "")
    return _record(
        request, roles=roles, form=LeadForm(_posted(request), initial={"qualified": True}),
        parse=services.parse_lead, create=lambda data: services.lead_create(actor=request.user, data=data),
        success=lambda lead: _("已录入线索 #%(id)d:%(n)s。") % {"id": lead.pk, "n": lead.name},
        template_context={"title": _("线索"), "intro": _("市场线索签约后市场与成交销售分成;销售自拓线索由销售独享分成。"),
                          "testid": "leads", "open_leads": open_leads, "signed_leads": signed})


@page_roles(R.OFFICE, forbidden_to=R.INSIDERS)
def lead_sign(request, lead_id: int):
    roles = _require(request, WRITE_ROLES)
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None:
        raise Http404
    if lead.signed_on is not None and request.method != "POST":
        messages.info(request, _("该线索已于 %(d)s 签约。") % {"d": format_date(lead.signed_on)})
        return redirect("cm-leads")
    response = _record(
        request, roles=roles,
        form=LeadSignForm(_posted(request), initial={"signed_on": timezone.localdate().isoformat()}),
        parse=services.parse_lead_sign,
        create=lambda data: services.lead_sign(actor=request.user, lead_id=lead.pk, data=data),
        success=lambda lead: _("线索 #%(id)d 已签约,%(a)s 元。") % {"id": lead.pk, "a": f"{lead.amount:,.2f}"},
        template_context={"title": _("线索签约:%(n)s") % {"n": lead.name}, "testid": "lead-sign", "lead": lead,
                          "intro": _("签约后按线索来源计算市场和销售分成。")})
    if response.status_code == 302:
        return redirect("cm-leads")
    return response


# ---------------------------------------------------------------------------------------------
# Import (CSV/XLSX, all or nothing) with an HTMX progress indicator
# ---------------------------------------------------------------------------------------------
COLUMN_LABELS = {"name": _("客户名称"), "headcount": _("员工人数"), "opened_on": _("开户日期"), "opened_by": _("开户人"),
                 "services": _("服务"), "contract_no": _("合同编号"), "city": _("参保城市"), "client": _("客户"),
                 "service": _("服务"), "period": _("期间"), "amount": _("金额"), "seller": _("销售人员")}


# The import templates: the Chinese headers the importer reads, and one example row to replace.
IMPORT_TEMPLATES = {
    "clients": (["客户名称", "员工人数", "开户日期", "开户人", "服务", "合同编号", "参保城市", "客户等级", "统一社会信用代码"],
                ["示例科技有限公司", 60, "2026-01-15", "专员账号", "社保代缴、公积金代缴", "HT-2026-0001", "北京", "普通", ""]),
    "sales": (["客户", "服务", "期间", "金额", "销售人员", "新增服务"],
              ["示例科技有限公司", "社保代缴", "2026-01", "100000.00", "专员账号", "否"]),
}


@page_roles(R.OFFICE, forbidden_to=R.INSIDERS)
def import_template(request, kind: str, fmt: str):
    """A template to fill in (XLSX or CSV, UTF-8 with BOM), written by the one export writer."""
    from django.http import HttpResponse

    from hrsaas import exports

    _require(request, WRITE_ROLES)
    if kind not in IMPORT_TEMPLATES or fmt not in ("csv", "xlsx"):
        raise Http404
    headers, example = IMPORT_TEMPLATES[kind]
    if fmt == "csv":
        body, content_type = exports.csv_bytes([headers, example]), exports.CSV_CONTENT_TYPE
    else:
        sheet = exports.Sheet(_("客户开户") if kind == "clients" else _("销售"))
        sheet.append(headers)
        sheet.append(example)
        body, content_type = sheet.bytes(), exports.XLSX_CONTENT_TYPE
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="import-{kind}-template.{fmt}"'
    return response


@page_roles(R.OFFICE, forbidden_to=R.INSIDERS)
def import_page(request):
    roles = _require(request, WRITE_ROLES)
    form = ImportForm(_posted(request), request.FILES if request.method == "POST" else None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = imports.import_file(actor=request.user, kind=form.cleaned_data["kind"],
                                         upload=form.cleaned_data["file"])
        except ValidationError as exc:
            for errs in exc.message_dict.values():
                for err in errs:
                    form.add_error("file", err)
        else:
            for e in report["errors"]:
                e["column_label"] = COLUMN_LABELS.get(e["column"], e["column"])
    context = {**_nav(request, roles, "import"), "form": form, "report": report,
               "headers": {k: [h for h in imports.HEADERS[k] if not h.isascii()] for k in imports.HEADERS}}
    if request.headers.get("HX-Request"):
        return render(request, "commissions/_import_panel.html", context)
    return render(request, "commissions/import.html", context)
