"""Branch pages for float adjustments (浮动调整): staff propose, the manager reviews the pending
ones with a what-if preview of last month's and this month's statements and approves or
rejects with a note. Same services as the API (`commissions.adjustments`).

BranchAccessMiddleware has already checked login and branch membership; here branch staff and
managers (and HQ admins) may see the pages, everyone else gets 404; deciding needs the manager
role (403)."""
from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches import roles as R
from branches.pages import page_roles
from branches.models import User
from branches.roles import is_branch_manager, may_decide_adjustment
from branches.roles import Role, roles_in_branch

from . import adjustments
from .hq.forms import COMPONENT_TITLES, AdjustmentForm, DecisionForm
from .models import Adjustment

log = logging.getLogger(__name__)
READ_ROLES = {Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.HQ_ADMIN, Role.HQ_FINANCE}
PROPOSE_ROLES = {Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.HQ_ADMIN}


def _roles(request) -> frozenset[str]:
    roles = roles_in_branch(request.user, request.tenant)
    if not roles & READ_ROLES:
        raise Http404
    return roles


@page_roles(R.OFFICE_AND_FINANCE)
def adjustment_list(request):
    roles = _roles(request)
    may_propose = bool(roles & PROPOSE_ROLES)
    form = AdjustmentForm(request.POST or None)
    if request.method == "POST":
        if not may_propose:
            raise PermissionDenied
        if form.is_valid():
            try:
                adj = adjustments.adjustment_propose(
                    actor=request.user, data=adjustments.parse_adjustment(form.cleaned_data))
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(request, _("浮动调整 #%(id)d 已提交,等待分支机构经理审批。") % {"id": adj.pk})
                return redirect("adj-list")
    rows = adjustments.adjustments_for_people(adjustments.adjustments_out(adjustments.adjustments_list()))
    return render(request, "commissions/adjustments_list.html", {
        "pending": [r for r in rows if r["status"] == Adjustment.Status.PROPOSED],
        "decided": [r for r in rows if r["status"] != Adjustment.Status.PROPOSED],
        "form": form if may_propose else None, "titles": COMPONENT_TITLES,
        "statuses": dict(Adjustment.Status.choices),
        "is_manager": is_branch_manager(request.user, request.tenant),
    })


def _cap_warning(adj: Adjustment) -> str:
    """Said before the manager approves: approving now would take the component past ±20%."""
    from hrsaas.core.formatting import format_date

    breach = adjustments.cap_breach_if_approved(adj)
    if breach is None:
        return ""
    day, total = breach
    return _("批准将超出 ±20%% 的上限:与已批准的%(c)s调整叠加后,%(d)s 起合计 %(t)s%%。"
             "系统不会批准;请驳回,或请提议人调整比例或日期后重新提交。") % {
        "c": COMPONENT_TITLES.get(adj.component, adj.component), "d": format_date(day),
        "t": f"{total:+.2f}"}


def _preview(adj: Adjustment) -> dict:
    """The what-if preview; the approval page still works if it cannot be computed.

    An adjustment that would take the stack past ±20% gets no 调整后 figures: the system will not
    approve it, so nobody will ever be paid what a preview would show — neither the capped effect
    (the engine caps a stack at ±20%, which is not what was asked for) nor the requested percent
    (which the rules forbid). Figures next to "系统不会批准" were read as what approving would pay."""
    cap_warning = _cap_warning(adj)
    if cap_warning:
        return {"available": True, "periods": [], "cap_warning": cap_warning, "not_approvable": True}
    try:
        preview = adjustments.what_if_preview(adj)
    except Exception:  # noqa: BLE001 — a preview failure must not block the decision
        log.exception("what-if preview failed for adjustment %s", adj.pk)
        return {"available": False, "periods": [], "cap_warning": ""}
    preview["cap_warning"] = ""
    ids = {r["earner_id"] for p in preview["periods"] for r in p["people"]}
    labels = {u.pk: u.label for u in User.objects.filter(pk__in=ids)}
    for p in preview["periods"]:
        for r in p["people"]:
            r["label"] = labels.get(r["earner_id"], r["username"])
    return preview


@page_roles(R.OFFICE_AND_FINANCE)
def adjustment_detail(request, adjustment_id: int, *, decision_form=None):
    roles = _roles(request)
    adj = adjustments.access_adjustment(adjustment_id)
    is_manager = Role.BRANCH_MANAGER in roles
    pending = adj.status == Adjustment.Status.PROPOSED
    own = adj.proposed_by_id == request.user.pk
    # The decision is the branch's manager's (API: "branch manager only"; HQ admin only where the
    # branch has no other manager, roles.may_decide_adjustment); a manager or HQ admin who
    # proposed it may withdraw it (adjustment_decide allows exactly these).
    decides = pending and is_manager and (own or may_decide_adjustment(request.user, request.tenant,
                                                                         adj.proposed_by_id))
    return render(request, "commissions/adjustments_detail.html", {
        "adj": adjustments.adjustments_for_people(adjustments.adjustments_out([adj]))[0],
        "title": COMPONENT_TITLES.get(adj.component, adj.component),
        "statuses": dict(Adjustment.Status.choices),
        "preview": _preview(adj) if pending and is_manager else None,
        "decision_form": (decision_form or DecisionForm()) if decides else None,
        "own_proposal": own,  # four eyes: may withdraw, not approve
    })


@require_POST
@page_roles(R.MANAGER, forbidden_to=R.OFFICE_AND_FINANCE)
def adjustment_decide(request, adjustment_id: int):
    roles = _roles(request)
    adj = adjustments.access_adjustment(adjustment_id)
    form = DecisionForm(request.POST)
    action = request.POST.get("action")
    if action not in ("approve", "reject"):
        raise Http404
    withdrawal = action == "reject" and adj.proposed_by_id == request.user.pk
    if Role.BRANCH_MANAGER not in roles or not (withdrawal or may_decide_adjustment(request.user, request.tenant,
                                                                                   adj.proposed_by_id)):
        raise PermissionDenied(_("只有本分支机构的经理可以审批浮动调整;总部可在备案登记中撤销已批准的调整。"))
    if form.is_valid():
        service = adjustments.adjustment_approve if action == "approve" else adjustments.adjustment_reject
        try:
            service(actor=request.user, adjustment_id=adj.pk, note=form.cleaned_data["note"])
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                for err in errs:
                    if field == "note":
                        form.add_error("note", err)
                    else:  # stacking, closed period, already decided: shown above the page
                        messages.error(request, err)
        else:
            messages.success(request, _("已批准并报总部备案。") if action == "approve"
                             else _("已撤回。") if adj.proposed_by_id == request.user.pk else _("已驳回。"))
            return redirect("adj-detail", adjustment_id=adj.pk)
    return adjustment_detail(request, adj.pk, decision_form=form)
