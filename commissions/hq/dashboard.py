"""Reads of HQ's console (public schema only): commissions due (应发提成) per branch and month,
with how much of it is paid (已发放); openings and sales trends, the branch comparison, the
company leaderboard, and finance's list of locked periods.

Everything here comes from two public tables that each branch keeps current — the per-person
monthly rollup (EarnerMonthRollup, refreshed by every recompute and frozen with the period) and
the branch-periods (BranchPeriod) — so a page costs a fixed handful of queries however many
branches, people and statement lines there are; no branch schema is visited."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from branches.models import Branch, User
from hrsaas.core.people import names_told_apart
from hrsaas.money import ZERO

from ..engine import add_months, period_start
from .models import BranchPeriod, EarnerMonthRollup
from .selectors import FROZEN, month_of

TREND_MONTHS = 6
LEADERBOARD_SIZE = 20
FINANCE_ROWS = 240


def periods_ending(month: str, n: int = TREND_MONTHS) -> list[str]:
    """The `n` months ending with `month`, oldest first."""
    first = period_start(month)
    return [f"{d.year:04d}-{d.month:02d}" for d in (add_months(first, -i) for i in range(n - 1, -1, -1))]


def branches() -> list[Branch]:
    return list(Branch.objects.exclude(schema_name="public").order_by("code"))


@dataclass(frozen=True)
class Figures:
    openings: int = 0
    sales: Decimal = ZERO
    commission: Decimal = ZERO
    people: int = 0


def branch_month_figures(periods: list[str]) -> dict[tuple[int, str], Figures]:
    """(branch id, period) → that branch-month's totals, in one grouped query."""
    rows = (EarnerMonthRollup.objects.filter(period__in=periods).values("branch_id", "period")
            .annotate(n_openings=Sum("openings"), n_sales=Sum("sales_amount"), n_commission=Sum("commission"),
                      n_people=Count("user_id", filter=~Q(commission=0))))
    return {(r["branch_id"], r["period"]): Figures(r["n_openings"] or 0, r["n_sales"] or ZERO,
                                                   r["n_commission"] or ZERO, r["n_people"]) for r in rows}


def period_statuses(periods: list[str]) -> dict[tuple[int, str], str]:
    return {(b, p): s for b, p, s in
            BranchPeriod.objects.filter(period__in=periods).values_list("branch_id", "period", "status")}


def overview(*, month: str, metric: str) -> dict:
    """Everything the HQ dashboard shows for `month` (and the months before it)."""
    from ..selectors import hq_leaderboard

    all_branches = branches()
    periods = periods_ending(month)
    figures = branch_month_figures(periods)
    statuses = period_statuses(periods)
    empty = Figures()

    payouts = []
    for b in all_branches:
        cells = [{"period": p, "amount": figures.get((b.id, p), empty).commission,
                  "status": statuses.get((b.id, p), BranchPeriod.Status.OPEN)} for p in periods]
        payouts.append({"branch": b, "cells": cells, "total": sum((c["amount"] for c in cells), ZERO)})
    column_totals = [sum((figures.get((b.id, p), empty).commission for b in all_branches), ZERO) for p in periods]
    # The amounts are computed commissions (应发); only a paid period's amount has been paid out.
    paid_totals = [sum((row["cells"][i]["amount"] for row in payouts
                        if row["cells"][i]["status"] == BranchPeriod.Status.PAID), ZERO) for i in range(len(periods))]

    def series(attr: str) -> list[dict]:
        return [{"label": b.name, "data": [str(getattr(figures.get((b.id, p), empty), attr)) for p in periods]}
                for b in all_branches]

    comparison, month_total = [], ZERO
    for b in all_branches:
        f = figures.get((b.id, month), empty)
        month_total += f.commission
        comparison.append({"branch": b, "figures": f,
                           "per_person": (f.commission / f.people) if f.people else None,
                           "status": statuses.get((b.id, month), BranchPeriod.Status.OPEN)})
    for row in comparison:
        row["share"] = (row["figures"].commission * 100 / month_total) if month_total else None

    board = hq_leaderboard(period=month, metric=metric)[:LEADERBOARD_SIZE]
    people = {u.username: u for u in User.objects.filter(username__in=[r["username"] for r in board])
              .select_related("home_branch")}
    for r in board:
        u = people.get(r["username"])
        r["label"] = u.label if u else r["username"]
        r["branch"] = u.home_branch.name if u and u.home_branch else ""
    # The branch column tells most namesakes apart; two of one name in one branch get their
    # sign-in name as well.
    labels = names_told_apart([(r["label"], (r["username"],)) for r in board], beside=[r["branch"] for r in board])
    for r, label in zip(board, labels):
        r["label"] = label

    return {
        "periods": periods, "payouts": payouts, "column_totals": column_totals,
        "grand_total": sum(column_totals, ZERO),
        "paid_totals": paid_totals, "paid_grand_total": sum(paid_totals, ZERO),
        "charts": {"periods": periods, "openings": series("openings"), "sales": series("sales"),
                   "commission": series("commission")},
        "comparison": comparison, "month_total": month_total, "leaderboard": board,
    }


def finance_periods(*, status: str | None = None, branch_code: str | None = None) -> list[dict]:
    """Closed and paid branch-periods, newest first, each with its people and total payout."""
    qs = (BranchPeriod.objects.filter(status__in=[status] if status in FROZEN else FROZEN)
          .select_related("branch", "closed_by", "paid_by").order_by("-period", "branch__code"))
    if branch_code:
        qs = qs.filter(branch__code=branch_code)
    rows = list(qs[:FINANCE_ROWS])
    totals = {}
    if rows:
        agg = (EarnerMonthRollup.objects
               .filter(period__in={r.period for r in rows}, branch_id__in={r.branch_id for r in rows})
               .values("branch_id", "period")
               .annotate(total=Sum("commission"), people=Count("user_id", filter=~Q(commission=0))))
        totals = {(a["branch_id"], a["period"]): a for a in agg}
    out = []
    for r in rows:
        t = totals.get((r.branch_id, r.period), {})
        out.append({"bp": r, "branch": r.branch, "period": r.period, "status": r.status,
                    "total": t.get("total") or ZERO, "people": t.get("people") or 0})
    return out


def company_periods(rows: list[dict], all_branches: list[Branch]) -> list[dict]:
    """Finance rows grouped by period: how many branches are locked, out of the branches that
    existed that month (created on or before its last day, Shanghai time: a branch opened later
    had no such month to close), and their total. A branch that locked the period counts in both
    figures whatever its creation day, so the first never exceeds the second; so does a branch with
    statements in the period (its history imported at going live, or a demo's), which has that
    month to close whenever its row was created."""
    from .models import EarnerMonthRollup

    created = {b.pk: month_of(timezone.localdate(b.created_at)) for b in all_branches}
    by_period: dict[str, dict] = {}
    locked: dict[str, set[int]] = {}
    for r in rows:
        p = by_period.setdefault(r["period"], {"period": r["period"], "locked": 0, "total": ZERO, "people": 0})
        p["locked"] += 1
        p["total"] += r["total"]
        p["people"] += r["people"]
        locked.setdefault(r["period"], set()).add(r["branch"].pk)
    earned: dict[str, set[int]] = {}
    for branch_id, period in (EarnerMonthRollup.objects.filter(period__in=list(by_period), branch_id__in=list(created))
                              .values_list("branch_id", "period").distinct()):
        earned.setdefault(period, set()).add(branch_id)

    def existing(period: str) -> int:
        return sum(1 for pk, month in created.items()
                   if month <= period or pk in locked[period] or pk in earned.get(period, ()))

    return [dict(p, branches=existing(p["period"]))
            for p in sorted(by_period.values(), key=lambda p: p["period"], reverse=True)]
