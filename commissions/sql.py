"""The bulk recompute as SQL: one SELECT generated from the rule parameters (pure string building).

`engine.py` is the reference; this module compiles the same rules into a single set-based
statement so that a million events cost one INSERT … SELECT, not a million Python objects:

- rule versions and branch adjustments are piecewise-constant in the event date, so each becomes
  a `CASE WHEN date >= … THEN …` over literals (versions and adjustments are few);
- an amount is `round(base × rate × (100 + adjustment) × 0.0001, 2)` — multiplication only, so
  PostgreSQL's numeric is exact and `round` (half away from zero) equals ROUND_HALF_UP;
- each part is fenced with `OFFSET 0` so that its CASE expressions are evaluated once per row.

Every literal comes from typed values (dates, Decimals, ids) or a fixed vocabulary; schema names
and branch codes are checked against their patterns before they are interpolated.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from .engine import (
    HUNDRED,
    LINE_COMPONENTS,
    BranchRef,
    RuleBook,
    add_months,
    adjustment_breakpoints,
    adjustment_percent_on,
    period_end,
    period_start,
)
from .hq.rules import SERVICES, RuleVersionData

_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}\Z")
_CODE_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}\Z")
from hrsaas.core.period import PERIOD_RE as _PERIOD_RE  # noqa: E402  (format check before SQL text)

LINE_COLUMNS = ("period", "earner_id", "source", "component", "corrects", "corrects_period", "source_branch_id",
                "event_date", "rule_version_id", "base", "rate", "adjustment_percent", "amount",
                "home_rules_applied")


@dataclass(frozen=True)
class SourceBranch:
    ref: BranchRef
    schema: str


def _d(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def _n(value: Decimal) -> str:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TypeError(f"not a Decimal: {value!r}")
    return f"({value:f})"


def _case_by_date(date_sql: str, segments: list[tuple[dt.date | None, str]]) -> str:
    """`segments`: (start day or None for "from the beginning", expression), ascending."""
    if len(segments) == 1 and segments[0][0] is None:
        return segments[0][1]
    whens = " ".join(f"WHEN {date_sql} >= {_d(start)} THEN {expr}"
                     for start, expr in reversed(segments) if start is not None)
    default = segments[0][1] if segments[0][0] is None else "NULL"
    return f"(CASE {whens} ELSE {default} END)"


def _versions(rules: RuleBook, component: str) -> list[RuleVersionData]:
    return sorted((v for v in rules.versions if v.component == component), key=lambda v: v.effective_from)


def adjustment_sql(rules: RuleBook, branch_id: int, component: str, date_sql: str) -> str:
    points = adjustment_breakpoints(rules.adjustments, branch_id, component)
    if not points:
        return _n(Decimal("0.00"))
    segments = [(None, _n(adjustment_percent_on(rules.adjustments, branch_id, component,
                                                points[0] - dt.timedelta(days=1))))]
    segments += [(p, _n(adjustment_percent_on(rules.adjustments, branch_id, component, p))) for p in points]
    return _case_by_date(date_sql, segments)


def _adjustment_columns(rules: RuleBook, src: SourceBranch, home: BranchRef, line_component: str,
                        date_sql: str, constant_day: dt.date | None = None) -> tuple[str, str]:
    """(adjustment percent SQL, home_rules_applied SQL) for a line of `src` on `home`'s statement."""
    component = LINE_COMPONENTS[line_component]
    if constant_day is not None:  # the date is the same for every row: fold to literals
        adj = adjustment_percent_on(rules.adjustments, src.ref.id, component, constant_day)
        if src.ref.id != home.id and rules.no_shrink:
            home_adj = adjustment_percent_on(rules.adjustments, home.id, component, constant_day)
            if home_adj > adj:
                return _n(home_adj), "true"
        return _n(adj), "false"
    own = adjustment_sql(rules, src.ref.id, component, date_sql)
    if src.ref.id == home.id or not rules.no_shrink:
        return own, "false"
    other = adjustment_sql(rules, home.id, component, date_sql)
    return f"GREATEST({own}, {other})", f"({other} > {own})"


# Where every line's earner comes from: (table, alias in the parts below, earner columns). A
# branch's events reach another branch's statements only through these columns naming a person
# whose home is that other branch (the parts add conditions, never another earner), which is what
# `earner_homes` reads. Every part must select its earner from one of these columns and filter it
# with `_earner_filter`, which refuses a column not listed here (by alias and name: a check that
# catches a new column, not a proof that the alias is that table).
EARNER_COLUMNS = (("clients_client", "c", ("opened_by_id",)), ("commissions_sale", "s", ("seller_id",)),
                  ("commissions_lead", "l", ("marketer_id", "seller_id")))


def _earner_filter(column: str, src: SourceBranch, home: BranchRef) -> str:
    alias, _sep, name = column.partition(".")
    if not any(alias == a and name in names for _table, a, names in EARNER_COLUMNS):
        raise ValueError(f"{column} is not an earner column of EARNER_COLUMNS")
    if src.ref.id == home.id:
        return (f"{column} NOT IN (SELECT id FROM public.branches_user "
                f"WHERE home_branch_id IS NOT NULL AND home_branch_id <> {int(home.id)})")
    return f"{column} IN (SELECT id FROM public.branches_user WHERE home_branch_id = {int(home.id)})"


def _scope(column: str, earners: tuple[int, ...] | None) -> str:
    """` AND column IN (…)` for a per-earner recompute; "" for the whole branch-period."""
    if earners is None:
        return ""
    if not earners:
        return " AND false"
    return f" AND {column} IN ({', '.join(str(int(e)) for e in earners)})"


def _tier_sql(rule, headcount_sql: str) -> str:
    if rule.tiers[0].max_headcount is None:  # one tier: a flat amount
        return _n(rule.tiers[0].amount)
    parts = []
    for tier in rule.tiers:
        if tier.max_headcount is None:
            parts.append(f"ELSE {_n(tier.amount)}")
            break
        parts.append(f"WHEN {headcount_sql} <= {int(tier.max_headcount)} THEN {_n(tier.amount)}")
    return f"(CASE {' '.join(parts)} END)"


def _source_sql(code: str, kind: str, id_sql: str) -> str:
    return f"('{code}:{kind}:' || {id_sql})"


def _part(select_sql: str) -> str:
    return f"({select_sql} OFFSET 0)"


def _openings(rules, src, home, period, earners=None) -> list[str]:
    start, end = period_start(period), period_end(period)
    sx, code, bid = src.schema, src.ref.code, int(src.ref.id)
    opening_vs = _versions(rules, "opening_reward")
    parts = []
    if not opening_vs:
        return parts
    version_id = _case_by_date("c.opened_on", [(v.effective_from, str(int(v.id))) for v in opening_vs])
    tier = _case_by_date("c.opened_on", [(v.effective_from, _tier_sql(v.rule, "c.headcount")) for v in opening_vs])
    adj, home_applied = _adjustment_columns(rules, src, home, "opening_reward", "c.opened_on")
    parts.append(_part(
        f"SELECT c.opened_by_id AS earner_id, {_source_sql(code, 'client', 'c.id')} AS source, "
        f"'opening_reward'::varchar AS component, {bid} AS source_branch_id, c.opened_on AS event_date, "
        f"{version_id} AS rule_version_id, {tier} AS base, {_n(HUNDRED)} AS rate, {adj} AS adj, "
        f"{home_applied} AS home_applied "
        f'FROM "{sx}".clients_client c WHERE c.opened_on BETWEEN {_d(start)} AND {_d(end)} '
        f"AND c.opened_on >= {_d(opening_vs[0].effective_from)} AND c.opening_source <> 'awaiting' "
        f"AND {_earner_filter('c.opened_by_id', src, home)}"
        f"{_scope('c.opened_by_id', earners)}"
    ))
    parts += _clawbacks(rules, src, home, period, opening_vs, version_id, tier, earners)

    retention_vs = _versions(rules, "retention_bonus")
    if retention_vs:
        months = {v.rule.months for v in retention_vs}
        months_sql = (str(next(iter(months))) if len(months) == 1 else
                      _case_by_date("c.opened_on", [(v.effective_from, str(int(v.rule.months))) for v in retention_vs]))
        anniversary = f"(c.opened_on + make_interval(months => {months_sql}))::date"
        lo = add_months(start, -max(months)) - dt.timedelta(days=4)
        hi = add_months(end, -min(months)) + dt.timedelta(days=4)
        first = max(opening_vs[0].effective_from, retention_vs[0].effective_from)
        rv_id = _case_by_date("c.opened_on", [(v.effective_from, str(int(v.id))) for v in retention_vs])
        rate = _case_by_date("c.opened_on", [(v.effective_from, _n(v.rule.percent)) for v in retention_vs])
        inner = (
            f"SELECT c.id, c.opened_by_id, c.headcount, c.opened_on, {anniversary} AS anniversary "
            f'FROM "{sx}".clients_client c WHERE c.opened_on BETWEEN {_d(lo)} AND {_d(hi)} '
            f"AND c.opened_on >= {_d(first)} AND c.opening_source <> 'awaiting' "
            f"AND {_earner_filter('c.opened_by_id', src, home)}"
            f"{_scope('c.opened_by_id', earners)} "
            # A cycle client is retained when it still has insured people in the anniversary month;
            # another while it is not closed by then.
            f"AND CASE WHEN c.opening_source = 'cycle' THEN EXISTS (SELECT 1 FROM \"{sx}\".social_insurance_feestatement f "
            f"WHERE f.client_id = c.id AND f.period = to_char({anniversary}, 'YYYY-MM') AND f.employee_count > 0) "
            f"ELSE (c.closed_on IS NULL OR c.closed_on > {anniversary}) END"
        )
        adj, home_applied = _adjustment_columns(rules, src, home, "retention_bonus", "c.anniversary")
        parts.append(_part(
            f"SELECT c.opened_by_id AS earner_id, {_source_sql(code, 'client', 'c.id')} AS source, "
            f"'retention_bonus'::varchar AS component, {bid} AS source_branch_id, c.anniversary AS event_date, "
            f"{rv_id} AS rule_version_id, {tier} AS base, {rate} AS rate, {adj} AS adj, {home_applied} AS home_applied "
            f"FROM ({inner}) c WHERE c.anniversary BETWEEN {_d(start)} AND {_d(end)}"
        ))
    return parts


def _clawbacks(rules, src, home, period, opening_vs, version_id: str, tier: str, earners=None) -> list[str]:
    """扣回: a client closed within its opening rule's `clawback_months` takes the reward back in the
    month it leaves — the opening line negated (same base and float, rate −100)."""
    if all(v.rule.clawback_months == 0 for v in opening_vs):
        return []
    start, end = period_start(period), period_end(period)
    sx, code, bid = src.schema, src.ref.code, int(src.ref.id)
    months = _case_by_date("c.opened_on", [(v.effective_from, str(int(v.rule.clawback_months))) for v in opening_vs])
    adj, home_applied = _adjustment_columns(rules, src, home, "opening_clawback", "c.opened_on")
    return [_part(
        f"SELECT c.opened_by_id AS earner_id, {_source_sql(code, 'client', 'c.id')} AS source, "
        f"'opening_clawback'::varchar AS component, {bid} AS source_branch_id, c.closed_on AS event_date, "
        f"{version_id} AS rule_version_id, {tier} AS base, {_n(-HUNDRED)} AS rate, {adj} AS adj, "
        f"{home_applied} AS home_applied "
        f'FROM "{sx}".clients_client c WHERE c.closed_on BETWEEN {_d(start)} AND {_d(end)} '
        f"AND c.opened_on >= {_d(opening_vs[0].effective_from)} AND c.opening_source <> 'awaiting' "
        f"AND c.closed_on < (c.opened_on + make_interval(months => {months}))::date "
        f"AND {_earner_filter('c.opened_by_id', src, home)}{_scope('c.opened_by_id', earners)}"
    )]


def _sales(rules, src, home, period, earners=None) -> list[str]:
    start = period_start(period)
    from .hq.rules import version_in_force

    v = version_in_force(list(rules.versions), "sales_commission", start)
    if v is None:
        return []
    cutoff = add_months(start, 1 - v.rule.new_client_months)
    whens = " ".join(
        f"WHEN '{r.service}' THEN (CASE WHEN s.client_opened_on >= {_d(cutoff)} THEN {_n(r.new)} ELSE {_n(r.existing)} END)"
        for r in v.rule.rates if r.service in SERVICES
    )
    adj, home_applied = _adjustment_columns(rules, src, home, "sales_commission", "", constant_day=start)
    return [_part(
        f"SELECT s.seller_id AS earner_id, {_source_sql(src.ref.code, 'sale', 's.id')} AS source, "
        f"'sales_commission'::varchar AS component, {int(src.ref.id)} AS source_branch_id, {_d(start)} AS event_date, "
        f"{int(v.id)}::bigint AS rule_version_id, s.amount AS base, (CASE s.service {whens} END) AS rate, "
        f"{adj} AS adj, {home_applied} AS home_applied "
        f'FROM "{src.schema}".commissions_sale s WHERE s.period = \'{period}\' '
        f"AND (s.source <> 'cycle' OR s.{'statement_paid' if v.rule.earn_on == 'payment' else 'statement_confirmed'}) "
        f"AND {_earner_filter('s.seller_id', src, home)}{_scope('s.seller_id', earners)}"
    )]


def _leads(rules, src, home, period, earners=None) -> list[str]:
    start, end = period_start(period), period_end(period)
    vs = _versions(rules, "lead_attribution")
    if not vs:
        return []
    sx, code, bid = src.schema, src.ref.code, int(src.ref.id)
    version_id = _case_by_date("l.signed_on", [(v.effective_from, str(int(v.id))) for v in vs])
    shares = [  # (earner column, line component, lead source, rate getter)
        ("l.marketer_id", "lead_marketing", "marketing", lambda r: r.marketing_percent),
        ("l.seller_id", "lead_sales", "marketing", lambda r: r.sales_on_marketing_lead_percent),
        ("l.seller_id", "lead_sales", "sales", lambda r: r.sales_self_sourced_percent),
        ("l.marketer_id", "lead_conversion", "marketing",
         lambda r: r.points.conversion_bonus_percent if r.points is not None else Decimal("0.00")),
    ]
    parts = []
    for column, component, lead_source, rate_of in shares:
        if all(rate_of(v.rule) == 0 for v in vs):
            continue
        rate = _case_by_date("l.signed_on", [(v.effective_from, _n(rate_of(v.rule))) for v in vs])
        adj, home_applied = _adjustment_columns(rules, src, home, component, "l.signed_on")
        parts.append(_part(
            f"SELECT {column} AS earner_id, {_source_sql(code, 'lead', 'l.id')} AS source, "
            f"'{component}'::varchar AS component, {bid} AS source_branch_id, l.signed_on AS event_date, "
            f"{version_id} AS rule_version_id, l.amount AS base, {rate} AS rate, {adj} AS adj, "
            f"{home_applied} AS home_applied "
            f'FROM "{sx}".commissions_lead l WHERE l.signed_on BETWEEN {_d(start)} AND {_d(end)} '
            f"AND l.signed_on >= {_d(vs[0].effective_from)} AND l.source = '{lead_source}' "
            f"AND {column} IS NOT NULL AND {_earner_filter(column, src, home)}{_scope(column, earners)}"
        ))
    from .hq.rules import version_in_force

    pv = version_in_force(vs, "lead_attribution", end)
    if pv is not None and pv.rule.points is not None and pv.rule.points.points_per_qualified_lead != 0:
        pts = pv.rule.points
        adj, home_applied = _adjustment_columns(rules, src, home, "lead_points", "", constant_day=end)
        event_id = int(period.replace("-", ""))
        parts.append(_part(
            f"SELECT g.marketer_id AS earner_id, '{code}:leads:{event_id}'::varchar AS source, "
            f"'lead_points'::varchar AS component, {bid} AS source_branch_id, {_d(end)} AS event_date, "
            f"{int(pv.id)}::bigint AS rule_version_id, "
            f"round(g.qualified * {_n(pts.points_per_qualified_lead)} * {_n(pts.yuan_per_point)}, 2) AS base, "
            f"{_n(HUNDRED)} AS rate, {adj} AS adj, {home_applied} AS home_applied FROM ("
            f"SELECT l.marketer_id, count(*) AS qualified, "
            f"count(*) FILTER (WHERE l.signed_on IS NOT NULL AND l.signed_on <= {_d(end)}) AS converted "
            f'FROM "{sx}".commissions_lead l WHERE l.source = \'marketing\' AND l.qualified '
            f"AND l.created_on BETWEEN {_d(start)} AND {_d(end)} AND {_earner_filter('l.marketer_id', src, home)}"
            f"{_scope('l.marketer_id', earners)} "
            f"GROUP BY l.marketer_id) g "
            f"WHERE g.converted * 100 >= {_n(pts.min_conversion_percent)} * g.qualified"
        ))
    return parts


def earner_homes(cur, sources: list[SourceBranch], homes: list[int]) -> dict[int, set[int]]:
    """Per source branch id, which of `homes` have a person that the branch's clients, sales or
    leads name as an earner (EARNER_COLUMNS, any date), in one statement; a home's own branch is
    not looked at (`sources_for` always keeps it). A branch outside a home's set gives that home
    no line at all. Each column's distinct people are read by walking its index (one look-up per
    person named, every earner column being indexed): the cost follows the people named, not the
    events."""
    selects = []
    for src in sources:
        if not _SCHEMA_RE.match(src.schema):
            raise ValueError(f"bad branch {src!r}")
        for table, _alias, columns in EARNER_COLUMNS:
            for col in columns:
                t = f'"{src.schema}".{table}'
                # PostgreSQL has no skip scan: the next greater value, one index look-up at a time.
                walk = (f"WITH RECURSIVE e(id) AS ((SELECT {col} FROM {t} WHERE {col} IS NOT NULL ORDER BY {col} LIMIT 1) "
                        f"UNION ALL SELECT (SELECT {col} FROM {t} WHERE {col} > e.id ORDER BY {col} LIMIT 1) "
                        f"FROM e WHERE e.id IS NOT NULL) SELECT id FROM e WHERE id IS NOT NULL")
                selects.append(f"SELECT {int(src.ref.id)} AS source_id, u.home_branch_id FROM public.branches_user u "
                               f"WHERE u.id IN ({walk}) AND u.home_branch_id = ANY (%(homes)s) "
                               f"AND u.home_branch_id <> {int(src.ref.id)}")
    if not selects or not homes:
        return {}
    cur.execute(" UNION ".join(selects), {"homes": [int(h) for h in homes]})
    found: dict[int, set[int]] = {}
    for source_id, home_id in cur.fetchall():
        found.setdefault(source_id, set()).add(home_id)
    return found


def sources_for(home: BranchRef, sources: list[SourceBranch], homes: dict[int, set[int]]) -> list[SourceBranch]:
    """The branches whose events can give `home` a line: its own, and the others that name one
    of its people as an earner (`earner_homes`)."""
    return [s for s in sources if s.ref.id == home.id or home.id in homes.get(s.ref.id, ())]


# What each line component of an earner depends on (so that a per-earner recompute of the
# earners an event touches equals the full one; tests/commissions/test_recompute.py holds it):
# - opening_reward, retention_bonus: one client (its opener, opening date, headcount, closing);
# - sales_commission: one sale (its seller, service, amount, the client's opening date);
# - lead_marketing / lead_conversion (the marketer) and lead_sales (the seller): one signed lead —
#   an event on a lead marks both people it pays, and a re-attribution marks the old one too;
# - lead_points: the marketer's qualified marketing leads created in the month, per branch where
#   they were recorded (a count over one person's month, never over other people's);
# - every component: the rule versions and adjustments in force (HQ/branch-wide: a change of
#   those recomputes whole branch-periods, never per earner) and the earner's home branch.
# No line of one person depends on another person's events, so restricting every part to the
# earners (`earners`) yields exactly those earners' lines of the full SELECT.
def lines_select(*, period: str, home: BranchRef, sources: list[SourceBranch], rules: RuleBook,
                 earners: tuple[int, ...] | None = None) -> str:
    """A SELECT of every statement line of `home` for `period`, columns as LINE_COLUMNS; with
    `earners`, only those people's lines (from every source branch)."""
    if not _PERIOD_RE.match(period):
        raise ValueError(f"bad period {period!r}")
    parts: list[str] = []
    for src in sources:
        if not _SCHEMA_RE.match(src.schema) or not _CODE_RE.match(src.ref.code):
            raise ValueError(f"bad branch {src!r}")
        parts += _openings(rules, src, home, period, earners)
        parts += _sales(rules, src, home, period, earners)
        parts += _leads(rules, src, home, period, earners)
    if not parts:
        return ("SELECT " + ", ".join(f"NULL AS {c}" for c in LINE_COLUMNS) + " WHERE false")
    body = " UNION ALL ".join(parts)
    return (
        f"SELECT '{period}'::varchar AS period, x.earner_id, x.source, x.component, NULL::varchar AS corrects, "
        f"NULL::varchar AS corrects_period, x.source_branch_id, x.event_date, x.rule_version_id, x.base, x.rate, "
        f"x.adj AS adjustment_percent, round(x.base * x.rate * (100 + x.adj) * 0.0001, 2) AS amount, "
        f"x.home_applied AS home_rules_applied "
        f"FROM ({body}) x WHERE x.rate IS NOT NULL AND x.rate <> 0 AND x.base IS NOT NULL"
    )


# Stored types of the compared columns: the wanted values are cast to them so that a value equal
# to the stored one after rounding to the column compares equal (no needless update).
_STORED = {"base": "numeric(14,2)", "rate": "numeric(7,2)", "adjustment_percent": "numeric(5,2)",
           "amount": "numeric(14,2)"}
_KEY = ("earner_id", "source", "component")
_VALUES = tuple(c for c in LINE_COLUMNS if c not in _KEY + ("period", "corrects"))


# After `lines_diff_sql`, in the same transaction: the people whose lines it changed (the
# earner of each line deleted, updated or inserted).
DIFF_EARNERS_SQL = "SELECT DISTINCT coalesce(earner_id, stored_earner_id) FROM pg_temp.commissions_line_diff"


def lines_diff_sql(*, lines_table: str, period: str, select: str, earners: tuple[int, ...] | None = None) -> str:
    """Statements that bring `period`'s regular lines (`corrects` NULL) to what `select` wants,
    writing only differences.

    One FULL JOIN of wanted and stored lines on the business key (a hash or merge join, never
    quadratic) keeps the differences in a temporary table; then stale lines are deleted, changed
    ones updated in place (same id) and new ones inserted. A recompute that changes nothing writes
    no line, so an event in a large branch does not rewrite every line of its period. With
    `earners`, only those people's stored lines are compared (`select` must be restricted to the
    same people: `lines_select(earners=…)`)."""
    if not _SCHEMA_RE.match(lines_table) or not _PERIOD_RE.match(period):
        raise ValueError(f"bad table or period {lines_table!r} {period!r}")
    wanted = ", ".join(f"{c}::{_STORED[c]} AS {c}" if c in _STORED else c for c in LINE_COLUMNS)
    changed = (f"({', '.join('l.' + c for c in _VALUES)}) IS DISTINCT FROM ({', '.join('w.' + c for c in _VALUES)})")
    return f"""
DROP TABLE IF EXISTS pg_temp.commissions_line_diff;
CREATE TEMP TABLE commissions_line_diff ON COMMIT DROP AS
SELECT l.id AS line_id, l.earner_id AS stored_earner_id, w.*
FROM (SELECT {wanted} FROM ({select}) s) w
FULL JOIN (SELECT id, {', '.join(_KEY + _VALUES)} FROM {lines_table}
            WHERE period = '{period}' AND corrects IS NULL{_scope('earner_id', earners)}) l
  ON {' AND '.join(f'l.{c} = w.{c}' for c in _KEY)}
WHERE l.id IS NULL OR w.earner_id IS NULL OR {changed};
ANALYZE commissions_line_diff;
DELETE FROM {lines_table} l USING commissions_line_diff d WHERE d.earner_id IS NULL AND l.id = d.line_id;
UPDATE {lines_table} l SET {', '.join(f'{c} = d.{c}' for c in _VALUES)}
  FROM commissions_line_diff d WHERE d.line_id IS NOT NULL AND d.earner_id IS NOT NULL AND l.id = d.line_id;
INSERT INTO {lines_table} ({', '.join(LINE_COLUMNS)})
SELECT {', '.join(LINE_COLUMNS)} FROM commissions_line_diff WHERE line_id IS NULL;
"""
