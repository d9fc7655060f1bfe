"""HQ pages (public schema): rule version history and new versions (提成方案), the register
of branch adjustments (备案) with revocation, and the console — dashboard (payouts, trends,
branch comparison, company leaderboard), finance's locked periods with "paid" and the payroll
files. HQ admins write rules, HQ finance marks periods paid, both read; everyone else gets 404.
They call the same services and selectors as the API."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches import roles as R
from branches.pages import page_roles
from hrsaas.core.period import valid_period

from branches.models import Branch
from branches.roles import Role, hq_roles_of

from .. import services as commission_services
from ..adjustments import parse_date
from ..selectors import METRICS
from ..templatetags.commission_format import period_label
from . import dashboard as console
from . import payroll, selectors, services
from .forms import COMPONENT_TITLES, RULE_FORMS, SERVICE_TITLES, RevokeForm
from hrsaas.core.formatting import format_date, format_money, format_period
from hrsaas.exports import name_attachment, readable_file_name

from .models import BranchPeriod, RegisteredAdjustment
from .payouts import paying
from .payouts import selectors as payout_selectors
from .rules import COMPONENTS


def params_summary(component: str, params: dict) -> list[str]:
    """A rule version's parameters as short Chinese lines for the history table."""
    if component == "opening_reward":
        out, low = [], 1
        for t in params.get("tiers", []):
            mx = t.get("max_headcount")
            span = _("%(a)d 人及以上") % {"a": low} if mx is None else _("%(a)d–%(b)d 人") % {"a": low, "b": mx}
            out.append(_("%(span)s: %(amount)s 元") % {"span": span, "amount": format_money(t["amount"])})
            low = (mx or 0) + 1
        if params.get("clawback_months"):
            out.append(_("开户后 %(m)s 个月内终止:扣回开户奖励") % {"m": params["clawback_months"]})
        return out
    if component == "retention_bonus":
        return [_("开户满 %(m)s 个月,开户奖励的 %(p)s%%") % {"m": params.get("months"), "p": params.get("percent")}]
    if component == "sales_commission":
        out = [_("新客户期限 %(m)s 个月") % {"m": params.get("new_client_months")}]
        out += [_("%(s)s:新 %(n)s%% / 老 %(e)s%%") % {"s": SERVICE_TITLES.get(r["service"], r["service"]),
                                                     "n": r["new"], "e": r["existing"]} for r in params.get("rates", [])]
        out.append(_("服务费销售提成:客户回款后计提") if params.get("earn_on") == "payment"
                   else _("服务费销售提成:客户确认费用明细表后计提"))
        return out
    out = [_("市场线索:市场 %(m)s%%,销售 %(s)s%%") % {"m": params.get("marketing_percent"),
                                                    "s": params.get("sales_on_marketing_lead_percent")},
           _("销售自拓:%(s)s%%") % {"s": params.get("sales_self_sourced_percent")}]
    if params.get("points"):
        p = params["points"]
        out.append(_("积分:每条有效线索 %(a)s 分,每分 %(y)s 元,转化额外 %(c)s%%,最低转化率 %(r)s%%") % {
            "a": p["points_per_qualified_lead"], "y": p["yuan_per_point"], "c": p["conversion_bonus_percent"],
            "r": p["min_conversion_percent"]})
    return out


def _require_read(request) -> None:
    if not selectors.may_read_hq(request.user):
        raise Http404


def _require_write(request) -> None:
    if not selectors.may_write_hq(request.user):
        raise Http404


@login_required
@page_roles(R.HQ_ANY)
def rules_home(request):
    _require_read(request)
    today = timezone.localdate()
    in_force = {v.component: v for v in selectors.rule_versions(on=today)}
    counts = {c: 0 for c in COMPONENTS}
    for v in selectors.rule_versions():
        counts[v.component] += 1
    rows = [{"component": c, "title": COMPONENT_TITLES[c], "current": in_force.get(c), "count": counts[c],
             "summary": params_summary(c, in_force[c].params) if c in in_force else []} for c in COMPONENTS]
    return render(request, "commissions/rules_home.html", {"rows": rows, "today": today})


@login_required
@page_roles({"GET": R.HQ_ANY, "*": R.HQ_ADMIN_ONLY})
def rules_component(request, component: str):
    _require_read(request)
    if component not in RULE_FORMS:
        raise Http404
    form_class = RULE_FORMS[component]
    may_write = selectors.may_write_hq(request.user)
    versions = selectors.rule_versions(component=component)
    if request.method == "POST":
        _require_write(request)
        form = form_class(request.POST)
        if form.is_valid() and request.POST.get("as_draft"):
            # 存为草案: validated like a version, saved as a draft to replay before publishing.
            from ..planning.services import rule_draft_create

            try:
                draft = rule_draft_create(actor=request.user, data=services.parse_rule_version(form.payload()))
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(request, _("已存为方案草案 #%(id)d;以下是按过去 12 个月实际业务的回放。") % {"id": draft.pk})
                return redirect("hq-planning-draft", draft_id=draft.pk)
        elif form.is_valid():
            try:
                version = services.rule_version_create(
                    actor=request.user, data=services.parse_rule_version(form.payload()))
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(request, _("已新增 %(c)s 版本,自 %(d)s 起生效。") % {
                    "c": COMPONENT_TITLES[component], "d": format_date(version.effective_from)})
                return redirect("hq-rules-component", component=component)
    else:
        current = selectors.rule_versions(component=component, on=timezone.localdate())
        initial = form_class.initial_from(current[0].params) if current else {}
        form = form_class(initial=initial)
    shown = list(reversed(selectors.rule_versions_out(versions)))
    names = selectors.people_names(v["created_by"] for v in shown)
    return render(request, "commissions/rules_component.html", {
        "component": component, "title": COMPONENT_TITLES[component],
        "versions": [dict(v, summary=params_summary(component, v), created_by_name=names.get(v["created_by"]) or "")
                     for v in shown],
        "in_force_id": next((v.id for v in reversed(versions) if v.effective_from <= timezone.localdate()), None),
        "form": form if may_write else None, "may_write": may_write,
    })


def _register_context(request, params: QueryDict, *, revoke_form=None, revoke_target=None) -> dict:
    branch = params.get("branch") or ""
    status = params.get("status") or ""
    component = params.get("component") or ""
    rows = selectors.register_rows(
        branch=branch or None,
        status=status if status in RegisteredAdjustment.Status.values else None,
        component=component if component in COMPONENTS else None,
    )
    return {
        "rows": selectors.register_for_people(selectors.register_out(rows)),
        "branches": Branch.objects.exclude(schema_name="public").order_by("code"),
        "statuses": RegisteredAdjustment.Status.choices, "components": [(c, COMPONENT_TITLES[c]) for c in COMPONENTS],
        "titles": COMPONENT_TITLES, "selected": {"branch": branch, "status": status, "component": component},
        "may_write": selectors.may_write_hq(request.user), "revoke_form": revoke_form or RevokeForm(
            initial={"effective_from": timezone.localdate().isoformat()}),
        "revoke_target": revoke_target,
        "query": urlencode({k: v for k, v in (("branch", branch), ("status", status), ("component", component)) if v}),
    }


@login_required
@page_roles(R.HQ_ANY)
def register(request):
    _require_read(request)
    return render(request, "commissions/adjustments_register.html", _register_context(request, request.GET))


@login_required
@require_POST
@page_roles(R.HQ_ADMIN_ONLY)
def register_revoke(request, registered_id: int):
    _require_write(request)
    row = selectors.access_registered(registered_id)
    kept = QueryDict(request.POST.get("next_query", ""))
    query = urlencode({k: kept[k] for k in ("branch", "status", "component") if kept.get(k)})
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            done = services.registered_adjustment_revoke(actor=request.user, registered_id=row.pk,
                                                         data=form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            # The number the branch knows it by, and the day the revocation took effect: a day
            # before the adjustment began revokes all of it, from its first day (said, not silent).
            words = {"b": row.branch.name, "id": row.adjustment_id, "d": format_date(done.revoked_from)}
            if done.revoked_from != parse_date(form.cleaned_data["effective_from"], "effective_from", {}):
                messages.success(request, _("已撤销 %(b)s 的浮动调整 #%(id)d:该调整自 %(d)s 起生效,已全部撤销。") % words)
            else:
                messages.success(request, _("已撤销 %(b)s 的浮动调整 #%(id)d,自 %(d)s 起不再适用。") % words)
            return redirect(reverse("hq-register") + (f"?{query}" if query else ""))
    return render(request, "commissions/adjustments_register.html",
                  _register_context(request, kept, revoke_form=form, revoke_target=row.pk))


# ---------------------------------------------------------------------------------------------
# HQ console: dashboard (HQ admin and finance), locked periods, paid, payroll files
# ---------------------------------------------------------------------------------------------
def _month_param(value: str | None) -> str:
    """A `YYYY-MM` query parameter, or the current month when missing or malformed."""
    if value and valid_period(value):
        return value
    return selectors.month_of(timezone.localdate())


def may_mark_paid(user) -> bool:
    """Paying is HQ finance's step (HQ admins set the rules; separation of duties)."""
    return Role.HQ_FINANCE in hq_roles_of(user)


@login_required
@page_roles(R.HQ_ANY)
def dashboard(request):
    _require_read(request)
    month = _month_param(request.GET.get("month"))
    metric = request.GET.get("metric") if request.GET.get("metric") in METRICS else "commission"
    context = console.overview(month=month, metric=metric)
    context["charts"]["labels"] = [period_label(p) for p in context["periods"]]
    context.update(month=month, metric=metric, metrics=METRICS, may_write=selectors.may_write_hq(request.user),
                   may_pay=may_mark_paid(request.user))
    return render(request, "commissions/hq_dashboard.html", context)


@login_required
@page_roles(R.HQ_ANY)
def finance(request):
    _require_read(request)
    status = request.GET.get("status") if request.GET.get("status") in selectors.FROZEN else ""
    branch = request.GET.get("branch") or ""
    all_branches = console.branches()
    rows = console.finance_periods(status=status or None, branch_code=branch or None)
    pending, rates = payout_selectors.prepared_batches(rows), payout_selectors.receipt_rates(rows)
    for r in rows:
        r["batch"] = pending.get((r["branch"].pk, r["period"]))
        r["receipts"] = rates.get((r["branch"].pk, r["period"]))
    return render(request, "commissions/hq_finance.html", {
        "rows": rows, "company": console.company_periods(rows, all_branches) if not branch else [],
        "branches": all_branches, "selected": {"status": status, "branch": branch},
        "statuses": [(s, l) for s, l in BranchPeriod.Status.choices if s in selectors.FROZEN],
        "may_pay": may_mark_paid(request.user),
    })


def _locked_branch(code: str) -> Branch:
    branch = Branch.objects.exclude(schema_name="public").filter(code=code).first()
    if branch is None:
        raise Http404
    return branch


def _period_arg(period: str) -> str:
    if not valid_period(period):
        raise Http404
    return period


def _confirmed_figures(post) -> tuple[int, Decimal] | None:
    """The count and total the confirmation page showed (hidden fields); None when absent or
    not numbers — a POST that did not come through the confirmation."""
    try:
        count, total = int(post.get("confirm_statements", "")), Decimal(post.get("confirm_total", ""))
    except (ValueError, InvalidOperation):
        return None
    return (count, total) if count >= 0 and total.is_finite() else None


@login_required
@page_roles(R.HQ_ANY)
def finance_mark_paid(request, code: str, period: str):
    """Paying in two steps (发放复核). GET: the confirmation — how many statements and how much
    this pays out — or, once prepared, the review (confirm or withdraw). POST: prepare, only with
    the figures that were confirmed, and only if they still hold. People are notified only when
    the payout is confirmed (commissions.hq.payouts.paying)."""
    from django_tenants.utils import schema_context

    from ..selectors import payout_summary

    _require_read(request)
    branch, period = _locked_branch(code), _period_arg(period)
    if not may_mark_paid(request.user):
        raise PermissionDenied
    back = reverse("hq-finance") + "?" + urlencode({"branch": code})
    here = reverse("hq-finance-paid", kwargs={"code": code, "period": period})
    if request.method == "POST":
        confirmed = _confirmed_figures(request.POST)
        if confirmed is None:
            messages.error(request, _("请先核对提成单数量和金额,再确认发放。"))
            return redirect(here)
        try:
            paying.payout_prepare(actor=request.user, branch=branch, period=period, confirmed=confirmed)
        except ValidationError as exc:
            for errs in exc.message_dict.values():
                for err in errs:
                    messages.error(request, err)
            if "confirmed" in exc.message_dict:
                return redirect(here)
            return redirect(back)
        messages.success(request, _("%(b)s %(p)s 已发起发放,待另一位总部财务复核确认(或由您本人重新输入合计金额确认)。") % {
            "b": branch.name, "p": period_label(period)})
        return redirect(here)
    bp = BranchPeriod.objects.filter(branch=branch, period=period).first()
    if bp is None or bp.status == BranchPeriod.Status.OPEN:
        messages.error(request, _("期间 %(p)s 尚未关账,不能发放。") % {"p": period_label(period)})
        return redirect(back)
    if bp.status == BranchPeriod.Status.PAID:
        messages.info(request, _("%(b)s %(p)s 已发放。") % {"b": branch.name, "p": period_label(period)})
        return redirect(back)
    batch = payout_selectors.current_batch(branch, period)
    with schema_context(branch.schema_name):
        summary = payout_summary(period)
    from .payouts.views import TYPED_TOTAL

    typed = request.session.pop(TYPED_TOTAL, None)
    return render(request, "commissions/payouts/review.html" if batch else "commissions/hq_finance_confirm.html", {
        "typed_total": typed[1] if batch is not None and typed and typed[0] == batch.pk else "",
        "branch": branch, "period": period, "summary": summary, "back": back, "bp": bp, "batch": batch,
        "own_batch": batch is not None and batch.prepared_by_id == request.user.pk,
        "bank_downloaded": batch is not None and payout_selectors.bank_file_downloaded(branch, period),
        "unconfirmed": payout_selectors.unconfirmed_receipts(branch, period),
    })


@login_required
@page_roles(R.HQ_ANY)
def payroll_export(request, period: str, fmt: str, code: str | None = None):
    """The payroll/bank file of a closed or paid period: one branch, or every branch that has
    locked it. HQ only; an open period is not found."""
    _require_read(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    period = _period_arg(period)
    branch = _locked_branch(code) if code else None
    rows = payroll.payroll_rows(period=period, branch=branch)
    name = f"commission-summary-{code or 'all'}-{period}"  # not the payout payroll file's name
    if fmt == "xlsx":
        response = HttpResponse(payroll.payroll_xlsx(rows, period),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        response = HttpResponse(payroll.payroll_csv(rows, period), content_type="text/csv; charset=utf-8")
    name_attachment(response, name, readable_file_name(
        _("提成汇总"), branch.name if branch else _("全部分支机构"), format_period(period)), fmt)
    response["Cache-Control"] = "private, no-store"
    return response
