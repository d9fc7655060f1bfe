"""Reads of HQ's commission data (public schema): rule versions, the adjustment register (备案)
and the branch-periods that are locked (closed or paid).

Access is decided by the callers' permission classes / page guards (`may_read_hq`,
`may_write_hq`); missing objects raise Http404.

The register's listing also shows each adjustment's branch-side steps (who proposed, who
approved): it visits the schema of each branch present in the listed rows, once. With many
branches, filter by branch (or page the register) to keep that bounded."""
from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.utils.translation import gettext_lazy as _lazy
from django_tenants.utils import schema_context

from branches.models import Branch, User
from branches.roles import Role, hq_roles_of, is_hq_admin
from hrsaas.core.formatting import is_english

from .models import BranchPeriod, RegisteredAdjustment, RuleVersion
from .rules import COMPONENTS

FROZEN = (BranchPeriod.Status.CLOSED, BranchPeriod.Status.PAID)


def may_read_hq(user) -> bool:
    """HQ admins and HQ finance read rules and the register."""
    return bool(hq_roles_of(user) & {Role.HQ_ADMIN, Role.HQ_FINANCE})


def may_write_hq(user) -> bool:
    return is_hq_admin(user)


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


# ---------------------------------------------------------------------------------------------
# Locked periods
# ---------------------------------------------------------------------------------------------
# Months close in order (commissions.services.period_close), so a branch's months up to the last
# one it closed are all behind it: a month before it without a row of its own (no statements
# when the later one closed) counts as closed too. Otherwise an event dated back there — a
# client opened last year, a float from a past month — would earn in a month nobody will ever
# close or pay; as closed, it is posted as a correction in the next open month (SPEC §4).
def branch_period_status(branch: Branch, period: str) -> str:
    """A branch-month's status: its own row's, closed when a later month is closed, else open."""
    row = (BranchPeriod.objects.filter(branch=branch, period__gte=period, status__in=FROZEN).order_by("period")
           .values_list("period", "status").first())
    if row is None:
        return BranchPeriod.Status.OPEN
    return row[1] if row[0] == period else BranchPeriod.Status.CLOSED


def frozen_periods_overlapping(*, start: dt.date, end: dt.date | None, branch: Branch | None = None) -> list[BranchPeriod]:
    """Closed or paid branch-months (of `branch`, or of any branch) that share a day with
    [start, end] (end None = open-ended), oldest first; and, for a branch with none of them but
    a month closed after `start`, that month: the days are behind it, so they count as closed
    (`branch_period_status`), and its row says which month the branch closed."""
    first = month_of(start)
    qs = BranchPeriod.objects.filter(status__in=FROZEN, period__gte=first)
    if branch is not None:
        qs = qs.filter(branch=branch)
    found, named = [], set()
    for row in qs.select_related("branch").order_by("period", "branch__code"):
        if end is None or row.period <= month_of(end):
            found.append(row)
        elif row.branch_id not in named:
            found.append(row)  # the branch's first closed month after the days asked for
        named.add(row.branch_id)
    return found


# ---------------------------------------------------------------------------------------------
# Rule versions
# ---------------------------------------------------------------------------------------------
def rule_versions(*, component: str | None = None, on: dt.date | None = None) -> list[RuleVersion]:
    """Every version (of `component`), oldest first; with `on`, only the version in force that
    day (one per component)."""
    qs = RuleVersion.objects.all().order_by("component", "effective_from")
    if component:
        qs = qs.filter(component=component)
    if on is None:
        return list(qs)
    # One query (PostgreSQL DISTINCT ON) instead of one per component: the rules page and every
    # reader of "what is in force" ask this.
    latest = {v.component: v for v in qs.filter(effective_from__lte=on).order_by("component", "-effective_from")
              .distinct("component")}
    return [latest[c] for c in ([component] if component else COMPONENTS) if c in latest]


def next_version_after(component: str, day: dt.date) -> RuleVersion | None:
    return RuleVersion.objects.filter(component=component, effective_from__gt=day).order_by("effective_from").first()


def _usernames(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    return dict(User.objects.filter(pk__in=ids).values_list("pk", "username")) if ids else {}


def people_names(usernames) -> dict[str, str]:
    """username → the name people read on a page (the display name, else the username). The
    API keeps login names; pages show these."""
    usernames = {u for u in usernames if u}
    if not usernames:
        return {}
    return {u.username: u.label for u in User.objects.filter(username__in=usernames).only("username", "display_name")}


# The words each step's record starts with (commissions/adjustments.py, commissions/hq/services.py
# `stamp(reason=…)`), in the reader's language; what follows is what the person typed.
STEP_WORDS = {"提议": _lazy("提议"), "批准": _lazy("批准"), "驳回": _lazy("驳回"), "备案": _lazy("备案"),
              "撤回(提议人本人)": _lazy("提议人撤回"), "撤销": _lazy("撤销"), "总部撤销": _lazy("总部撤销")}


def step_words(reason: str) -> str:
    """A stored step reason in the reader's words: "批准:旺季" → "Approved: 旺季" in English."""
    text = reason or ""
    head, sep, note = text.partition(":")
    if head in STEP_WORDS:
        return f"{STEP_WORDS[head]}: {note}" if sep and note and is_english() else (
            f"{STEP_WORDS[head]}:{note}" if sep and note else str(STEP_WORDS[head]))
    return text


def steps_for_people(steps: list[dict], states, names: dict[str, str]) -> list[dict]:
    """History steps ({at, by, status, reason}) as a page shows them: `by_name` is the person's
    name, `status_label` the state in words (`states`: a TextChoices) and `reason` the record in
    the reader's words (`step_words`). `at` stays the ISO instant; the template formats it
    (local_datetime: Asia/Shanghai, the locale's format)."""
    labels = dict(states.choices)
    return [dict(h, by_name=names.get(h.get("by")) or "", status_label=str(labels.get(h.get("status"), "")),
                 reason=step_words(h.get("reason", ""))) for h in steps]


def rule_version_out(v: RuleVersion, names: dict[int, str] | None = None) -> dict:
    """The contract's shape: {id, component, effective_from, …params} plus who/when/note."""
    names = names if names is not None else _usernames([v.created_by_id])
    return {"id": v.id, "component": v.component, "effective_from": v.effective_from.isoformat(), **v.params,
            "note": v.note, "created_by": names.get(v.created_by_id), "created_at": v.created_at.isoformat()}


def rule_versions_out(versions: list[RuleVersion]) -> list[dict]:
    names = _usernames(v.created_by_id for v in versions)
    return [rule_version_out(v, names) for v in versions]


# ---------------------------------------------------------------------------------------------
# The register (备案)
# ---------------------------------------------------------------------------------------------
def register_rows(*, branch: str | None = None, status: str | None = None, component: str | None = None):
    qs = RegisteredAdjustment.objects.select_related("branch").order_by("branch__code", "component", "effective_from", "id")
    if branch:
        qs = qs.filter(branch__code=branch)
    if status:
        qs = qs.filter(status=status)
    if component:
        qs = qs.filter(component=component)
    return qs


def access_registered(registered_id) -> RegisteredAdjustment:
    row = RegisteredAdjustment.objects.select_related("branch").filter(pk=registered_id).first()
    if row is None:
        raise Http404
    return row


def _branch_steps(rows: list[RegisteredAdjustment]) -> dict[tuple[int, int], list]:
    """The branch-side steps (proposed, approved, revoked …) of each register row's adjustment,
    read from each branch's schema once (only the branches present in `rows`)."""
    from ..models import Adjustment

    by_branch: dict[int, tuple[Branch, list[int]]] = {}
    for r in rows:
        by_branch.setdefault(r.branch_id, (r.branch, []))[1].append(r.adjustment_id)
    records = []
    for branch, ids in by_branch.values():
        with schema_context(branch.schema_name):
            records += [(branch.pk, h) for h in
                        Adjustment.history.filter(id__in=ids).order_by("history_date", "history_id")]
    names = _usernames(h.history_user_id for _b, h in records)
    steps: dict[tuple[int, int], list] = {}
    for branch_id, h in records:
        steps.setdefault((branch_id, h.id), []).append({
            "at": h.history_date.isoformat(), "by": names.get(h.history_user_id), "status": h.status,
            "reason": h.history_change_reason or ""})
    return steps


def register_for_people(rows: list[dict]) -> list[dict]:
    """`register_out` rows for the register page: every step with the person's name and the
    state's label (see `steps_for_people`)."""
    from ..models import Adjustment

    names = people_names(h["by"] for r in rows for h in r["history"] + r["branch_history"])
    return [dict(r, history=steps_for_people(r["history"], RegisteredAdjustment.Status, names),
                 branch_history=steps_for_people(r["branch_history"], Adjustment.Status, names)) for r in rows]


def register_out(rows) -> list[dict]:
    """Register rows with their history (who, when, status, why), oldest step first:
    `history` of the register row itself and `branch_history` of the branch's adjustment."""
    rows = list(rows)
    history: dict[int, list] = {}
    branch_steps = _branch_steps(rows)
    records = list(RegisteredAdjustment.history.filter(id__in=[r.id for r in rows]).order_by("history_date", "history_id"))
    names = _usernames(h.history_user_id for h in records)
    for h in records:
        history.setdefault(h.id, []).append({
            "at": h.history_date.isoformat(), "by": names.get(h.history_user_id),
            "action": {"+": "registered", "~": "changed", "-": "deleted"}[h.history_type],
            "status": h.status, "reason": h.history_change_reason or "",
        })
    return [{
        "id": r.id, "branch": r.branch.code, "branch_name": r.branch.name, "adjustment_id": r.adjustment_id,
        "component": r.component, "percent": f"{r.percent:.2f}",
        "effective_from": r.effective_from.isoformat(),
        "effective_to": r.effective_to.isoformat() if r.effective_to else None,
        "status": r.status, "reason": r.reason,
        "revoked_from": r.revoked_from.isoformat() if r.revoked_from else None,
        "revoke_reason": r.revoke_reason, "registered_at": r.registered_at.isoformat(),
        "history": history.get(r.id, []), "branch_history": branch_steps.get((r.branch_id, r.adjustment_id), []),
    } for r in rows]
