"""Planning pages. HQ, in the rules area (`/commissions/rules/drafts/…`): rule drafts with their
replay over every branch or one, publish or discard (HQ admins), every branch's suggestions
with "生成草案". A branch, in the adjustments area (`/b/<code>/commissions/adjustments/planning/`):
the manager replays a proposal or an adjustment typed there (nothing saved), reads the branch's
suggestions and turns one into a proposal. Same selectors and services as the API."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches import roles as R
from branches.models import Branch
from branches.pages import page_roles
from hrsaas.core.inputs import record_id

from .. import adjustments
from ..hq.forms import COMPONENT_TITLES
from ..hq.models import RuleDraft
from ..hq.rules import COMPONENTS
from ..hq.selectors import may_write_hq
from ..hq.views import params_summary
from ..models import Adjustment
from . import engine as E
from . import exports, selectors, services

READERS = R.MANAGER | {R.Role.HQ_FINANCE}
MONTH_CHOICES = (3, 6, 12, 24)


def _window(request) -> tuple[list[str], dict]:
    """The replayed months from the query (12 ending this month unless asked), and the error
    shown next to the choice when the query is wrong (then the default is used)."""
    try:
        return selectors.parse_window(request.GET), {}
    except ValidationError as exc:
        return selectors.replay_window(E.DEFAULT_REPLAY_MONTHS), exc.message_dict


def _say(request, exc: ValidationError) -> None:
    """A refusal's messages above the page (the service's words)."""
    for errs in exc.message_dict.values():
        for err in errs:
            messages.error(request, err)


def _replay_context(result, query: str) -> dict:
    return {"replay": selectors.replay_out(result, as_text=False), "query": query,
            "top": 20}


# ---------------------------------------------------------------------------------------------
# HQ
# ---------------------------------------------------------------------------------------------
@login_required
@page_roles(R.HQ_ANY)
def hq_planning(request):
    periods, window_errors = _window(request)
    drafts = list(RuleDraft.objects.select_related("created_by")[:100])
    return render(request, "commissions/planning_hq.html", {
        "drafts": [{"d": d, "title": COMPONENT_TITLES.get(d.component, ""), "summary": params_summary(d.component, d.params)}
                   for d in drafts],
        "suggestions": selectors.suggestions(branches=selectors.hq_branches(), periods=periods),
        "periods": periods, "window_errors": window_errors, "months": len(periods), "month_choices": MONTH_CHOICES,
        "may_write": may_write_hq(request.user), "components": [(c, COMPONENT_TITLES[c]) for c in COMPONENTS],
    })


def _hq_branches_param(request) -> tuple[list[Branch], str]:
    code = request.GET.get("branch") or ""
    if not code:
        return selectors.hq_branches(), ""
    branch = Branch.objects.exclude(schema_name="public").filter(code=code).first()
    if branch is None:
        raise Http404
    return [branch], code


@login_required
@page_roles(R.HQ_ANY)
def hq_draft(request, draft_id: int):
    draft = services.access_rule_draft(draft_id)
    periods, window_errors = _window(request)
    branches, code = _hq_branches_param(request)
    result = selectors.replay(draft=services.rule_draft_as_data(draft), periods=periods, branches=branches)
    query = request.GET.urlencode()
    return render(request, "commissions/planning_draft.html", {
        "draft": draft, "title": COMPONENT_TITLES.get(draft.component, ""),
        "summary": params_summary(draft.component, draft.params), "periods": periods, "months": len(periods),
        "window_errors": window_errors, "month_choices": MONTH_CHOICES, "branch_code": code,
        "all_branches": selectors.hq_branches(), "may_write": may_write_hq(request.user),
        "is_draft": draft.status == RuleDraft.Status.DRAFT,
        "export_csv": reverse("hq-planning-draft-export", args=[draft.pk, "csv"]) + (f"?{query}" if query else ""),
        "export_xlsx": reverse("hq-planning-draft-export", args=[draft.pk, "xlsx"]) + (f"?{query}" if query else ""),
        **_replay_context(result, query),
    })


@login_required
@page_roles(R.HQ_ANY)
def hq_draft_export(request, draft_id: int, fmt: str):
    if fmt not in exports.FORMATS:
        raise Http404
    draft = services.access_rule_draft(draft_id)
    periods, _errors = _window(request)
    branches, _code = _hq_branches_param(request)
    result = selectors.replay(draft=services.rule_draft_as_data(draft), periods=periods, branches=branches)
    return exports.replay_response(result, fmt, filename=f"rule-draft-{draft.pk}-replay", title=_("方案回放"))


@login_required
@require_POST
@page_roles(R.HQ_ADMIN_ONLY)
def hq_draft_decide(request, draft_id: int):
    action = request.POST.get("action")
    if action not in ("publish", "discard"):
        raise Http404
    service = services.rule_draft_publish if action == "publish" else services.rule_draft_discard
    try:
        draft = service(actor=request.user, draft_id=draft_id)
    except ValidationError as exc:
        _say(request, exc)
        return redirect("hq-planning-draft", draft_id=draft_id)
    if action == "publish":
        messages.success(request, _("草案已发布为新版本,自 %(d)s 起生效;未结算的期间将重新计算。") % {
            "d": draft.effective_from.isoformat()})
    else:
        messages.success(request, _("草案已放弃。"))
    return redirect("hq-planning-draft", draft_id=draft_id)


@login_required
@require_POST
@page_roles(R.HQ_ADMIN_ONLY)
def hq_suggestion_draft(request):
    branch = Branch.objects.exclude(schema_name="public").filter(code=request.POST.get("branch") or "").first()
    if branch is None:
        raise Http404
    try:
        periods = selectors.parse_window(request.POST)
        made = services.suggestion_to_draft(actor=request.user, branch=branch, kind=request.POST.get("kind") or "",
                                            target=request.POST.get("target") or services.ADJUSTMENT, periods=periods)
    except ValidationError as exc:
        _say(request, exc)
        return redirect("hq-planning")
    if isinstance(made, RuleDraft):
        messages.success(request, _("已生成方案草案 #%(id)d;回放确认后可发布。") % {"id": made.pk})
        return redirect("hq-planning-draft", draft_id=made.pk)
    messages.success(request, _("已在%(b)s生成浮动调整草案 #%(id)d,等待该分支机构经理审批。") % {
        "b": branch.name, "id": made.pk})
    return redirect("hq-planning")


# ---------------------------------------------------------------------------------------------
# A branch
# ---------------------------------------------------------------------------------------------
def _branch_draft(request):
    """What the page replays: a proposal (`adjustment=<id>`) or an adjustment typed in the form
    (`component`, `percent`); None when nothing was asked. Errors are the form's."""
    if request.GET.get("adjustment"):
        adj_id = record_id(request.GET["adjustment"])
        if adj_id is None:
            raise Http404
        adj = adjustments.access_adjustment(adj_id)
        return E.AdjustmentDraftData(request.tenant.id, adj.component, adj.percent), adj, {}
    if request.GET.get("component") or request.GET.get("percent"):
        try:
            return selectors.parse_adjustment_draft(request.GET, request.tenant), None, {}
        except ValidationError as exc:
            return None, None, exc.message_dict
    return None, None, {}


@page_roles(READERS)
def branch_planning(request):
    periods, window_errors = _window(request)
    draft, adj, errors = _branch_draft(request)
    result = selectors.replay(draft=draft, periods=periods, branches=[request.tenant]) if draft else None
    query = request.GET.urlencode()
    pending = adjustments.adjustments_list(status=Adjustment.Status.PROPOSED)[:50]
    context = {
        "suggestions": selectors.suggestions(branches=[request.tenant], periods=periods),
        "periods": periods, "months": len(periods), "window_errors": window_errors, "month_choices": MONTH_CHOICES,
        "errors": errors, "adjustment": adj, "draft": draft,
        "draft_title": COMPONENT_TITLES.get(draft.component, "") if draft else "",
        "pending": [{"a": a, "title": COMPONENT_TITLES.get(a.component, "")} for a in pending],
        "components": [(c, COMPONENT_TITLES[c]) for c in COMPONENTS], "typed": request.GET,
        "is_manager": R.Role.BRANCH_MANAGER in R.roles_in_branch(request.user, request.tenant),
        "export_csv": reverse("cm-planning-export", args=["csv"]) + f"?{query}",
        "export_xlsx": reverse("cm-planning-export", args=["xlsx"]) + f"?{query}",
    }
    if result is not None:
        context.update(_replay_context(result, query))
    return render(request, "commissions/planning_branch.html", context)


@page_roles(READERS)
def branch_replay_export(request, fmt: str):
    if fmt not in exports.FORMATS:
        raise Http404
    periods, _errors = _window(request)
    draft, _adj, errors = _branch_draft(request)
    if draft is None:
        raise Http404
    result = selectors.replay(draft=draft, periods=periods, branches=[request.tenant])
    return exports.replay_response(result, fmt, filename=f"{request.tenant.code}-adjustment-replay",
                                   title=_("浮动调整回放"))


@require_POST
@page_roles(R.MANAGER, forbidden_to=READERS)
def branch_suggestion_draft(request):
    try:
        periods = selectors.parse_window(request.POST)
        adj = services.suggestion_to_draft(actor=request.user, branch=request.tenant,
                                           kind=request.POST.get("kind") or "", target=services.ADJUSTMENT,
                                           periods=periods)
    except ValidationError as exc:
        _say(request, exc)
        return redirect("cm-planning")
    messages.success(request, _("已生成浮动调整草案 #%(id)d,须由另一位分公司经理(没有其他经理时由总部管理员)审批后生效。") % {"id": adj.pk})
    return redirect("adj-detail", adjustment_id=adj.pk)
