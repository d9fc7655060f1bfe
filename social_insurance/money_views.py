"""Client-money pages: the payments section of a fee statement (回款: record, list, reverse),
the branch's arrears aged per client (欠费账龄, with CSV/XLSX) and the client's own pages
(their account and the people insured through them). They call the same services and
selectors as the API (money_apis.py).

Who may open what (docs/security.md):
- payments section: the office records and reverses; a client contact reads their own
  statement's payments; anyone else never reaches the statement (404);
- arrears: the office; the money dates form: the branch manager;
- the client's pages: client contacts only (their company); everyone else 404."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches import roles as R
from branches.navigation import is_outsider
from branches.pages import page_roles
from branches.roles import Role, roles_in_branch
from hrsaas.exports import FORMATS, table_response
from hrsaas.core.period import Period

from . import engine, money_selectors as sel, services
from .selectors import access_statement, reads_insured_people, statement_money

MANAGERS = frozenset({Role.BRANCH_MANAGER, Role.HQ_ADMIN})


def bucket_labels() -> dict[str, str]:
    return {key: _(label) for key, label in engine.AGING_BUCKETS}


def statement_money_context(request, statement) -> dict:
    """What the fee statement page shows under the lines: the charges (服务费, 滞纳金 with its
    explanation), what is due, paid and owed, the payments, and — for the office — the forms."""
    _statement, payments = sel.payments_of(request.user, request.tenant, statement.pk)
    dates = sel.money_dates()
    return {
        "money": statement_money(statement), "charges": list(statement.charges.order_by("kind", "service")),
        "payments": payments, "money_dates": dates, "due_on": dates.due_on(statement.period),
        "deadline": dates.deadline(statement.period),
        "can_record": reads_insured_people(request.user, request.tenant),
        "for_client": is_outsider(roles_in_branch(request.user, request.tenant)),
        "today": timezone.localdate(),
    }


def _messages_from(request, exc: ValidationError) -> None:
    for errs in exc.message_dict.values():
        for err in errs:
            messages.error(request, err)


def _statement_url(request, pk: int) -> str:
    return f"/b/{request.tenant.code}/si/statements/{pk}/#payments"


@require_POST
@page_roles(R.OFFICE)
def payment_record(request, pk: int):
    """登记回款 from the statement page; a refusal comes back as a message, nothing saved."""
    access_statement(request.user, request.tenant, pk)
    try:
        payment = services.fee_payment_record(actor=request.user, statement_id=pk, data={
            k: request.POST.get(k, "") for k in ("amount", "paid_on", "reference", "note")})
    except ValidationError as exc:
        _messages_from(request, exc)
    else:
        from hrsaas.core.formatting import format_money

        messages.success(request, _("已登记回款 %(amount)s 元。") % {"amount": format_money(payment.amount)})
    return redirect(_statement_url(request, pk))


@require_POST
@page_roles(R.OFFICE)
def payment_reverse(request, pk: int, payment_id: int):
    """冲销 a wrongly recorded payment, with a reason (a negative payment naming it)."""
    statement = access_statement(request.user, request.tenant, pk)
    if not statement.payments.filter(pk=payment_id).exists():
        raise Http404
    try:
        services.fee_payment_reverse(actor=request.user, payment_id=payment_id, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        _messages_from(request, exc)
    else:
        messages.success(request, _("已冲销该笔回款。"))
    return redirect(_statement_url(request, pk))


# ---------------------------------------------------------------------------------------------
# 欠费账龄 (the office)
# ---------------------------------------------------------------------------------------------
@page_roles({"GET": R.OFFICE, "POST": R.MANAGER})
def arrears_page(request):
    if not reads_insured_people(request.user, request.tenant):
        raise Http404
    manager = bool(roles_in_branch(request.user, request.tenant) & MANAGERS)
    if request.method == "POST":
        if not manager:
            raise Http404
        try:
            services.money_policy_update(actor=request.user, data={
                k: request.POST.get(k, "") for k in ("payment_due_day", "contribution_due_day")})
        except ValidationError as exc:
            _messages_from(request, exc)
        else:
            messages.success(request, _("已保存回款日期设置。"))
        return redirect(f"/b/{request.tenant.code}/si/arrears/")
    owed = sel.arrears(request.user, request.tenant)
    labels = bucket_labels()
    if request.GET.get("format") in FORMATS:
        return _arrears_export(owed, request.GET["format"], labels)
    return render(request, "social_insurance/arrears.html", {
        "branch": request.tenant, "owed": owed, "labels": labels, "buckets": sel.BUCKETS, "manager": manager,
    })


def _arrears_export(owed, fmt: str, labels: dict):
    headers = [_("客户"), _("月份"), _("付款到期日"), _("应付"), _("已付"), _("未付"), _("逾期天数"), _("账龄")]
    rows = [[c.client_name, Period.parse(s.statement.period), s.due_on, s.due, s.paid, s.outstanding, s.days_overdue,
             labels[s.bucket]] for c in owed.clients for s in c.statements]
    rows.append([_("合计"), "", "", None, None, owed.total, None, ""])
    return table_response(fmt=fmt, filename=f"arrears-{owed.today.isoformat()}", title=_("应收账龄"),
                          headers=headers, rows=rows)


# ---------------------------------------------------------------------------------------------
# The client's own pages (客户联系人)
# ---------------------------------------------------------------------------------------------
def _require_contact(request) -> None:
    if Role.CLIENT_CONTACT not in roles_in_branch(request.user, request.tenant):
        raise Http404


def client_home_context(request) -> dict:
    """The client contact's workbench: their fee statements with what is due, paid and owed,
    their arrears by age and their payments."""
    account = sel.client_account(request.user, request.tenant)
    return {"account": account, "labels": bucket_labels(), "buckets": sel.BUCKETS}


@page_roles(R.CLIENT_CONTACTS)
def client_people(request):
    """参保人员: the people insured through the contact's company, with the month's contributions."""
    _require_contact(request)
    today = timezone.localdate()
    period = request.GET.get("period") or ""
    this_month = engine.period_of(today)
    try:
        engine.month_start(period)
    except engine.PolicyError:
        period = this_month
    people = sel.client_people(request.user, request.tenant, period, today)
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    statuses = {"active": _("在保"), "ended": _("已减员"), "upcoming": _("待参保")}
    return render(request, "social_insurance/client_people.html", {
        "branch": request.tenant, "period": period, "page": page, "statuses": statuses, "count": len(people),
        # No link past this month: a month that has not begun has no contributions to show.
        "prev": engine.add_months(period, -1),
        "next": engine.add_months(period, 1) if period < this_month else None,
        "query": f"period={period}",
    })
