"""Reads of the commissions app, scoped twice: the schema is the branch, and inside it a person
sees only what their role allows (`statements_visible_to`, `access_statement` — the same 404
for "missing" and "not yours")."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum
from django.http import Http404

from branches.models import Branch, BranchMembership, User
from branches.roles import BRANCH_READ_ALL, HQ_ROLES, roles_in_branch
from hrsaas.core.period import MAX_YEAR, MIN_YEAR, Period

from .engine import (
    AdjustmentData,
    BranchRef,
    Lead,
    Line,
    Opening,
    Sale,
    explain,
)
from .hq.models import BranchPeriod, EarnerMonthRollup
from .hq.rules import COMPONENTS, MAX_ADJUSTMENT_PERCENT
from .models import StatementLine
from .sql import LINE_COLUMNS, lines_select

WEEK_RE = re.compile(r"^([0-9]{4})-W([0-9]{2})$")
METRICS = ("openings", "sales", "commission")


def _money(d: Decimal | None) -> str:
    return f"{(d or Decimal(0)):.2f}"


def reads_all(actor, branch: Branch) -> bool:
    return bool(roles_in_branch(actor, branch) & (BRANCH_READ_ALL | HQ_ROLES))


# ---------------------------------------------------------------------------------------------
# Statements
# ---------------------------------------------------------------------------------------------
def _status(branch: Branch, period: str) -> str:
    return (BranchPeriod.objects.filter(branch=branch, period=period).values_list("status", flat=True).first()
            or BranchPeriod.Status.OPEN)


def statements_visible_to(actor, branch: Branch, period: str) -> list[dict]:
    """This branch's statements of `period` (one per person with lines); a specialist, marketer
    or salesperson sees only their own."""
    qs = StatementLine.objects.filter(period=period)
    if not reads_all(actor, branch):
        qs = qs.filter(earner_id=actor.pk)
    rows = list(qs.values("earner_id").annotate(total=Sum("amount"), lines=Count("id")).order_by("earner_id"))
    users = {u.pk: u for u in User.objects.filter(pk__in=[r["earner_id"] for r in rows])}
    status = _status(branch, period)
    out = []
    for r in rows:
        user = users.get(r["earner_id"])
        out.append({"username": user.username if user else str(r["earner_id"]),
                    "display_name": user.label if user else "", "period": period, "status": status,
                    "total": _money(r["total"]), "line_count": r["lines"]})
    return sorted(out, key=lambda s: s["username"])


def _line_from_row(row: StatementLine) -> Line:
    return Line(period=row.period, earner_id=row.earner_id, source=row.source, component=row.component,
                source_branch_id=row.source_branch_id, event_date=row.event_date,
                rule_version_id=row.rule_version_id, base=row.base, rate=row.rate,
                adjustment_percent=row.adjustment_percent, amount=row.amount,
                home_rules_applied=row.home_rules_applied, corrects=row.corrects,
                corrects_period=row.corrects_period)


def access_statement(actor, branch: Branch, username: str, period: str, *, lang: str = "zh") -> dict:
    # Most requests are a person's own statement: no look-up of the user they already are.
    user = actor if username == actor.username else User.objects.filter(username=username).first()
    if user is None:
        raise Http404
    if user.pk != actor.pk and not reads_all(actor, branch):
        raise Http404
    rows = list(StatementLine.objects.filter(period=period, earner_id=user.pk)
                .order_by("component", "source", "corrects", "id"))
    belongs = (user.home_branch_id == branch.id
               or BranchMembership.objects.filter(user=user, branch=branch).exists())
    if not rows and not belongs and user.pk != actor.pk:
        raise Http404
    lines = []
    for row in rows:
        line = _line_from_row(row)
        lines.append({
            "source": row.source, "component": row.component, "base": _money(row.base),
            "adjustment_percent": _money(row.adjustment_percent), "rate": _money(row.rate),
            "amount": _money(row.amount),
            "explanation": explain(line, home_branch_id=branch.id, lang=lang),
            "explanation_en": explain(line, home_branch_id=branch.id, lang="en"),
            "rule_version": row.rule_version_id, "event_date": row.event_date.isoformat(),
            "corrects": row.corrects,
        })
    total = sum((r.amount for r in rows), Decimal(0))
    return {"username": user.username, "display_name": user.label, "period": period,
            "status": _status(branch, period), "total": _money(total), "lines": lines}


# ---------------------------------------------------------------------------------------------
# What-if (for the adjustment approval page): no writes
# ---------------------------------------------------------------------------------------------
def what_if_adjustment(*, component: str, percent: Decimal, effective_from: dt.date,
                       effective_to: dt.date | None, periods: list[str]) -> list[dict]:
    """Per period and per earner of the current branch: the total under the registered
    adjustments, the total if this adjustment were added too (capped at ±20% like any stack),
    and the difference. Computed by the same SQL as the recompute; nothing is written.

    Returns [{period, username, earner_id, current_total, what_if_total, difference}] with
    Decimal amounts, sorted by period then username."""
    from .services import current_branch, rulebook_load, source_branches

    if component not in COMPONENTS:
        raise ValueError(f"unknown component {component!r}")
    if not isinstance(percent, Decimal) or abs(percent) > MAX_ADJUSTMENT_PERCENT:
        raise ValueError("percent must be a Decimal within ±20")
    branch = current_branch()
    rules = rulebook_load()
    hypothetical = replace(rules, adjustments=rules.adjustments + (AdjustmentData(
        branch_id=branch.id, component=component, percent=percent, effective_from=effective_from,
        effective_to=effective_to),))
    home, sources = BranchRef(branch.id, branch.code), source_branches()
    out = []
    with connection.cursor() as cur:
        for period in sorted(set(periods)):
            totals = {}
            for key, book in (("current", rules), ("what_if", hypothetical)):
                cur.execute(f"SELECT earner_id, sum(amount) FROM ({lines_select(period=period, home=home, sources=sources, rules=book)}) x GROUP BY earner_id")
                for earner_id, amount in cur.fetchall():
                    totals.setdefault(earner_id, {})[key] = amount
            users = {u.pk: u.username for u in User.objects.filter(pk__in=list(totals))}
            for earner_id, t in totals.items():
                current, what_if = t.get("current", Decimal("0.00")), t.get("what_if", Decimal("0.00"))
                out.append({"period": period, "username": users.get(earner_id, str(earner_id)), "earner_id": earner_id,
                            "current_total": current, "what_if_total": what_if, "difference": what_if - current})
    return sorted(out, key=lambda r: (r["period"], r["username"]))


# ---------------------------------------------------------------------------------------------
# Leaderboards
# ---------------------------------------------------------------------------------------------
def parse_board_period(period: str) -> tuple[str, dt.date, dt.date]:
    """("month"|"week", first day, last day) of `YYYY-MM` or ISO week `YYYY-Www`; ValueError if bad."""
    m = WEEK_RE.match(period or "")
    if m:
        year = int(m.group(1))
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(period)
        start = dt.date.fromisocalendar(year, int(m.group(2)), 1)
        return "week", start, start + dt.timedelta(days=6)
    month = Period.parse(period)  # PeriodError is a ValueError
    return "month", month.first_day, month.last_day


def rank_rows(values: dict[str, Decimal | int]) -> list[dict]:
    """Competition ranking (1, 2, 2, 4); gap_to_previous = how far below the next better value."""
    ordered = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    rows = []
    rank, better, current = 0, None, None  # one pass: a company-wide board has thousands of people
    for i, (username, value) in enumerate(ordered):
        if current is None or value != current:  # a new value: everyone above it is better
            better, current, rank = current, value, i + 1
        gap = (better - value) if better is not None else None
        rows.append({"rank": rank, "username": username, "value": value, "gap_to_previous": gap})
    return rows


def _fmt(metric: str, value):
    if value is None:
        return None
    return int(value) if metric == "openings" else _money(value)


def leaderboard(*, period: str, metric: str) -> list[dict]:
    """This branch's ranking (people on its statements) for a month or an ISO week."""
    if metric not in METRICS:
        raise ValueError(metric)
    kind, start, end = parse_board_period(period)
    qs = StatementLine.objects.all()
    if kind == "month":
        qs = qs.filter(period=period)
    else:
        qs = qs.filter(event_date__range=(start, end), corrects__isnull=True)
    agg = {"openings": Count("id", filter=Q(component="opening_reward", corrects__isnull=True)),
           "sales": Sum("base", filter=Q(component="sales_commission", corrects__isnull=True)),
           "commission": Sum("amount")}[metric]
    rows = qs.values("earner_id").annotate(v=agg)
    users = dict(User.objects.filter(pk__in=[r["earner_id"] for r in rows]).values_list("pk", "username"))
    values = {users.get(r["earner_id"], str(r["earner_id"])): (r["v"] or 0) for r in rows}
    values = {k: v for k, v in values.items() if v}
    return [dict(r, value=_fmt(metric, r["value"]), gap_to_previous=_fmt(metric, r["gap_to_previous"]))
            for r in rank_rows(values)]


def hq_leaderboard(*, period: str, metric: str) -> list[dict]:
    """Company-wide monthly ranking from the public rollup each branch recompute maintains."""
    if metric not in METRICS:
        raise ValueError(metric)
    parse_board_period(period)
    field = {"openings": "openings", "sales": "sales_amount", "commission": "commission"}[metric]
    rows = (EarnerMonthRollup.objects.filter(period=period).values("user__username")
            .annotate(v=Sum(field)))
    values = {r["user__username"]: r["v"] for r in rows if r["v"]}
    return [dict(r, value=_fmt(metric, r["value"]), gap_to_previous=_fmt(metric, r["gap_to_previous"]))
            for r in rank_rows(values)]


UNITS = {"openings": "户", "sales": "元", "commission": "元"}


def gap_text(*, rank: int, gap, metric: str, kind: str = "month") -> str:
    """"您当前月排名第3位,距离第2位还差2户"."""
    when = "当前月" if kind == "month" else "本周"
    text = f"您{when}排名第{rank}位"
    if rank > 1 and gap is not None:
        text += f",距离第{rank - 1}位还差{gap}{UNITS[metric]}"
    return text


# ---------------------------------------------------------------------------------------------
# Events as engine inputs (the Python reference; tests compare it with the SQL recompute)
# ---------------------------------------------------------------------------------------------
def engine_events() -> tuple[list[Opening], list[Sale], list[Lead], dict[int, int | None]]:
    from .services import source_branches

    openings, sales, leads = [], [], []
    with connection.cursor() as cur:
        for src in source_branches():
            ref, s = src.ref, src.schema
            cur.execute(f'SELECT id, opened_by_id, headcount, opened_on, closed_on FROM "{s}".clients_client')
            openings += [Opening(ref, r[0], r[1], r[2], r[3], r[4]) for r in cur.fetchall()]
            cur.execute(f'SELECT id, client_opened_on, service, period, amount, seller_id FROM "{s}".commissions_sale')
            sales += [Sale(ref, r[0], r[1], r[2], r[3], r[4], r[5]) for r in cur.fetchall()]
            cur.execute(f'SELECT id, source, marketer_id, created_on, qualified, seller_id, amount, signed_on '
                        f'FROM "{s}".commissions_lead')
            leads += [Lead(ref, *r) for r in cur.fetchall()]
        cur.execute("SELECT id, home_branch_id FROM public.branches_user")
        homes = dict(cur.fetchall())
    return openings, sales, leads, homes


def sql_lines(*, period: str) -> list[Line]:
    """What the recompute would write for `period` in the current branch (no writes)."""
    from .services import current_branch, rulebook_load, source_branches

    branch = current_branch()
    with connection.cursor() as cur:
        cur.execute(lines_select(period=period, home=BranchRef(branch.id, branch.code),
                                 sources=source_branches(), rules=rulebook_load()))
        return [Line(**dict(zip(LINE_COLUMNS, r))) for r in cur.fetchall()]
