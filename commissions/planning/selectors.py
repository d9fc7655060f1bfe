"""Reads of planning: the replay and the figures behind the suggestions. Nothing here writes.

The replay runs the recompute's own compiled SQL (`commissions.sql.lines_select`) twice per
month — once with the rule book as it is, once with the draft substituted (`engine.with_draft`) —
inside one statement per branch whose two sides are CTEs, summed by month, person and component.
No table is written, not even a temporary one, so a replay may run in any period, open or closed."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from branches.models import Branch, User
from hrsaas.core.labels import label
from hrsaas.core.snapshot import one_snapshot

from ..engine import BranchRef, RuleBook, add_months, period_end, period_of, period_start
from ..hq.rules import OpeningRewardRule, RetentionBonusRule, version_in_force
from ..selectors import line_sources
from ..services import rulebook_load
from ..sql import SourceBranch, lines_select
from . import engine as E


def replay_window(months: int, *, until: str | None = None, today: dt.date | None = None) -> list[str]:
    """The `months` months ending with `until` (default: this month), oldest first."""
    if not 1 <= months <= E.MAX_REPLAY_MONTHS:
        raise ValueError(f"months must be 1..{E.MAX_REPLAY_MONTHS}")
    last = period_start(until) if until else (today or timezone.localdate()).replace(day=1)
    return [period_of(add_months(last, -i)) for i in range(months - 1, -1, -1)]


def parse_window(data) -> list[str]:
    """`months` (1–24, default 12) and `until` (YYYY-MM, not after this month; default this month)
    from a query string or body → the replayed months; one ValidationError naming the field."""
    from hrsaas.core.inputs import Errors, parse_int, parse_period

    errors = Errors()
    months = E.DEFAULT_REPLAY_MONTHS
    if data.get("months") not in (None, ""):
        months = parse_int(data, "months", errors, low=1, high=E.MAX_REPLAY_MONTHS)
    until = None
    if data.get("until") not in (None, ""):
        until = parse_period(data, "until", errors, not_after_this_month=True)
    errors.raise_if_any()
    return replay_window(months, until=until)


def parse_adjustment_draft(data, branch: Branch) -> E.AdjustmentDraftData:
    """`{component, percent}` of an adjustment typed but not saved (the proposal's own checks)."""
    from django.core.exceptions import ValidationError

    from ..adjustments import parse_percent
    from ..hq.rules import COMPONENTS

    errors: dict[str, list[str]] = {}
    component = data.get("component")
    if component not in COMPONENTS:
        errors["component"] = [_("请选择提成项目。")]
    percent = parse_percent(data.get("percent"), "percent", errors)
    if errors:
        raise ValidationError(errors)
    return E.AdjustmentDraftData(branch.id, component, percent)


def _union(selects: list[str]) -> str:
    return " UNION ALL ".join(f"({s})" for s in selects)


@one_snapshot
def replay_rows(*, draft: E.Draft, periods: list[str], branches: list[Branch],
                rules: RuleBook | None = None,
                sources: dict[int, list[SourceBranch]] | None = None) -> list[E.ReplayRow]:
    """Per branch, month, person and component: the total under the rules in force and under the
    draft (in force from the window's first day), with line counts. Reads only. `sources`: what
    `commissions.selectors.line_sources` gives for these branches, when the caller already has it."""
    rules = rules or rulebook_load()
    drafted = E.with_draft(rules, draft, period_start(periods[0]))
    sources = sources if sources is not None else line_sources(branches)
    out: list[E.ReplayRow] = []
    with connection.cursor() as cur:
        for branch in branches:
            home = BranchRef(branch.id, branch.code)
            mine = sources[branch.id]
            now = _union([lines_select(period=p, home=home, sources=mine, rules=rules) for p in periods])
            then = _union([lines_select(period=p, home=home, sources=mine, rules=drafted) for p in periods])
            cur.execute(
                f"WITH cur AS ({now}), dra AS ({then}) "
                "SELECT period, earner_id, component, coalesce(c.amount, 0), coalesce(d.amount, 0), "
                "coalesce(c.n, 0), coalesce(d.n, 0) "
                "FROM (SELECT period, earner_id, component, sum(amount) AS amount, count(*) AS n FROM cur "
                "      GROUP BY 1, 2, 3) c "
                "FULL JOIN (SELECT period, earner_id, component, sum(amount) AS amount, count(*) AS n FROM dra "
                "      GROUP BY 1, 2, 3) d USING (period, earner_id, component) ORDER BY 1, 2, 3")
            out += [E.ReplayRow(branch.id, p, e, c, Decimal(a), Decimal(b), n1, n2)
                    for p, e, c, a, b, n1, n2 in cur.fetchall()]
    return out


@dataclass(frozen=True)
class Replay:
    """A replay ready for people: the sums plus names of branches and people."""

    summary: E.ReplaySummary
    branch_names: dict[int, str]
    person_names: dict[int, str]
    rows: list[E.ReplayRow]
    seconds: float


def replay(*, draft: E.Draft, periods: list[str], branches: list[Branch]) -> Replay:
    import time

    started = time.perf_counter()
    rows = replay_rows(draft=draft, periods=periods, branches=branches)
    summary = E.summarise(rows, periods)
    people = {u.pk: u.label for u in User.objects.filter(pk__in={r.earner_id for r in rows})}
    return Replay(summary=summary, branch_names={b.id: b.name for b in branches}, person_names=people, rows=rows,
                  seconds=time.perf_counter() - started)


def replay_out(r: Replay, *, as_text: bool = True) -> dict:
    """The replay as the API (`as_text`: money as strings with two places) and the pages and
    files (Decimals, formatted by the one formatter) show it: names and component words."""
    def fig(f: E.Figure, **extra) -> dict:
        if not as_text:
            return {**extra, "current": f.current, "draft": f.draft, "difference": f.difference}
        return {**extra, "current": f"{f.current:.2f}", "draft": f"{f.draft:.2f}", "difference": f"{f.difference:.2f}"}

    def person(f: E.Figure) -> dict:
        branch_id, earner_id = f.key
        return fig(f, name=r.person_names.get(earner_id, _("已删除人员")), branch=r.branch_names.get(branch_id, ""))

    s = r.summary
    return {
        "periods": list(s.periods), "lines": s.lines, "seconds": round(r.seconds, 3), **fig(s.total),
        "by_branch": [fig(f, branch=r.branch_names.get(f.key, "")) for f in s.by_branch],
        "by_component": [fig(f, component=label("component", f.key)) for f in s.by_component],
        "by_month": [fig(f, period=f.key) for f in s.by_month],
        "by_person": [person(f) for f in s.by_person],
        "gainers": [person(f) for f in s.gainers], "losers": [person(f) for f in s.losers],
    }


# ---------------------------------------------------------------------------------------------
# Figures for the suggestions
# ---------------------------------------------------------------------------------------------
def branch_figures(branch: Branch, periods: list[str], *, rules: RuleBook | None = None,
                   today: dt.date | None = None) -> E.BranchFigures:
    """One branch's openings by specialist (small clients = the first opening-reward tier in force
    today) and its one-year retention: clients whose first year ended within the window (and
    not after today), and how many of them were still served that day."""
    from branches.roles import Role

    rules = rules or rulebook_load()
    today = today or timezone.localdate()
    start, end = period_start(periods[0]), min(period_end(periods[-1]), today)
    opening = version_in_force(list(rules.versions), "opening_reward", today)
    small_max = None
    if opening is not None and isinstance(opening.rule, OpeningRewardRule) and opening.rule.tiers[0].max_headcount:
        small_max = opening.rule.tiers[0].max_headcount
    retention = version_in_force(list(rules.versions), "retention_bonus", today)
    retention_percent = retention.rule.percent if isinstance(getattr(retention, "rule", None), RetentionBonusRule) \
        else E.ZERO
    months = E.RETENTION_MONTHS
    with schema_context(branch.schema_name), connection.cursor() as cur:
        cur.execute(
            "SELECT c.opened_by_id, count(*), count(*) FILTER (WHERE c.headcount <= %s) FROM clients_client c "
            "WHERE c.opened_on BETWEEN %s AND %s AND c.opened_by_id IN (SELECT m.user_id FROM "
            "public.branches_branchmembership m WHERE m.branch_id = %s AND m.role = %s) GROUP BY 1",
            [small_max or 0, start, end, branch.id, Role.SPECIALIST])
        openings = cur.fetchall()
        cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE c.closed_on IS NULL OR c.closed_on > a.anniversary) "
            "FROM clients_client c, LATERAL (SELECT (c.opened_on + make_interval(months => %s))::date AS anniversary) a "
            "WHERE a.anniversary BETWEEN %s AND %s", [months, start, end])
        cohort, retained = cur.fetchone()
    names = {u.pk: u.label for u in User.objects.filter(pk__in=[r[0] for r in openings])}
    specialists = tuple(sorted((E.SpecialistOpenings(earner_id=e, name=names.get(e, ""), openings=n, small=s)
                                for e, n, s in openings), key=lambda s: s.name))
    return E.BranchFigures(branch_id=branch.id, branch_name=branch.name, small_tier_max=small_max,
                           specialists=specialists, retention_cohort=cohort, retained=retained,
                           retention_percent_in_force=retention_percent)


def hq_branches() -> list[Branch]:
    """HQ's scope: every active branch."""
    return list(Branch.objects.exclude(schema_name="public").filter(active=True).order_by("code"))


@one_snapshot
def suggestions(*, branches: list[Branch], periods: list[str], with_cost: bool = True) -> list[dict]:
    """Every suggestion for `branches` over `periods`, each with the replayed cost of its draft
    adjustment over the same months."""
    rules = rulebook_load()
    by_id = {b.id: b for b in branches}
    found = E.suggestions_for([branch_figures(b, periods, rules=rules) for b in branches])
    sources = line_sources([by_id[s.branch_id] for s in found]) if with_cost and found else {}
    out = []
    for s in found:
        item = suggestion_out(s, by_id[s.branch_id])
        if with_cost:
            rows = replay_rows(draft=E.AdjustmentDraftData(s.branch_id, s.component, s.percent), periods=periods,
                               branches=[by_id[s.branch_id]], rules=rules, sources=sources)
            summary = E.summarise(rows, periods)
            item.update(cost_current=f"{summary.total.current:.2f}", cost_draft=f"{summary.total.draft:.2f}",
                        cost_difference=f"{summary.total.difference:.2f}", people_changed=len(summary.gainers)
                        + len(summary.losers))
        out.append(item)
    return out


def suggestion_out(s: E.Suggestion, branch: Branch) -> dict:
    return {"kind": s.kind, "branch": branch.code, "branch_name": branch.name, "title": s.title,
            "explanation": s.explanation, "figures": [{"label": k, "value": v} for k, v in s.figures],
            "component": s.component, "component_label": label("component", s.component),
            "percent": f"{s.percent:.2f}"}
