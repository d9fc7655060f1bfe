"""基数争议 pages: raise a dispute from a person's record, the list (open / resolved / rejected,
by month) reached from the 社保 board, and a dispute's page — the month's base as it stands, the
claimed one, what resolving would post (补缴/退费 per item, and the month it lands in) — where the
office resolves or rejects it with a note. They call the services the API calls
(services.dispute_raise / dispute_resolve / dispute_reject).

Who: the office (branch manager, 人事/运营) and HQ admins, the roles of the API's resolve and of
a person's record. Anyone else: 404, and nothing written."""
from __future__ import annotations

import dataclasses

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches import roles as R
from branches.pages import page_roles
from commissions.templatetags.commission_format import period_label
from hrsaas.core.formatting import format_money

from . import dispute_selectors as sel
from . import employee_selectors, services
from .engine import ITEM_LABELS, PolicyError, month_start
from .forms import DisputeRaiseForm, DisputeRejectForm, DisputeResolveForm
from .models import DisputeStatus

PER_PAGE = 50


def _require(request) -> None:
    if not sel.reads_disputes(request.user, request.tenant):
        raise Http404


def _url(request, dispute_id: int | None = None) -> str:
    base = f"/b/{request.tenant.code}/si/disputes/"
    return f"{base}{dispute_id}/" if dispute_id else base


@page_roles(R.OFFICE)
def dispute_new(request, pk: int):
    """提出基数争议 for one of the person's filed months."""
    _require(request)
    employee = employee_selectors.access_employee(request.user, request.tenant, pk)
    months = sel.disputable_months(employee)
    form = DisputeRaiseForm(request.POST if request.method == "POST" else None,
                            months=[(m, period_label(m)) for m in months],
                            initial={"period": request.GET.get("period") or (months[0] if months else "")})
    if request.method == "POST":
        form.is_valid()
        data = form.service_data()
        try:
            dispute = services.dispute_raise(actor=request.user, employee_id=employee.pk, period=data["period"],
                                             claimed_wage=data["claimed_wage"], reason=data["reason"])
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("已提出基数争议:%(name)s %(month)s,主张申报工资 %(wage)s 元。") % {
                "name": employee.name, "month": period_label(dispute.period), "wage": format_money(dispute.claimed_base)})
            return redirect(_url(request, dispute.pk))
    return render(request, "social_insurance/dispute_new.html", {
        "branch": request.tenant, "employee": employee, "form": form, "months": months,
    }, status=400 if form.errors else 200)


def _status_labels() -> list[tuple[str, str]]:
    return [("open", _("待处理")), ("resolved", _("已更正")), ("rejected", _("已驳回")), ("all", _("全部"))]


@page_roles(R.OFFICE)
def dispute_list(request):
    _require(request)
    status = request.GET.get("status") or "open"
    if status not in sel.STATUS_FILTERS:
        status = "open"
    period = (request.GET.get("period") or "").strip()
    if period:
        try:
            month_start(period)
        except PolicyError as exc:
            messages.error(request, exc.message)
            period = ""
    qs = sel.disputes_visible_to(request.user, request.tenant, status=status, period=period or None)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "social_insurance/disputes.html", {
        "branch": request.tenant, "page": page, "disputes": list(page.object_list), "status": status,
        "period": period, "statuses": _status_labels(), "query": query.urlencode(),
    })


_ITEM_ORDER = {kind: i for i, kind in enumerate(ITEM_LABELS)}


def _detail(request, dispute, *, resolve_form=None, reject_form=None, status: int = 200):
    is_open = dispute.status == DisputeStatus.OPEN
    preview, preview_error = None, ""
    if is_open:
        resolve_form = resolve_form or DisputeResolveForm(prefix="resolve", initial={
            "corrected_wage": request.GET.get("wage") or f"{dispute.claimed_base:.2f}"})
        reject_form = reject_form or DisputeRejectForm(prefix="reject")
        wage = resolve_form["corrected_wage"].value() if resolve_form.is_bound else (
            request.GET.get("wage") or f"{dispute.claimed_base:.2f}")
        try:
            preview = services.dispute_preview(dispute=dispute, corrected_wage=(wage or "").strip())
        except ValidationError as exc:
            preview_error = " ".join(m for ms in exc.message_dict.values() for m in ms)
    posted = list(sel.posted_lines(dispute)) if dispute.status == DisputeStatus.RESOLVED else []
    for line in posted:
        line.kind_label = ITEM_LABELS.get(line.kind, line.kind)
    current = sel.month_base(dispute)
    return render(request, "social_insurance/dispute_detail.html", {
        "branch": request.tenant, "d": dispute, "is_open": is_open, "current": current,
        "current_items": [dict(dataclasses.asdict(i), label=ITEM_LABELS.get(i.kind, i.kind)) for i in current.items],
        "preview": preview, "preview_error": preview_error, "posted": posted,
        # In the items' own order (养老, 医疗 …), as the month's table above them reads.
        "preview_lines": [dict(dataclasses.asdict(l), label=ITEM_LABELS.get(l.kind, l.kind))
                          for l in sorted(preview.lines, key=lambda l: _ITEM_ORDER.get(l.kind, len(_ITEM_ORDER)))]
        if preview else [],
        "posted_employer": sum(l.employer_amount for l in posted), "posted_employee": sum(l.employee_amount for l in posted),
        "resolve_form": resolve_form, "reject_form": reject_form,
    }, status=status)


@page_roles(R.OFFICE)
def dispute_detail(request, pk: int):
    _require(request)
    return _detail(request, sel.access_dispute(request.user, request.tenant, pk))


@require_POST
@page_roles(R.OFFICE)
def dispute_resolve(request, pk: int):
    """更正: the 补缴/退费 lines posted in the first month not filed (services.dispute_resolve)."""
    _require(request)
    dispute = sel.access_dispute(request.user, request.tenant, pk)
    form = DisputeResolveForm(request.POST, prefix="resolve")
    form.is_valid()
    data = form.service_data()
    try:
        done = services.dispute_resolve(actor=request.user, dispute_id=dispute.pk,
                                        corrected_wage=data["corrected_wage"], note=data["note"])
    except ValidationError as exc:
        form.add_service_errors(exc.message_dict)
        return _detail(request, dispute, resolve_form=form, status=400)
    messages.success(request, _("已更正%(name)s %(month)s的基数:补缴/退费计入 %(target)s。") % {
        "name": done.employee.name, "month": period_label(done.period), "target": period_label(done.settled_in_period)})
    return redirect(_url(request, done.pk))


@require_POST
@page_roles(R.OFFICE)
def dispute_reject(request, pk: int):
    """驳回: the filed base stands; the reason is kept with the dispute."""
    _require(request)
    dispute = sel.access_dispute(request.user, request.tenant, pk)
    form = DisputeRejectForm(request.POST, prefix="reject")
    form.is_valid()
    try:
        done = services.dispute_reject(actor=request.user, dispute_id=dispute.pk, note=form.service_data()["note"])
    except ValidationError as exc:
        form.add_service_errors(exc.message_dict)
        return _detail(request, dispute, reject_form=form, status=400)
    messages.success(request, _("已驳回%(name)s %(month)s的基数争议。") % {
        "name": done.employee.name, "month": period_label(done.period)})
    return redirect(_url(request, done.pk))
