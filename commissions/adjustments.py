"""Branch float adjustments (浮动调整) and their registration with HQ (备案).

Lifecycle: proposed (branch staff or manager) → approved / rejected (branch manager) → on
approval a copy is written to HQ's register (`RegisteredAdjustment`, public schema) in the same
transaction; the engine reads only the register → HQ may revoke from a date
(`commissions.hq.services.registered_adjustment_revoke`).

Invariants, checked at proposal and again at approval under a per-(branch, component) advisory
lock so that two concurrent approvals cannot both pass:
- one adjustment is within ±20.00% (also a CHECK constraint in the database);
- on every day, the approved adjustments of a component in force plus this one stay within ±20%;
- an adjustment never reaches into a closed or paid period of the branch.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _, pgettext

from branches.audit import stamp
from hrsaas.core import locks
from hrsaas.core.formatting import format_date, format_period
from hrsaas.core.branch import require_branch
from hrsaas.core.period import PeriodError, parse_day
from branches.models import Branch, User
from branches.roles import may_decide_adjustment

from .hq.models import RegisteredAdjustment
from .hq.rules import COMPONENTS, MAX_ADJUSTMENT_PERCENT
from .hq.selectors import frozen_periods_overlapping
from .models import Adjustment
from hrsaas.core import inputs
from hrsaas.core.inputs import number_as_text, quoted, unknown_choice, wrong_value
from hrsaas.core.json_numbers import is_json_number
from hrsaas.core.money import decimal_from_text

COMPONENT_LABELS = {
    "opening_reward": "开户奖励", "retention_bonus": "留存奖励",
    "sales_commission": "销售提成", "lead_attribution": "市场/销售分成",
}


# ---------------------------------------------------------------------------------------------
# Locks
# ---------------------------------------------------------------------------------------------
def lock_adjustments(schema: str, component: str) -> None:
    """Transaction-scoped lock on one branch's adjustments of one component: approvals and HQ
    revocations of the same (branch, component) run one at a time."""
    locks.take((locks.Lock.ADJUSTMENTS_COMPONENT, f"{schema}:adjustments:{component}"))


# ---------------------------------------------------------------------------------------------
# Input parsing (API bodies and forms alike)
# ---------------------------------------------------------------------------------------------
def parse_date(value, field: str, errors: dict, *, required: bool = True) -> dt.date | None:
    """A day through the core parser (YYYY-MM-DD, years in the product's range)."""
    if value is None or value == "":
        if required:
            errors.setdefault(field, []).append(_("必填,格式 YYYY-MM-DD。"))
        return None
    try:
        return parse_day(value)
    except PeriodError as exc:
        shown = str(value).strip()[:20]
        errors.setdefault(field, []).append(
            str(exc) if exc.code == "range" else
            _("日历上没有这一天:%(v)s") % {"v": shown} if exc.code == "day" else
            _("日期无效:%(v)s(格式 YYYY-MM-DD)。") % {"v": shown} if quoted(value) is not None else
            wrong_value(value, what=pgettext("in a sentence", "日期"), form="YYYY-MM-DD"))
        return None


def parse_percent(value, field: str, errors: dict) -> Decimal | None:
    """A percent as a decimal string ("12.50"): two places at most, within ±20.00, not 0."""
    if value is None or value == "":
        errors.setdefault(field, []).append(_("必填,例如 \"10.00\"。"))
        return None
    if is_json_number(value) or isinstance(value, float):  # 10, 10.5, 1e1 or true in a JSON body
        errors.setdefault(field, []).append(number_as_text("10.00"))
        return None
    if isinstance(value, (list, dict)):
        errors.setdefault(field, []).append(_("须为百分比数值,例如 \"10.00\"。"))
        return None
    d = decimal_from_text(value)
    if d is None:
        errors.setdefault(field, []).append(_("不是有效的数值:%(v)s") % {"v": str(value)[:20]})
        return None
    if -d.as_tuple().exponent > 2:
        errors.setdefault(field, []).append(_("最多保留 2 位小数。"))
        return None
    if abs(d) > MAX_ADJUSTMENT_PERCENT:
        errors.setdefault(field, []).append(_("浮动比例不能超过 ±20%。"))
        return None
    if d == 0:  # 0.00, -0, 0.0 …: it would pay what HQ's base pays, yet wait for a manager's approval
        errors.setdefault(field, []).append(_("浮动比例不能为 0%:请填写 -20.00 至 20.00 之间、不为 0 的比例。"))
        return None
    return d.quantize(Decimal("0.01"))


def parse_text(value, field: str, errors: dict, *, max_length: int = 300, required: bool = True) -> str:
    """`value` read by the core's text parser (text only, no control or invisible characters),
    its messages added to `errors`."""
    found = inputs.Errors()
    text = inputs.parse_text({field: value}, field, found, max_length=max_length, required=required)
    for name, messages in found.errors.items():
        errors.setdefault(name, []).extend(messages)
    return text


@dataclass(frozen=True)
class AdjustmentInput:
    component: str
    percent: Decimal
    effective_from: dt.date
    effective_to: dt.date | None
    reason: str


def parse_adjustment(data: dict) -> AdjustmentInput:
    """`{component, percent, effective_from, effective_to?, reason}` → AdjustmentInput, or one
    ValidationError with a message per field."""
    errors: dict[str, list[str]] = {}
    component = data.get("component")
    if component not in COMPONENTS:
        errors["component"] = [unknown_choice(component, what=pgettext("in a sentence", "提成项目"), choices=COMPONENTS)]
    percent = parse_percent(data.get("percent"), "percent", errors)
    start = parse_date(data.get("effective_from"), "effective_from", errors)
    end = parse_date(data.get("effective_to"), "effective_to", errors, required=False)
    if start and end and end < start:
        errors.setdefault("effective_to", []).append(_("截止日期不能早于生效日期。"))
    reason = parse_text(data.get("reason"), "reason", errors)
    if errors:
        raise ValidationError(errors)
    return AdjustmentInput(component=component, percent=percent, effective_from=start, effective_to=end, reason=reason)


# ---------------------------------------------------------------------------------------------
# The stacking rule (pure)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Span:
    """An adjustment in force on [start, end] (end inclusive; None = open-ended)."""

    start: dt.date
    end: dt.date | None
    percent: Decimal

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


def stacking_breach(existing: Iterable[Span], new: Span) -> tuple[dt.date, Decimal] | None:
    """The first day of `new` on which `new` plus the `existing` spans in force add up past
    ±20%, with that total; None when the stack stays within the cap on every day.

    The total only changes where a span starts or the day after one ends, so those days (inside
    `new`) are the only ones to check."""
    existing = [s for s in existing if s.end is None or s.end >= s.start]
    days = {new.start}
    for s in existing:
        days.add(s.start)
        if s.end is not None:
            days.add(s.end + dt.timedelta(days=1))
    for day in sorted(d for d in days if new.covers(d)):
        total = new.percent + sum((s.percent for s in existing if s.covers(day)), Decimal(0))
        if abs(total) > MAX_ADJUSTMENT_PERCENT:
            return day, total
    return None


def span_in_force(adj: Adjustment) -> Span | None:
    """The days an approved (or later revoked) adjustment is in force; None if never."""
    if adj.status == Adjustment.Status.APPROVED:
        return Span(adj.effective_from, adj.effective_to, adj.percent)
    if adj.status == Adjustment.Status.REVOKED and adj.revoked_from is not None:
        end = adj.revoked_from - dt.timedelta(days=1)
        if adj.effective_to is not None:
            end = min(end, adj.effective_to)
        return Span(adj.effective_from, end, adj.percent) if end >= adj.effective_from else None
    return None


# ---------------------------------------------------------------------------------------------
# Checks shared by proposal and approval
# ---------------------------------------------------------------------------------------------
def current_branch() -> Branch:
    return require_branch("adjustment services")


def _check_not_frozen(branch: Branch, start: dt.date, end: dt.date | None) -> None:
    frozen = frozen_periods_overlapping(start=start, end=end, branch=branch)
    if frozen:
        p = frozen[0]
        raise ValidationError({"effective_from": [
            _("期间 %(p)s %(s)s,浮动调整不能追溯到已关账或已发放的期间。") % {"p": format_period(p.period), "s": p.get_status_display()}]})


def _stacking_breach_for(*, component: str, span: Span, exclude_id: int | None = None):
    qs = Adjustment.objects.filter(component=component,
                                   status__in=[Adjustment.Status.APPROVED, Adjustment.Status.REVOKED])
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    existing = [s for s in (span_in_force(a) for a in qs) if s is not None]
    return stacking_breach(existing, span)


def stacking_breach_without(*, component: str, adjustment_id: int, span: Span) -> tuple[dt.date, Decimal] | None:
    """The first day of `span` on which the adjustments in force other than `adjustment_id` add
    up past ±20% (with `span`'s own percent, 0 when the question is what a revocation leaves),
    with that total; None when they stay within the cap."""
    return _stacking_breach_for(component=component, span=span, exclude_id=adjustment_id)


def cap_breach_if_approved(adj: Adjustment) -> tuple[dt.date, Decimal] | None:
    """For the manager's review: the first day on which approving `adj` now would take the
    component past ±20% together with the approved (or partly revoked) adjustments in force,
    with that total; None when it stays within the cap. Reads only — approval checks again
    under the lock (another approval may land in between)."""
    return _stacking_breach_for(component=adj.component, span=Span(adj.effective_from, adj.effective_to, adj.percent),
                                exclude_id=adj.pk)


def _check_stacking(*, component: str, span: Span, exclude_id: int | None = None) -> None:
    breach = _stacking_breach_for(component=component, span=span, exclude_id=exclude_id)
    if breach:
        day, total = breach
        raise ValidationError({"percent": [
            _("浮动比例不能超过 ±20%%:与已批准的%(c)s调整叠加后,%(d)s 起合计 %(t)s%%。") % {
                "c": COMPONENT_LABELS.get(component, component), "d": format_date(day), "t": f"{total:+.2f}"}]})


def send_recompute() -> None:
    """After an approval or revocation: every open period of every active branch is recomputed
    (a branch's rules also reach other branches' statements through 跨区域支援). Beat does the
    same every 15 minutes, so a broker hiccup only delays it."""
    try:
        from branches.tasks import fan_out

        fan_out.apply_async(args=["commissions.tasks.recompute_open_periods"], headers={"_schema_name": "public"})
    except Exception:  # noqa: BLE001
        import logging

        logging.getLogger(__name__).warning("could not enqueue the recompute; beat will pick it up")


# ---------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------
def adjustment_propose(*, actor: User, data: AdjustmentInput) -> Adjustment:
    """Branch staff or manager propose an adjustment; refused (nothing saved) when it would
    stack past ±20% with approved ones or reach into a closed period."""
    branch = current_branch()
    span = Span(data.effective_from, data.effective_to, data.percent)
    with transaction.atomic():
        _check_not_frozen(branch, data.effective_from, data.effective_to)
        _check_stacking(component=data.component, span=span)
        adj = Adjustment(component=data.component, percent=data.percent, effective_from=data.effective_from,
                         effective_to=data.effective_to, reason=data.reason, proposed_by=actor)
        stamp(adj, actor=actor, reason=f"提议:{data.reason}")
        adj.save()
        _tell_approvers(branch, adj, actor)
    return adj


def _tell_approvers(branch: Branch, adj: Adjustment, proposer: User) -> None:
    """The branch's managers, the proposer excepted (four eyes), hear of a proposal waiting for
    them, with a link to its what-if preview: it used to wait unseen until someone opened the
    workbench. (Where the proposer is the only manager, HQ admin decides: the page says so.)"""
    from branches.roles import branch_managers
    from notifications.services import notification_create
    from notifications.words import day, w
    from notifications.words import label as word_label

    for manager_id in sorted(branch_managers(branch) - {proposer.pk}):
        notification_create(
            recipient_id=manager_id, kind="adjustment_proposed", body=adj.reason,
            link=f"/b/{branch.code}/commissions/adjustments/{adj.pk}/", dedupe_key=f"adjustment-proposed:{adj.pk}",
            words={"title": w("%(who)s提议%(component)s浮动 %(percent)s%%(%(from)s起),请审批",
                              who=proposer.display_name or proposer.username,
                              component=word_label("component", adj.component), percent=f"{adj.percent:+.2f}",
                              **{"from": day(adj.effective_from)})})


def _locked_proposal(adjustment_id) -> Adjustment:
    """The proposal, row-locked after the (branch, component) lock; 404 if missing, 400 if
    already decided."""
    adj = Adjustment.objects.filter(pk=adjustment_id).first()
    if adj is None:
        raise Http404
    lock_adjustments(connection.schema_name, adj.component)
    adj = Adjustment.objects.select_for_update().get(pk=adj.pk)
    if adj.status != Adjustment.Status.PROPOSED:
        raise ValidationError({"status": [_("该调整已处理(%(s)s),不能重复审批。") % {"s": adj.get_status_display()}]})
    return adj


def _refuse_own_approval(*, actor: User, branch: Branch, adj: Adjustment) -> None:
    """Four eyes (四眼原则): nobody approves their own proposal, not even an HQ admin acting in the
    branch. The refused attempt is kept in the audit trail (a SecurityEvent, public schema, in
    its own transaction) and nothing else is written."""
    from branches.models import SecurityEvent

    event = SecurityEvent(kind="self_approval_refused", branch=branch, actor=actor,
                          target=f"commissions.Adjustment:{adj.pk}",
                          detail=f"{adj.component} {adj.percent:+.2f}% 提议人试图自行批准")
    stamp(event, actor=actor, reason="拒绝:提议人不能批准自己的调整")
    event.save()
    raise ValidationError({"status": [
        _("不能批准自己提议的浮动调整:须由提议人以外的分公司经理审批(四眼原则)。")]})


def adjustment_approve(*, actor: User, adjustment_id: int, note: str = "") -> Adjustment:
    """The branch manager approves: the stacking and closed-period checks run again under the
    lock, then the adjustment is approved and registered with HQ (备案) in one transaction.
    The proposer can never approve (see `_refuse_own_approval`)."""
    errors: dict = {}
    note = parse_text(note, "note", errors, required=False)
    if errors:
        raise ValidationError(errors)
    branch = current_branch()
    proposal = access_adjustment(adjustment_id)
    if not may_decide_adjustment(actor, branch, proposal.proposed_by_id):
        raise PermissionDenied(_("只有本分支机构的经理可以审批浮动调整;总部可在备案登记中撤销已批准的调整。"))
    if proposal.proposed_by_id == actor.pk:
        # Outside the approval's transaction: the refusal's audit row must survive the error.
        _refuse_own_approval(actor=actor, branch=branch, adj=proposal)
    with transaction.atomic():
        adj = _locked_proposal(adjustment_id)
        _check_not_frozen(branch, adj.effective_from, adj.effective_to)
        _check_stacking(component=adj.component, span=Span(adj.effective_from, adj.effective_to, adj.percent),
                        exclude_id=adj.pk)
        adj.status, adj.decided_by, adj.decided_at, adj.decision_note = (
            Adjustment.Status.APPROVED, actor, timezone.now(), note)
        stamp(adj, actor=actor, reason=f"批准:{note}" if note else "批准")
        adj.save()
        row = RegisteredAdjustment(branch=branch, adjustment_id=adj.pk, component=adj.component, percent=adj.percent,
                                   effective_from=adj.effective_from, effective_to=adj.effective_to, reason=adj.reason)
        stamp(row, actor=actor, reason=f"备案:{note or adj.reason}")
        row.save()
        transaction.on_commit(send_recompute)
    return adj


def adjustment_reject(*, actor: User, adjustment_id: int, note: str) -> Adjustment:
    """The branch manager rejects, saying why. The proposer may reject their own proposal: that
    is a withdrawal (撤回) — it can only keep a change from taking effect, so four eyes are not
    needed — and the audit trail says so."""
    errors: dict = {}
    note = parse_text(note, "note", errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        adj = _locked_proposal(adjustment_id)
        withdrawn = adj.proposed_by_id == actor.pk
        if not withdrawn and not may_decide_adjustment(actor, current_branch(), adj.proposed_by_id):
            raise PermissionDenied(_("只有本分支机构的经理可以驳回浮动调整(提议人可撤回自己的提议)。"))
        adj.status, adj.decided_by, adj.decided_at, adj.decision_note = (
            Adjustment.Status.REJECTED, actor, timezone.now(), note)
        stamp(adj, actor=actor, reason=f"撤回(提议人本人):{note}" if withdrawn else f"驳回:{note}")
        adj.save()
    return adj


# ---------------------------------------------------------------------------------------------
# Reads (the current branch's schema)
# ---------------------------------------------------------------------------------------------
def access_adjustment(adjustment_id) -> Adjustment:
    adj = Adjustment.objects.filter(pk=adjustment_id).first()
    if adj is None:
        raise Http404
    return adj


def adjustments_list(*, status: str | None = None, component: str | None = None):
    qs = Adjustment.objects.all().order_by("-proposed_at", "-id")
    if status:
        qs = qs.filter(status=status)
    if component:
        qs = qs.filter(component=component)
    return qs


def adjustments_out(adjustments: Iterable[Adjustment]) -> list[dict]:
    """Adjustments as the API shows them, each with its history (who, when, status, why) and
    the id of its register row once registered."""
    adjustments = list(adjustments)
    ids = [a.pk for a in adjustments]
    records = list(Adjustment.history.filter(id__in=ids).order_by("history_date", "history_id"))
    user_ids = {h.history_user_id for h in records} | {a.proposed_by_id for a in adjustments} | {
        a.decided_by_id for a in adjustments}
    names = dict(User.objects.filter(pk__in={i for i in user_ids if i}).values_list("pk", "username"))
    history: dict[int, list] = {}
    for h in records:
        history.setdefault(h.id, []).append({"at": h.history_date.isoformat(), "by": names.get(h.history_user_id),
                                             "status": h.status, "reason": h.history_change_reason or ""})
    branch = current_branch()
    registered = dict(RegisteredAdjustment.objects.filter(branch=branch, adjustment_id__in=ids)
                      .values_list("adjustment_id", "pk"))
    return [{
        "id": a.pk, "component": a.component, "percent": f"{a.percent:.2f}",
        "effective_from": a.effective_from.isoformat(),
        "effective_to": a.effective_to.isoformat() if a.effective_to else None,
        "reason": a.reason, "status": a.status,
        "proposed_by": names.get(a.proposed_by_id), "proposed_at": a.proposed_at.isoformat(),
        "decided_by": names.get(a.decided_by_id), "decided_at": a.decided_at.isoformat() if a.decided_at else None,
        "decision_note": a.decision_note,
        "revoked_from": a.revoked_from.isoformat() if a.revoked_from else None, "revoke_reason": a.revoke_reason,
        "registered_id": registered.get(a.pk), "history": history.get(a.pk, []),
    } for a in adjustments]


def adjustments_for_people(rows: list[dict]) -> list[dict]:
    """`adjustments_out` rows for the branch pages: the proposer and approver by name
    (`proposed_by_name`, `decided_by_name`) and every step with the person's name and the
    state's label. The API keeps login names and codes; templates format dates and times."""
    from .hq.selectors import people_names, steps_for_people

    names = people_names({r["proposed_by"] for r in rows} | {r["decided_by"] for r in rows}
                         | {h["by"] for r in rows for h in r["history"]})
    return [dict(r, proposed_by_name=names.get(r["proposed_by"]) or "", decided_by_name=names.get(r["decided_by"]) or "",
                 history=steps_for_people(r["history"], Adjustment.Status, names)) for r in rows]


def what_if_preview(adj: Adjustment, *, today: dt.date | None = None) -> dict:
    """Last month's and this month's statements, now vs. with `adj` added: per person and in
    total — only the months it changes, and in them only the people whose pay changes (the
    totals cover everyone). Reads only (the computation side's `what_if_adjustment`)."""
    today = today or timezone.localdate()
    this = f"{today.year:04d}-{today.month:02d}"
    last_day = today.replace(day=1) - dt.timedelta(days=1)
    last = f"{last_day.year:04d}-{last_day.month:02d}"
    try:
        from .selectors import what_if_adjustment
    except ImportError:
        return {"available": False, "periods": []}
    rows = what_if_adjustment(component=adj.component, percent=adj.percent, effective_from=adj.effective_from,
                              effective_to=adj.effective_to, periods=[last, this])
    periods, unchanged_periods = [], []
    for period in (last, this):
        people = [r for r in rows if r["period"] == period]
        changed = [r for r in people if r["difference"]]
        if not changed:  # only the months the adjustment changes are worth a manager's reading
            unchanged_periods.append(period)
            continue
        zero = Decimal("0.00")
        periods.append({
            "period": period, "people": changed, "unchanged_people": len(people) - len(changed),
            "current_total": sum((r["current_total"] for r in people), zero),
            "what_if_total": sum((r["what_if_total"] for r in people), zero),
            "difference": sum((r["difference"] for r in people), zero),
        })
    return {"available": True, "periods": periods, "unchanged_periods": unchanged_periods}
