"""The specialist's phone-first portal (/b/<code>/me/…) and the branch manager's review list
(/b/<code>/review/…). BranchAccessMiddleware has already checked login and branch membership;
ownership is checked by the selectors (the same 404 for "missing" and "not yours")."""
from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from branches import roles as R
from branches.pages import page_roles
from branches.roles import Role, may_read_commission_amounts, roles_in_branch
from branches.uploads import serve_branch_file
from commissions.engine import BranchRef, period_of
from commissions.services import rulebook_load
from hrsaas.core.formatting import format_period
from hrsaas.core.period import Period, valid_period

from . import engine, forms, selectors, services
from .models import InquiryEvent, RewardClaim



def _metrics(request) -> tuple[str, ...]:
    """The boards this person may see: by commission amount only managers and HQ (薪酬保密);
    everyone else ranks by openings and sales."""
    return selectors.METRICS if may_read_commission_amounts(request.user, request.tenant) else ("openings", "sales")


def _metric(request) -> str:
    metric = request.GET.get("metric", "openings")
    return metric if metric in _metrics(request) else "openings"


def _period(value: str) -> str:
    if not valid_period(value):
        raise Http404
    return value


def _require_reviewer(request):
    if not selectors.is_reviewer(request.user, request.tenant):
        raise Http404


def _live_context(request) -> dict:
    today = timezone.localdate()
    metric = _metric(request)
    return {"figures": selectors.my_figures(request.user, request.tenant, period_of(today)),
            "boards": selectors.boards(request.user, request.tenant, today, metric), "metric": metric,
            "metrics": _metrics(request), "now": timezone.now()}


# ---------------------------------------------------------------------------------------------
# Home, live figures, statement
# ---------------------------------------------------------------------------------------------
def _my_leads(request, period: str) -> list[dict]:
    """Marketing and sales lead with their own leads (a marketer's month as the points scheme sees
    it; a seller's signings and the leads they follow up), before the boards; someone doing both
    sees both."""
    from commissions import lead_selectors

    roles = roles_in_branch(request.user, request.tenant)
    cards = []
    if R.Role.MARKETING in roles:
        cards.append({"kind": "marketing", **lead_selectors.marketing_figures(request.user.pk, period)})
    if R.Role.SALES in roles:
        cards.append({"kind": "sales", **lead_selectors.sales_figures(request.user.pk, period)})
    return cards


@require_GET
@page_roles(R.INSIDERS)
def home(request):
    today = timezone.localdate()
    context = _live_context(request)
    trend = selectors.my_trend(request.user, request.tenant, today)
    context.update(trend=trend, period=period_of(today), lead_cards=_my_leads(request, period_of(today)),
                   is_reviewer=selectors.is_reviewer(request.user, request.tenant),
                   # the months on the chart's axis as the table beside it says them (2026年7月)
                   chart_labels={"commission": _("提成(元)"), "openings": _("开户(户)"),
                                 "months": [format_period(t["period"]) for t in trend]})
    return render(request, "portal/home.html", context)


@require_GET
@page_roles(R.INSIDERS)
def live(request):
    """The fragment htmx polls every 5 s: this month's figures and the leaderboards."""
    return render(request, "portal/_live.html", _live_context(request))


@require_GET
@page_roles(R.INSIDERS)
def statement(request, period: str):
    period = _period(period)
    stmt = selectors.my_statement(request.user, request.tenant, period)
    from commissions.selectors import sales_awaiting

    from commissions.hq.models import StatementReceipt

    awaiting = sales_awaiting(request.user.username, request.tenant, period)
    # A closed statement is the person's 电子工资条: confirmed here, in one tap on its own page.
    receipt = StatementReceipt.objects.filter(branch=request.tenant, period=period, earner=request.user).first()
    # Earlier months one tap away (a person checks last month's pay); none after the current one.
    this_month = period_of(timezone.localdate())
    return render(request, "portal/statement.html", {
        "stmt": stmt, "period": period, "awaiting": awaiting, "receipt": receipt,
        "previous": str(Period.parse(period).previous()),
        "next": str(Period.parse(period).next()) if period < this_month else None})


@require_GET
@page_roles(R.INSIDERS)
def statement_current(request):
    return redirect("portal-statement", period=period_of(timezone.localdate()))


@require_http_methods(["GET", "POST"])
@page_roles(R.INSIDERS)
def line(request, period: str, key: str):
    """One line explained, and the form to raise an inquiry about it."""
    period = _period(period)
    ln = selectors.access_line(request.user, request.tenant, period, key)
    form = forms.InquiryForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            inquiry = services.inquiry_raise(actor=request.user, branch=request.tenant, period=period, key=key,
                                             comment=form.cleaned_data["comment"],
                                             attachment=form.cleaned_data.get("attachment"))
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("申诉 #%(id)d 已提交,经理将在 %(n)d 个工作日内答复。")
                             % {"id": inquiry.pk, "n": selectors.sla_working_days()})
            return redirect("portal-inquiry", inquiry_id=inquiry.pk)
    return render(request, "portal/line.html", {"line": ln, "period": period, "form": form,
                                                "status": 400 if form.errors else 200},
                  status=400 if form.errors else 200)


# ---------------------------------------------------------------------------------------------
# Estimator (估算)
# ---------------------------------------------------------------------------------------------
@require_GET
@page_roles(R.INSIDERS)
def estimate(request):
    # Marketing earns from its leads (市场线索分成), sales from the leads it finds and signs too:
    # their estimate takes a lead's amount (the review saw marketing offered openings and sales only).
    roles = roles_in_branch(request.user, request.tenant)
    lead_role = "marketer" if Role.MARKETING in roles else "seller" if Role.SALES in roles else None
    bound = any(k in request.GET for k in forms.EstimateForm.base_fields)
    form = forms.EstimateForm(request.GET if bound else None, lead_role=lead_role)
    result = None
    if bound and form.is_valid():
        d = form.cleaned_data
        branch = request.tenant
        result = engine.estimate(
            today=timezone.localdate(), branch=BranchRef(branch.id, branch.code), earner_id=request.user.pk,
            data=engine.EstimateInput(openings=d["openings"], headcount=d["headcount"],
                                      sales_amount=d["sales_amount"], service=d["service"],
                                      new_client=d["client_type"] == "new",
                                      lead_amount=d.get("lead_amount") or Decimal("0.00"), lead_role=lead_role),
            rules=rulebook_load())
    return render(request, "portal/estimate.html", {"form": form, "result": result},
                  status=400 if bound and form.errors else 200)


# ---------------------------------------------------------------------------------------------
# Reward claims
# ---------------------------------------------------------------------------------------------
def _tiers() -> list[str]:
    version = selectors.opening_rule_on(timezone.localdate())
    return engine.tier_labels(version.rule) if version else []


@require_http_methods(["GET", "POST"])
@page_roles({"GET": R.INSIDERS, "*": R.EARNER_ROLES})
def claims(request):
    clients = selectors.claimable_clients(request.user)
    form = forms.ClaimForm(request.POST or None, request.FILES or None, clients=clients, tiers=_tiers())
    if request.method == "POST" and form.is_valid():
        try:
            data = services.parse_claim(request.POST, request.FILES.getlist("photos"))
            claim = services.claim_submit(actor=request.user, branch=request.tenant, data=data)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            if claim.status == RewardClaim.Status.APPROVED:
                messages.success(request, _("申领 #%(id)d 已自动审核通过。") % {"id": claim.pk})
            else:
                messages.error(request, _("申领 #%(id)d 未通过:%(reason)s") % {"id": claim.pk, "reason": claim.reason})
            return redirect("portal-claim", claim_id=claim.pk)
    mine = selectors.claims_visible_to(request.user, request.tenant).filter(claimant_id=request.user.pk)[:50]
    return render(request, "portal/claims.html", {"form": form, "claims": mine, "clients": clients},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@page_roles(R.INSIDERS)
def claim_detail(request, claim_id: int):
    claim = selectors.access_claim(request.user, request.tenant, claim_id)
    reviewer = selectors.is_reviewer(request.user, request.tenant)
    form = forms.OverrideForm(request.POST or None) if reviewer else None
    if request.method == "POST":
        if not reviewer:
            raise Http404
        if form.is_valid():
            try:
                services.claim_override(actor=request.user, branch=request.tenant, claim_id=claim.pk,
                                        approve=form.cleaned_data["decision"] == "approve",
                                        note=form.cleaned_data["note"])
            except ValidationError as exc:
                forms.add_service_errors(form, exc)
            else:
                messages.success(request, _("申领 #%(id)d 已改判。") % {"id": claim.pk})
                return redirect("portal-claim", claim_id=claim.pk)
    names = selectors.names_of({claim.claimant_id, claim.overridden_by_id} - {None})
    return render(request, "portal/claim_detail.html", {
        # The reviewer reads which client was claimed; the claimant not a colleague's client.
        "claim": claim, "form": form, "names": names, "tiers": _tiers(), "reviewer": reviewer,
        "history": claim.history.order_by("history_date", "history_id")},
        status=400 if form is not None and form.errors else 200)


@require_GET
@page_roles(R.INSIDERS)
def claim_photo(request, claim_id: int, photo_id: int):
    claim = selectors.access_claim(request.user, request.tenant, claim_id)
    photo = claim.photos.filter(pk=photo_id).first()
    if photo is None:
        raise Http404
    return serve_branch_file(photo.file.name, download_name=photo.original_name)


# ---------------------------------------------------------------------------------------------
# Inquiries (申诉)
# ---------------------------------------------------------------------------------------------
@require_GET
@page_roles(R.INSIDERS)
def inquiries(request):
    items = list(selectors.inquiries_visible_to(request.user, request.tenant).filter(raised_by_id=request.user.pk))
    now = timezone.now()
    for inq in items:
        inq.is_overdue = selectors.overdue(inq, now)
    return render(request, "portal/inquiries.html", {"inquiries": items})


@require_http_methods(["GET", "POST"])
@page_roles(R.INSIDERS)
def inquiry_detail(request, inquiry_id: int):
    inquiry = selectors.access_inquiry(request.user, request.tenant, inquiry_id)
    reviewer = selectors.is_reviewer(request.user, request.tenant)
    may_reply = inquiry.raised_by_id == request.user.pk or reviewer
    reply = forms.ReplyForm(request.POST or None, request.FILES or None, prefix="reply") \
        if request.method != "POST" or "reply-body" in request.POST else forms.ReplyForm(prefix="reply")
    resolve = None
    if reviewer:
        resolve = forms.ResolveForm(request.POST or None, prefix="resolve") \
            if request.method != "POST" or "resolve-resolution" in request.POST else forms.ResolveForm(prefix="resolve")
    if request.method == "POST":
        if not may_reply:
            raise Http404
        if "resolve-resolution" in request.POST:
            if resolve is None:
                raise Http404
            if resolve.is_valid():
                try:
                    services.inquiry_resolve(
                        actor=request.user, branch=request.tenant, inquiry_id=inquiry.pk,
                        resolution=resolve.cleaned_data["resolution"],
                        amount=services.parse_adjustment_amount(resolve.cleaned_data["amount"]))
                except ValidationError as exc:
                    forms.add_service_errors(resolve, exc)
                else:
                    messages.success(request, _("申诉 #%(id)d 已处理。") % {"id": inquiry.pk})
                    return redirect(request.path)
        elif reply.is_valid():
            try:
                services.inquiry_comment(actor=request.user, branch=request.tenant, inquiry_id=inquiry.pk,
                                         body=reply.cleaned_data["body"],
                                         attachment=reply.cleaned_data.get("attachment"))
            except ValidationError as exc:
                forms.add_service_errors(reply, exc)
            else:
                return redirect(request.path)
    events = list(inquiry.events.all())
    names = selectors.names_of({e.author_id for e in events} | {inquiry.raised_by_id})
    failed = request.method == "POST"
    return render(request, "portal/inquiry_detail.html", {
        "inquiry": inquiry, "events": events, "names": names, "reply": reply if may_reply else None,
        "resolve": resolve, "is_overdue": selectors.overdue(inquiry), "sla_days": selectors.sla_working_days(),
        "adjustment": inquiry.adjustment if hasattr(inquiry, "adjustment") else None,
    }, status=400 if failed else 200)


@require_GET
@page_roles(R.INSIDERS)
def inquiry_attachment(request, inquiry_id: int, event_id: int):
    inquiry = selectors.access_inquiry(request.user, request.tenant, inquiry_id)
    event = InquiryEvent.objects.filter(inquiry=inquiry, pk=event_id).exclude(attachment="").first()
    if event is None:
        raise Http404
    return serve_branch_file(event.attachment.name, download_name=event.attachment_name)


# ---------------------------------------------------------------------------------------------
# The manager's review list
# ---------------------------------------------------------------------------------------------
@require_GET
@page_roles(R.MANAGER)
def review(request):
    _require_reviewer(request)
    queue = selectors.review_queue(request.tenant)
    names = selectors.names_of({i.raised_by_id for i in queue["inquiries"]} | {c.claimant_id for c in queue["claims"]})
    return render(request, "portal/review.html", {**queue, "names": names, "sla_days": selectors.sla_working_days()})
