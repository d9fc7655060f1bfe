"""HQ pages for paying people: who lacks payment data, one person's payment data (HQ finance
edits, HQ admin reads, everyone else 404)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from django.views.decorators.http import require_POST

from branches import roles as R
from branches.models import Branch
from branches.pages import page_roles
from hrsaas.core.formatting import format_period
from hrsaas.exports import name_attachment, readable_file_name

from ...templatetags.commission_format import period_label
from ..models import PayoutBatch

from . import files, paying, selectors, services
from .forms import PaymentProfileForm


def _require_read(request) -> None:
    if not selectors.may_read_payments(request.user):
        raise Http404


@page_roles(R.HQ_ANY)
@login_required
def people(request):
    """Every earner with their payment data (masked), those missing it first."""
    _require_read(request)
    branch = request.GET.get("branch") or ""
    missing_only = request.GET.get("missing") == "1"
    rows = [{"user": u, "profile": selectors.profile_of(u)} for u in selectors.earners(branch_code=branch or None)]
    missing = [r for r in rows if r["profile"] is None]
    shown = missing if missing_only else missing + [r for r in rows if r["profile"] is not None]
    return render(request, "commissions/payouts/people.html", {
        "rows": shown, "missing_count": len(missing), "total_count": len(rows),
        "branches": Branch.objects.exclude(schema_name="public").order_by("code"),
        "selected": {"branch": branch, "missing": missing_only},
        "may_edit": selectors.may_edit_payments(request.user),
    })


@page_roles(R.HQ_ANY)
@login_required
def person_payment(request, user_id: int):
    _require_read(request)
    person = selectors.access_earner(user_id)
    profile = selectors.profile_of(person)
    may_edit = selectors.may_edit_payments(request.user)
    if request.method == "POST":
        if not may_edit:  # HQ admin reads this page: refused, not hidden
            raise PermissionDenied
        form = PaymentProfileForm(request.POST)
        if form.is_valid():
            try:
                services.payment_profile_save(actor=request.user, user_id=person.pk, data=form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(request, _("已保存 %(n)s 的发放信息。") % {"n": person.label})
                return redirect("hq-payment-people")
    else:
        initial = {"account_name": person.label}
        if profile is not None:
            initial = {"employee_number": profile.employee_number, "account_name": profile.account_name,
                       "bank_name": profile.bank_name, "bank_branch": profile.bank_branch}
        form = PaymentProfileForm(initial=initial)
    return render(request, "commissions/payouts/person.html", {
        "person": person, "profile": profile, "form": form if may_edit else None, "may_edit": may_edit,
        "history": selectors.profile_history(person),
    })


@page_roles(R.HQ_ANY)
@login_required
def payout_file(request, period: str, kind: str, fmt: str, code: str | None = None):
    """The bank batch file or the payroll import file of a closed/paid period (one branch or
    every branch that locked it). HQ finance only: these files carry full account and identity
    numbers. Anyone lacking payment data stops the file (409, a page naming them)."""
    from ..views import _locked_branch, _period_arg

    _require_read(request)
    if kind not in ("bank", "payroll") or fmt not in ("csv", "xlsx"):
        raise Http404
    if not selectors.may_edit_payments(request.user):
        raise PermissionDenied
    if request.headers.get("Sec-Fetch-Site", "same-origin").strip().lower() not in ("same-origin", "none"):
        # A download is recorded (and then the batch can no longer be withdrawn): a link on another
        # site — a sibling subdomain included — must not do that with the signed-in finance
        # person's session (GET carries the cookie on a top-level navigation). Browsers say where
        # a request comes from; "none" is an address typed or bookmarked.
        raise PermissionDenied(_("请从本系统的发放页面下载文件(来自其他网站的链接不能下载)。"))
    period = _period_arg(period)
    branch = _locked_branch(code) if code else None
    try:
        rows = (files.bank_rows if kind == "bank" else files.payroll_item_rows)(period=period, branch=branch)
    except files.PayoutBlocked as exc:
        return render(request, "commissions/payouts/blocked.html", {
            "problems": exc.problems, "missing": exc.missing, "period": period, "branch": branch}, status=409)
    body = (files.bank_file if kind == "bank" else files.payroll_file)(rows, fmt, period)
    services.payout_file_recorded(actor=request.user, period=period, kind=kind, rows=rows)
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=content_type)
    name_attachment(response, f"{kind}-{code or 'all'}-{period}", readable_file_name(
        _("银行代发文件") if kind == "bank" else _("薪资导入文件"), branch.name if branch else _("全部分支机构"),
        format_period(period)), fmt)
    response["Cache-Control"] = "private, no-store"
    response["X-Payout-Rows"] = str(len(rows))
    response["X-Payout-Total"] = f"{files.total_of(rows):.2f}"
    return response


# The session key under which a refused re-typed total waits for the review page (PRG loses it).
TYPED_TOTAL = "payout-typed-total"


def _batch_step(request, batch_id: int, step) -> HttpResponse:
    from django.urls import reverse

    _require_read(request)
    if not selectors.may_edit_payments(request.user):
        raise PermissionDenied
    batch = PayoutBatch.objects.select_related("branch").filter(pk=batch_id).first()
    if batch is None:
        raise Http404
    here = reverse("hq-finance-paid", kwargs={"code": batch.branch.code, "period": batch.period})
    try:
        done = step(batch)
    except ValidationError as exc:
        for errs in exc.message_dict.values():
            for err in errs:
                messages.error(request, err)
        if "total" in exc.message_dict:  # the review page shows the total as typed, once
            request.session[TYPED_TOTAL] = [batch.pk, str(request.POST.get("total", ""))[:40]]
        return redirect(here)
    messages.success(request, done)
    return redirect(reverse("hq-finance") + "?branch=" + batch.branch.code)


@page_roles(R.HQ_ANY)
@login_required
@require_POST
def batch_confirm(request, batch_id: int):
    def step(batch):
        paying.payout_confirm(actor=request.user, batch_id=batch.pk, entered_total=request.POST.get("total"))
        return _("%(b)s %(p)s 已复核确认,已标记为已发放,已通知相关人员。") % {
            "b": batch.branch.name, "p": period_label(batch.period)}
    return _batch_step(request, batch_id, step)


@page_roles(R.HQ_ANY)
@login_required
@require_POST
def batch_withdraw(request, batch_id: int):
    def step(batch):
        paying.payout_withdraw(actor=request.user, batch_id=batch.pk)
        return _("已撤回 %(b)s %(p)s 的发放。") % {"b": batch.branch.name, "p": period_label(batch.period)}
    return _batch_step(request, batch_id, step)
