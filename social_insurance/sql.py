"""The monthly compute as set-based SQL (one statement per step, no per-person Python).

It mirrors engine.py exactly — the same base clamp, rates, rounding modes and fixed amounts —
and tests/social_insurance/test_cycle.py checks every line against engine.contribution_for.
Run inside the branch's schema (search_path: branch, public) and inside a transaction.
"""
from __future__ import annotations

import re
import secrets
from typing import Callable

from psycopg2 import sql as pg_sql

from social_insurance.engine import _RULES, _UNITS

_PLACES = {"fen": 2, "jiao": 1, "yuan": 0}


# (mode, decimal places, 10^places, rule) for every rounding mode the engine knows; joined to
# the month's policy items, whose rule each line reads as flags (_ITEM_FACTORS, _rounded).
_MODES_VALUES = ", ".join(
    f"('{unit}_{rule}{side}', {_PLACES[unit]}, {10 ** _PLACES[unit]}, '{rule}')"
    for unit in _UNITS for rule in _RULES for side in ("", "_per_side"))


# Insured set of a month: first and last insured month from start/end dates and city settings.
# %(m)s is the month's first day. Default: no add cut-off, a leaver insured up to the end of
# the month before the leaving month. The month arithmetic is on plain dates (`timestamp`): a
# date is a calendar day, and the `timestamptz` a date would otherwise become is converted
# through the session's time zone for nothing.
_INSURED = """
DROP TABLE IF EXISTS pg_temp.si_insured;
CREATE TEMP TABLE si_insured ON COMMIT DROP AS
SELECT e.id, e.client_id, e.id_number_hash, e.id_number_masked, e.insured_city, e.contract_city,
       e.payroll_city, e.wage, e.housing_fund_percent, e.injury_rate, e.start_date, e.end_date,
       x.first_month, x.last_month
FROM social_insurance_insuredemployee e
LEFT JOIN si_policies_citysetting s ON s.city = e.insured_city
CROSS JOIN LATERAL (SELECT
    (date_trunc('month', e.start_date::timestamp)
      + CASE WHEN extract(day FROM e.start_date) > COALESCE(s.add_cutoff_day, 31)
             THEN interval '1 month' ELSE interval '0' END)::date AS first_month,
    CASE WHEN e.end_date IS NULL THEN 'infinity'::date
         ELSE (date_trunc('month', e.end_date::timestamp)
               - CASE WHEN COALESCE(s.remove_covers_leaving_month, false)
                      THEN interval '0' ELSE interval '1 month' END)::date END AS last_month
) x{export};
-- Temp tables have no statistics until analysed: without them, anti-joins go quadratic. Only
-- the columns later statements join or filter on (half the time of a full ANALYZE), from a
-- 3,000-row sample (target 10): the plans need sizes and distinct counts, not histograms, and
-- it costs a tenth of the default 30,000-row sample.
ALTER TABLE si_insured ALTER id SET STATISTICS 10, ALTER client_id SET STATISTICS 10,
    ALTER id_number_hash SET STATISTICS 10, ALTER insured_city SET STATISTICS 10,
    ALTER first_month SET STATISTICS 10, ALTER last_month SET STATISTICS 10;
ANALYZE si_insured (id, client_id, id_number_hash, insured_city, first_month, last_month);
"""
INSURED_SQL = _INSURED.format(export="")
# The same, and the snapshot it read the roster in exported (the setting hrsaas.si_snapshot): a
# second session importing it (SET TRANSACTION SNAPSHOT) reads the very same roster and
# policies. pg_export_snapshot() in the statement exports the statement's own snapshot; a
# separate SELECT would export a newer one.
INSURED_EXPORT_SQL = _INSURED.format(
    export="\nWHERE (SELECT set_config('hrsaas.si_snapshot', pg_export_snapshot(), true)) IS NOT NULL")

# 增减员 in one pass over the insured set: an addition is insured from the month on, a removal
# was insured up to the month before. A person is never both (a removal's last month is before
# the month, an addition's first month is the month, and a span never ends before it starts).
CHANGES_SQL = """
DELETE FROM social_insurance_staffchange WHERE period = %(period)s;
INSERT INTO social_insurance_staffchange (period, employee_id, kind, effective_date)
SELECT %(period)s, id, CASE WHEN first_month = %(m)s::date THEN 'add' ELSE 'remove' END,
       CASE WHEN first_month = %(m)s::date THEN start_date ELSE end_date END
  FROM si_insured
 WHERE last_month >= first_month
   AND (first_month = %(m)s::date
        OR (end_date IS NOT NULL AND (last_month + interval '1 month')::date = %(m)s::date));
"""

# Rates outside a newer policy year's range are clamped into it (the employee keeps their
# chosen rate while it is allowed); `i` is the policy item, `e` the insured person.
_ER = ("CASE WHEN i.rate_min IS NOT NULL THEN LEAST(GREATEST(COALESCE(e.housing_fund_percent, i.rate_min), i.rate_min), i.rate_max) "
       "WHEN i.employer_rate_min IS NOT NULL THEN LEAST(GREATEST(COALESCE(e.injury_rate, i.employer_rate_min), i.employer_rate_min), i.employer_rate_max) "
       "ELSE i.employer_percent END")
_EE = ("CASE WHEN i.rate_min IS NOT NULL THEN LEAST(GREATEST(COALESCE(e.housing_fund_percent, i.rate_min), i.rate_min), i.rate_max) "
       "ELSE i.employee_percent END")

# The items of the policies in force in the month, with their rounding spelled out. An unknown
# rounding mode leaves places NULL, so the line's amount is NULL and the insert fails loudly.
_ITEMS = f"""
SELECT p.id AS policy_id, p.city, i.kind, i.base_floor, COALESCE(i.base_ceiling, 'Infinity'::numeric) AS base_ceiling,
       i.rate_min, i.rate_max, i.employer_rate_min, i.employer_rate_max, i.employer_percent, i.employee_percent,
       i.employer_fixed, i.employee_fixed, r.places, r.factor, r.rule
FROM si_policies_citypolicy p
JOIN si_policies_policyitem i ON i.policy_id = p.id
LEFT JOIN (VALUES {_MODES_VALUES}) r(mode, places, factor, rule) ON r.mode = i.rounding
WHERE p.effective_from <= %(m)s::date AND (p.effective_to IS NULL OR p.effective_to >= %(m)s::date)
"""

# The month's items with what their lines share worked out once per item instead of once per
# line (OFFSET 0 keeps the subquery whole, so the join's hash holds the values): which side's
# rate is the person's own (housing fund: both; work injury: the employer's), the item's rates
# as stored types and their factors (rate × 0.01), whether a fixed amount is added, and the
# rounding rule as flags.
_ITEM_FACTORS = f"""
SELECT i.*, (i.rate_min IS NOT NULL OR i.employer_rate_min IS NOT NULL) AS own_er, (i.rate_min IS NOT NULL) AS own_ee,
       i.employer_percent::numeric(6,2) AS er0, i.employee_percent::numeric(6,2) AS ee0,
       i.employer_percent * 0.01 AS erf, i.employee_percent * 0.01 AS eef,
       i.employer_fixed <> 0 AS er_fixed, i.employee_fixed <> 0 AS ee_fixed,
       i.rule = 'half_up' AS half_up, i.rule = 'down' AS down
FROM ({_ITEMS}) i
OFFSET 0
"""


def _rounded(expr: str, a: str) -> str:
    """`expr` rounded to item `a`'s places by its rule (half_up / down / up, as the engine does)."""
    # PostgreSQL rounds numeric ties away from zero = ROUND_HALF_UP; `up` is away from zero.
    return (f"CASE WHEN {a}.half_up THEN round({expr}, {a}.places) WHEN {a}.down THEN trunc({expr}, {a}.places) "
            f"WHEN {a}.rule = 'up' THEN sign({expr}) * ceil(abs({expr}) * {a}.factor) / {a}.factor END")


def _plus_fixed(expr: str, a: str, side: str, typ: str) -> str:
    """`expr` plus item `a`'s fixed amount of `side` (er/ee), as `typ`; adding 0 changes neither the
    value nor, after the cast, its form, so it is skipped."""
    fixed = "employer_fixed" if side == "er" else "employee_fixed"
    return f"CASE WHEN {a}.{side}_fixed THEN ({expr} + {a}.{fixed})::{typ} ELSE ({expr})::{typ} END"


# The month's wanted regular lines (one per insured person and item of the policy in force).
# PostgreSQL has no common-subexpression elimination, so each level computes a value once
# and the next one reads it (OFFSET 0 keeps the levels apart): base and rates, then the
# exact amounts, then the rounded ones. A rate the person cannot choose is the item's, and its
# product is base × the item's factor (the same exact product as base × rate × 0.01: numeric
# multiplication is exact). Columns carry the stored types so they compare exactly with stored
# lines.
_WANT_PART = f"""
SELECT a.employee_id, a.client_id, a.kind, a.policy_id, a.wage, a.base, a.er, a.ee,
       {_plus_fixed("a.raw_er", "a", "er", "numeric(16,6)")} AS employer_precise,
       {_plus_fixed("a.raw_ee", "a", "ee", "numeric(16,6)")} AS employee_precise,
       {_plus_fixed(_rounded("a.raw_er", "a"), "a", "er", "numeric(12,2)")} AS employer_amount,
       {_plus_fixed(_rounded("a.raw_ee", "a"), "a", "ee", "numeric(12,2)")} AS employee_amount
FROM (SELECT b.employee_id, b.client_id, b.kind, b.policy_id, b.wage, b.base, b.er, b.ee, b.employer_fixed,
             b.employee_fixed, b.er_fixed, b.ee_fixed, b.half_up, b.down, b.rule, b.places, b.factor,
             CASE WHEN b.own_er THEN b.base * b.er * 0.01 ELSE b.base * b.erf END AS raw_er,
             CASE WHEN b.own_ee THEN b.base * b.ee * 0.01 ELSE b.base * b.eef END AS raw_ee
        FROM (SELECT e.id AS employee_id, e.client_id, i.kind, i.policy_id, e.wage, i.places, i.factor, i.rule,
                     i.half_up, i.down, i.employer_fixed, i.employee_fixed, i.er_fixed, i.ee_fixed, i.own_er, i.own_ee,
                     i.erf, i.eef,
                     LEAST(GREATEST(e.wage, i.base_floor), i.base_ceiling)::numeric(12,2) AS base,
                     CASE WHEN i.own_er THEN ({_ER})::numeric(6,2) ELSE i.er0 END AS er,
                     CASE WHEN i.own_ee THEN ({_EE})::numeric(6,2) ELSE i.ee0 END AS ee
                FROM si_insured e
                JOIN ({_ITEM_FACTORS}) i ON i.city = e.insured_city
               WHERE e.first_month <= %(m)s::date AND e.last_month >= %(m)s::date{{part}}
              OFFSET 0) b
      OFFSET 0) a
"""
_WANT = _WANT_PART.format(part="")

_LINE_COLUMNS = """(period, for_period, employee_id, client_id, kind, source, policy_id, wage, base, employer_percent,
     employee_percent, employer_precise, employee_precise, employer_amount, employee_amount, computed_at)"""

# The lines table's partitions of one month (migration 0007): the month's table, partitioned by
# source, holds `_regular` (the compute's lines, loaded by the month's first compute) and
# `_corrections` (补缴/退费/补差: every other source, listed — a default partition would be locked
# exclusively while the regular lines are attached beside it).
CORRECTION_SOURCES = ("back_pay", "refund", "true_up")
PARTITIONS_SQL = """
SELECT relname FROM pg_class
 WHERE relnamespace = current_schema()::regnamespace AND relispartition AND relname = ANY (%(names)s);
"""


def month_partitions(period: str) -> tuple[str, str, str]:
    """(month, regular, corrections) partition names of `period` (a checked 'YYYY-MM')."""
    month = "social_insurance_contributionline_" + period.replace("-", "_")
    return month, month + "_regular", month + "_corrections"


def _existing(cur, period: str) -> set[str]:
    cur.execute(PARTITIONS_SQL, {"names": list(month_partitions(period))})
    return {name for (name,) in cur.fetchall()}


def _bare(cur, name: str, *, by_source: bool = False) -> pg_sql.Identifier:
    """A new table shaped like the lines table (no indexes: ATTACH builds them)."""
    table = pg_sql.Identifier(name)
    cur.execute(pg_sql.SQL("CREATE TABLE {} (LIKE social_insurance_contributionline INCLUDING DEFAULTS "
                           "INCLUDING CONSTRAINTS){}").format(
        table, pg_sql.SQL(" PARTITION BY LIST (source)" if by_source else "")))
    return table


def _attach(cur, parent: str, table: pg_sql.Identifier, bound: pg_sql.Composable) -> None:
    # ATTACH locks the parent SHARE UPDATE EXCLUSIVE only (CREATE TABLE … PARTITION OF would lock
    # out its readers until commit), builds the parent's indexes on the new partition by sorting
    # its rows and clones its row triggers.
    cur.execute(pg_sql.SQL("ALTER TABLE {} ATTACH PARTITION {} {}").format(pg_sql.Identifier(parent), table, bound))


def _ensure_month(cur, period: str, existing: set[str]) -> str:
    month = month_partitions(period)[0]
    if month not in existing:
        _attach(cur, "social_insurance_contributionline", _bare(cur, month, by_source=True),
                pg_sql.SQL("FOR VALUES IN ({})").format(pg_sql.Literal(period)))
    return month


def has_regular_partition(cur, period: str) -> bool:
    """Has the month's first compute loaded its regular lines?"""
    return month_partitions(period)[1] in _existing(cur, period)


def ensure_corrections_partition(cur, period: str) -> None:
    """The month's corrections partition, created empty if it is missing: for the writers of
    补缴/退费 and 补差 lines. Callers hold the month's cycle row lock, as the month's compute
    does, so two of them never create it at once."""
    existing = _existing(cur, period)
    month, _, corrections = month_partitions(period)
    if corrections not in existing:
        _ensure_month(cur, period, existing)
        _attach(cur, month, _bare(cur, corrections), pg_sql.SQL("FOR VALUES IN ({})").format(
            pg_sql.SQL(", ").join(pg_sql.Literal(source) for source in CORRECTION_SOURCES)))


def copy_insert_triggers(cur, table: pg_sql.Identifier) -> list[str]:
    """The lines table's insert triggers, as defined now, created on `table` too (an insert
    straight into a table does not fire its partitioned parent's statement triggers); their names."""
    cur.execute("SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal AND tgtype & 4 <> 0 "
                "AND tgrelid = 'social_insurance_contributionline'::regclass ORDER BY tgname")
    triggers = cur.fetchall()
    on_table = " ON " + table.as_string(cur.connection) + " "
    for _, definition in triggers:
        # pg_get_triggerdef names the table unquoted and unqualified: the branch is on the search path
        cur.execute(re.sub(r" ON \S+ ", lambda _: on_table, definition, count=1))
    return [name for name, _ in triggers]


def load_new_month(cur, params: dict, staged: Callable[[], tuple[str, str] | None] | None = None) -> None:
    """A month's first regular lines, when it has no regular partition yet: loaded into a new bare
    table, with the lines table's insert triggers (the same checks as any insert into it) and the
    partition's bound as a check, then attached as the month's regular partition; ATTACH builds
    each of the table's indexes on it by one sort, which is cheaper than inserting every line into
    seven btrees, and skips its scan of the rows. `id` comes from the lines table's sequence."""
    period = params["period"]
    month = _ensure_month(cur, period, _existing(cur, period))
    table = _bare(cur, month_partitions(period)[1])
    # The partition's bound as a check while loading (each row checked as it is written): ATTACH
    # then knows that every row belongs and does not read them all again to prove it.
    bound = pg_sql.Identifier("si_line_load_bound")
    cur.execute(pg_sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} CHECK (period = {} AND source = 'regular')").format(
        table, bound, pg_sql.Literal(period)))
    triggers = copy_insert_triggers(cur, table)
    cur.execute("SELECT pg_get_serial_sequence('social_insurance_contributionline', 'id')")
    params = {**params, "sequence": cur.fetchone()[0]}
    if staged is None:
        drop_stages(cur, period)  # left by an earlier compute's second session, if any
        cur.execute(pg_sql.SQL("INSERT INTO {} ").format(table) + pg_sql.SQL(LOAD_LINES_SQL), params)
    else:
        _load_with_stage(cur, table, params, staged)
    for trigger in triggers:  # attached, the partition runs the lines table's triggers like any other
        cur.execute(pg_sql.SQL("DROP TRIGGER {} ON {}").format(pg_sql.Identifier(trigger), table))
    _attach(cur, month, table, pg_sql.SQL("FOR VALUES IN ('regular')"))
    cur.execute(pg_sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(table, bound))  # the bound holds it now
    # Until autovacuum gets to it the new table has no statistics, and reads of its month (a
    # retried compute's comparison, say) would be planned as if it held one row. Sizes and
    # distinct counts are what those plans need: a 3,000-row sample of the columns they filter
    # and join on (target 10) costs a few milliseconds.
    cur.execute("SET LOCAL default_statistics_target = 10")
    cur.execute(pg_sql.SQL("ANALYZE {} (period, source, for_period, employee_id, kind, client_id)").format(table))
    cur.execute("RESET default_statistics_target")


# A month's first compute: its lines into the month's new regular partition (load_new_month
# puts `INSERT INTO <partition>` in front); ids from the lines table's sequence. (Summing the rows
# it returns in the same statement measured slower than one more scan of the month's lines,
# which are then in cache.)
_LOAD = f"""
    (id, {_LINE_COLUMNS.strip()[1:]}
SELECT nextval(%(sequence)s::regclass), %(period)s, %(period)s, employee_id, client_id, kind, 'regular', policy_id,
       wage, base, er, ee, employer_precise, employee_precise, employer_amount, employee_amount, now()
FROM ({{want}}) w{{where}};
"""
LOAD_LINES_SQL = _LOAD.format(want=_WANT, where="")

# A first compute's lines split between two sessions (load_new_month with `staged`): this one
# computes and stores the people whose id falls in its share (STAGE_MINE of every STAGE_OF),
# while a second session, in the snapshot this one read the roster in (INSURED_EXPORT_SQL),
# computes the others' into a table of its own (STAGE_SQL), which this one then stores
# (LOAD_STAGE_SQL). Every statement computing lines also notes the month's policy items it
# priced them by (hrsaas.si_items: a digest of every item's values), so both shares are known
# to be priced by the same items.
STAGE_OF, STAGE_MINE = 5, 2
_ITEMS_DIGEST = (f"(SELECT set_config('hrsaas.si_items', (SELECT md5(string_agg(i::text, '|' ORDER BY i.policy_id, i.kind)) "
                 f"FROM ({_ITEMS}) i), true))")
_MINE = f" AND mod(e.id, {STAGE_OF}) < {STAGE_MINE}"
_THEIRS = f" AND mod(e.id, {STAGE_OF}) >= {STAGE_MINE}"
LOAD_MINE_SQL = _LOAD.format(want=_WANT_PART.format(part=_MINE), where=f"\nWHERE {_ITEMS_DIGEST} IS NOT NULL")
LOAD_THEIRS_SQL = _LOAD.format(want=_WANT_PART.format(part=_THEIRS), where=f"\nWHERE {_ITEMS_DIGEST} IS NOT NULL")
STAGE_SQL = f"""
CREATE UNLOGGED TABLE {{stage}} AS
SELECT employee_id, client_id, kind, policy_id, wage, base, er, ee, employer_precise, employee_precise,
       employer_amount, employee_amount
FROM ({_WANT_PART.format(part=_THEIRS)}) w
WHERE {_ITEMS_DIGEST} IS NOT NULL;
"""
LOAD_STAGE_SQL = _LOAD.format(want="SELECT * FROM {stage}", where="")  # {stage}: filled by pg_sql
STAGE_PREFIX = "si_stage_"


class PoliciesChanged(Exception):
    """A city's policy items changed while a month's lines were being computed."""


def stage_name(period: str) -> str:
    return f"{STAGE_PREFIX}{period.replace('-', '_')}_{secrets.token_hex(4)}"


def drop_stages(cur, period: str) -> None:
    """Stage tables of `period` left by a compute that failed after its second session committed
    one (the caller holds the month's lock, so no compute of the month is using one)."""
    cur.execute("SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
                "AND relkind = 'r' AND starts_with(relname, %s)", [f"{STAGE_PREFIX}{period.replace('-', '_')}_"])
    for (name,) in cur.fetchall():
        cur.execute(pg_sql.SQL("DROP TABLE IF EXISTS {}").format(pg_sql.Identifier(name)))


def _items_digest(cur) -> str:
    cur.execute("SELECT current_setting('hrsaas.si_items')")
    return cur.fetchone()[0]


def _load_with_stage(cur, table: pg_sql.Identifier, params: dict,
                     staged: Callable[[], tuple[str, str] | None]) -> None:
    """This session's share of the lines, then the second session's from its stage table — or,
    when it has none (`staged()` is None: it failed) or priced them by other items, computed here."""
    cur.execute(pg_sql.SQL("INSERT INTO {} ").format(table) + pg_sql.SQL(LOAD_MINE_SQL), params)
    mine = _items_digest(cur)
    stage, theirs = staged() or (None, None)
    if stage is not None and theirs == mine:
        cur.execute(pg_sql.SQL("INSERT INTO {} ").format(table)
                    + pg_sql.SQL(LOAD_STAGE_SQL).format(stage=pg_sql.Identifier(stage)), params)
    else:
        cur.execute(pg_sql.SQL("INSERT INTO {} ").format(table) + pg_sql.SQL(LOAD_THEIRS_SQL), params)
        if _items_digest(cur) != mine:
            # A version published between the two statements: each share priced by another.
            raise PoliciesChanged(params["period"])
    if stage is not None:
        cur.execute(pg_sql.SQL("DROP TABLE {}").format(pg_sql.Identifier(stage)))

# Recompute: one pass comparing wanted with stored regular lines (a FULL JOIN is always a hash
# or merge join, so no mis-estimate can make it quadratic); only the differences are kept,
# then applied by line id: stale lines deleted, changed ones updated in place (same id), new
# ones inserted. A recompute with no changes writes no line.
DIFF_LINES_SQL = f"""
DROP TABLE IF EXISTS pg_temp.si_line_diff;
CREATE TEMP TABLE si_line_diff ON COMMIT DROP AS
SELECT l.id AS line_id, w.*
FROM ({_WANT}) w
FULL JOIN (SELECT id, employee_id, kind, client_id, policy_id, wage, base, employer_percent, employee_percent,
                  employer_precise, employee_precise, employer_amount, employee_amount
             FROM social_insurance_contributionline
            WHERE period = %(period)s AND source = 'regular' AND for_period = %(period)s) l
  ON l.employee_id = w.employee_id AND l.kind = w.kind
WHERE l.id IS NULL OR w.employee_id IS NULL
   OR (l.client_id, l.policy_id, l.wage, l.base, l.employer_percent, l.employee_percent, l.employer_precise,
       l.employee_precise, l.employer_amount, l.employee_amount)
      IS DISTINCT FROM
      (w.client_id, w.policy_id, w.wage, w.base, w.er, w.ee, w.employer_precise, w.employee_precise,
       w.employer_amount, w.employee_amount);
ANALYZE si_line_diff;
DELETE FROM social_insurance_contributionline l
 USING si_line_diff d
 WHERE d.employee_id IS NULL AND l.period = %(period)s AND l.source = 'regular' AND l.id = d.line_id;
UPDATE social_insurance_contributionline l
   SET client_id = d.client_id, policy_id = d.policy_id, wage = d.wage, base = d.base, employer_percent = d.er,
       employee_percent = d.ee, employer_precise = d.employer_precise, employee_precise = d.employee_precise,
       employer_amount = d.employer_amount, employee_amount = d.employee_amount, computed_at = now()
  FROM si_line_diff d
 WHERE d.line_id IS NOT NULL AND d.employee_id IS NOT NULL AND l.period = %(period)s AND l.source = 'regular'
   AND l.id = d.line_id;
INSERT INTO social_insurance_contributionline
    {_LINE_COLUMNS}
SELECT %(period)s, %(period)s, employee_id, client_id, kind, 'regular', policy_id, wage, base, er, ee,
       employer_precise, employee_precise, employer_amount, employee_amount, now()
FROM si_line_diff WHERE line_id IS NULL;
"""

# People missing from filed months of their insured span — entered after the month was filed (a
# 增员 entered late, or between a month's compute and its filing): one row per person and filed
# month, for the month computed to back-pay (补缴) and list as 增员. Only people entered after the
# filed month's compute can be missing from it (the hour covers a record saved before the
# compute read the roster but committed after), and only filed months within the cities'
# longest back-payment window (%(since_period)s) are looked at, so the few candidates are
# probed by key. A month back-paid by an earlier month's lines is not back-paid again; this
# month's own are re-derived by every compute.
LATE_ADDS_SQL = """
WITH filed AS MATERIALIZED (
    SELECT period, to_date(period, 'YYYY-MM') AS month, computed_at - interval '1 hour' AS since
      FROM social_insurance_monthcycle
     WHERE status = 'filed' AND period < %(period)s AND period >= %(since_period)s),
-- The candidates first, by one pass over the roster (a plan starting from the months would
-- pair each with every insured person).
entered AS MATERIALIZED (
    SELECT id, created_at FROM social_insurance_insuredemployee WHERE created_at > (SELECT min(since) FROM filed)),
fresh AS MATERIALIZED (
    SELECT n.id, f.period, f.month FROM entered n JOIN filed f ON n.created_at > f.since)
SELECT e.id, e.client_id, e.insured_city, e.wage, e.housing_fund_percent, e.injury_rate, e.start_date,
       to_char(e.first_month, 'YYYY-MM'),
       CASE WHEN e.last_month = 'infinity' THEN NULL ELSE to_char(e.last_month, 'YYYY-MM') END, f.period
  FROM fresh f
  JOIN si_insured e ON e.id = f.id AND f.month BETWEEN e.first_month AND e.last_month
  -- Probed per candidate (LATERAL … LIMIT 1): as NOT EXISTS the planner may merge the
  -- candidates with every month's lines, a read of all of them.
  LEFT JOIN LATERAL (SELECT 1 AS found FROM social_insurance_contributionline l
                      WHERE l.period = f.period AND l.source = 'regular' AND l.employee_id = e.id LIMIT 1) r ON true
  LEFT JOIN LATERAL (SELECT 1 AS found FROM social_insurance_contributionline l
                      WHERE l.period > f.period AND l.period <> %(period)s AND l.for_period = f.period
                        AND l.employee_id = e.id AND l.source = 'back_pay' AND l.dispute_id IS NULL
                        AND l.corrects_id IS NULL LIMIT 1) b ON true
 WHERE r.found IS NULL AND b.found IS NULL
 ORDER BY e.id, f.period;
"""

# People insured in the month computed (the branch's earliest open month) whose first insured
# month is before it, entered after the branch's first compute (%(went_live)s), charged for no
# month before it and listed as 增员 nowhere: a start further back than could be back-paid,
# entered before the entry refused one (services._list_backdated_additions lists them here).
BACKDATED_ADDS_SQL = """
SELECT e.id
  FROM si_insured e
  JOIN social_insurance_insuredemployee r ON r.id = e.id
 WHERE e.first_month < %(m)s::date AND e.last_month >= %(m)s::date AND r.created_at > %(went_live)s
   AND NOT EXISTS (SELECT 1 FROM social_insurance_staffchange s WHERE s.employee_id = e.id AND s.kind = 'add')
   AND NOT EXISTS (SELECT 1 FROM social_insurance_contributionline l
                    WHERE l.employee_id = e.id AND l.for_period < %(period)s AND l.source IN ('regular', 'back_pay'))
 ORDER BY e.id;
"""

# People whose 减员 belongs to a filed month (their removal month, the one after their last
# insured month) that did not list it: their leaving was recorded after that month was computed,
# or they were entered late themselves. They were registered with the agency — a month up to the
# removal month charged them (its regular line, or a 补缴, this month's included) — and no month
# has listed their 减员. The agency keeps a filed month as filed (no refund), so the 减员 goes on
# the list of the month computed, dated as it happened. Only records changed after the removal
# month's compute (their history says when) are looked at, within %(removal_since)s.
LATE_REMOVALS_SQL = """
WITH filed AS MATERIALIZED (
    SELECT period, (to_date(period, 'YYYY-MM') - interval '1 month')::date AS last_insured,
           computed_at - interval '1 hour' AS since
      FROM social_insurance_monthcycle
     WHERE status = 'filed' AND period < %(period)s AND period >= %(removal_since)s)
SELECT DISTINCT e.id, e.end_date
  FROM filed f
  JOIN social_insurance_historicalinsuredemployee h ON h.history_date > f.since
  JOIN si_insured e ON e.id = h.id AND e.end_date IS NOT NULL AND e.last_month <= f.last_insured
  JOIN LATERAL (SELECT 1 FROM social_insurance_contributionline l  -- probed per candidate, as above
                WHERE l.employee_id = e.id AND l.for_period <= f.period
                  AND (l.source = 'regular' OR (l.source = 'back_pay' AND l.corrects_id IS NULL))
                  -- its removal month is this filed one, or (a removal month never filed: before
                  -- the branch's first filed month) it was charged in this filed month after leaving
                  AND (e.last_month = f.last_insured OR l.for_period > to_char(e.last_month, 'YYYY-MM'))
                LIMIT 1) r ON true
 WHERE NOT EXISTS (SELECT 1 FROM social_insurance_staffchange s
                    WHERE s.employee_id = e.id AND s.kind = 'remove' AND s.period <> %(period)s)
 ORDER BY e.id;
"""

# A statement whose totals change goes back to "awaiting confirmation"; one of a client left
# without lines is zeroed. `{sums}` yields (client_id, n, er, ee) per client with lines;
# `{has_lines}` finds statement s's client among them.
_STATEMENTS = """
INSERT INTO social_insurance_feestatement
    (period, client_id, employee_count, employer_total, employee_total, total, status, response_note, updated_at)
SELECT %(period)s, c.client_id, c.n, c.er, c.ee, c.er + c.ee, 'issued', '', now()
FROM ({sums}) c
ON CONFLICT (period, client_id) DO UPDATE SET
    employee_count = EXCLUDED.employee_count, employer_total = EXCLUDED.employer_total,
    employee_total = EXCLUDED.employee_total, total = EXCLUDED.total, updated_at = now(),
    status = 'issued', responded_at = NULL, responded_by_id = NULL,
    reply_note = '', replied_at = NULL, replied_by_id = NULL  -- an answer to the figures replaced
WHERE (social_insurance_feestatement.employer_total, social_insurance_feestatement.employee_total,
       social_insurance_feestatement.employee_count)
      IS DISTINCT FROM (EXCLUDED.employer_total, EXCLUDED.employee_total, EXCLUDED.employee_count);
UPDATE social_insurance_feestatement s
   SET employee_count = 0, employer_total = 0, employee_total = 0, total = 0, status = 'issued', updated_at = now()
 WHERE s.period = %(period)s AND s.total <> 0
   AND NOT EXISTS ({has_lines});
"""

STATEMENTS_SQL = _STATEMENTS.format(sums="""
SELECT client_id, count(DISTINCT employee_id) AS n, sum(employer_amount) AS er, sum(employee_amount) AS ee
  FROM social_insurance_contributionline WHERE period = %(period)s GROUP BY client_id""", has_lines="""
SELECT 1 FROM social_insurance_contributionline l WHERE l.period = s.period AND l.client_id = s.client_id""")

# The month's statements from its sums, then the totals row (people with lines, employer
# total, employee total) as the last result.
STATEMENTS_FROM_SUMS_SQL = _STATEMENTS.format(
    sums="SELECT client_id, n, er, ee FROM si_month_sums WHERE whole_month = 0",
    has_lines="SELECT 1 FROM si_month_sums c WHERE c.whole_month = 0 AND c.client_id = s.client_id") + """
SELECT n, er, ee FROM si_month_sums WHERE whole_month = 1;
"""

# The month's per-client sums and totals (the whole-month row has whole_month = 1), read by the
# statements step. Money is summed over the month's lines (hashed, no sort); people are counted
# from the insured set instead of by a distinct count over the lines (two sorts of every line):
# after the compute the month's regular lines are exactly one per insured person and item of
# their city's policy, so the people with regular lines are the insured people whose city has a
# policy in force, each under their client — one row each in the insured set, so counted without
# removing duplicates; the few people with only other lines (补缴/退费/补差) under a client are
# added from those lines, and to the month's total only if they are not insured under another.
_INSURED_WITH_POLICY = f"""
SELECT e.id, e.client_id FROM si_insured e
 WHERE e.first_month <= %(m)s::date AND e.last_month >= %(m)s::date
   AND e.insured_city IN (SELECT i.city FROM ({_ITEMS}) i)
"""
MONTH_SUMS_SQL = f"""
DROP TABLE IF EXISTS pg_temp.si_month_sums;
CREATE TEMP TABLE si_month_sums ON COMMIT DROP AS
WITH money AS (
    SELECT client_id, sum(employer_amount) AS er, sum(employee_amount) AS ee
      FROM social_insurance_contributionline WHERE period = %(period)s GROUP BY client_id
), per_insured_client AS (
    SELECT e.client_id, count(*) AS n FROM ({_INSURED_WITH_POLICY}) e GROUP BY e.client_id
), others AS (
    SELECT DISTINCT l.employee_id, l.client_id, e.id IS NOT NULL AS insured, e.client_id = l.client_id AS same_client
      FROM social_insurance_contributionline l
      LEFT JOIN ({_INSURED_WITH_POLICY}) e ON e.id = l.employee_id
     WHERE l.period = %(period)s AND l.source <> 'regular'
), per_client AS (
    SELECT client_id, sum(n)::bigint AS n
      FROM (SELECT client_id, n FROM per_insured_client
            UNION ALL
            SELECT client_id, count(*) FROM others WHERE NOT (insured AND same_client) GROUP BY client_id) x
     GROUP BY client_id
)
SELECT 0 AS whole_month, m.client_id, COALESCE(c.n, 0) AS n, m.er, m.ee
  FROM money m LEFT JOIN per_client c ON c.client_id = m.client_id
UNION ALL
SELECT 1, NULL, (SELECT COALESCE(sum(n), 0)::bigint FROM per_insured_client)
                + (SELECT count(DISTINCT employee_id) FROM others WHERE NOT insured),
       COALESCE((SELECT sum(er) FROM money), 0), COALESCE((SELECT sum(ee) FROM money), 0);
"""

# The checks store what they found (cities, wage and floor, rates, a count) as values; the
# sentence is made when it is shown, in the reader's language (display.finding_detail).
FINDINGS_SQL = """
DELETE FROM social_insurance_checkfinding WHERE period = %(period)s;
INSERT INTO social_insurance_checkfinding (period, kind, employee_id, args, detail, created_at)
SELECT %(period)s, 'location_mismatch', id,
       jsonb_build_object('insured', insured_city, 'contract', contract_city, 'payroll', payroll_city), '', now()
  FROM si_insured e
 WHERE e.first_month <= %(m)s::date AND e.last_month >= %(m)s::date
   AND (e.insured_city <> e.contract_city OR e.insured_city <> e.payroll_city)
UNION ALL
SELECT %(period)s, 'base_below_floor', e.id,
       jsonb_build_object('wage', e.wage::text, 'floor', i.base_floor::text), '', now()
  FROM si_insured e
  JOIN si_policies_citypolicy p ON p.city = e.insured_city AND p.effective_from <= %(m)s::date
       AND (p.effective_to IS NULL OR p.effective_to >= %(m)s::date)
  JOIN si_policies_policyitem i ON i.policy_id = p.id AND i.kind = 'pension'
 WHERE e.first_month <= %(m)s::date AND e.last_month >= %(m)s::date AND e.wage < i.base_floor
UNION ALL
SELECT %(period)s, 'no_policy', e.id, jsonb_build_object('city', e.insured_city), '', now()
  FROM si_insured e
 WHERE e.first_month <= %(m)s::date AND e.last_month >= %(m)s::date
   AND NOT EXISTS (SELECT 1 FROM si_policies_citypolicy p WHERE p.city = e.insured_city
                   AND p.effective_from <= %(m)s::date AND (p.effective_to IS NULL OR p.effective_to >= %(m)s::date))
UNION ALL
SELECT %(period)s, 'rate_adjusted', e.id,
       CASE WHEN i.kind = 'housing_fund'
            -- `whole`: in the range, but the year requires whole percents (the engine refuses such
            -- a rate when it is entered; one chosen under an earlier version is paid as chosen,
            -- flagged); otherwise out of the range and paid at the nearest bound
            THEN jsonb_build_object('item', 'housing_fund', 'chosen', e.housing_fund_percent::text,
                                    'min', i.rate_min::text, 'max', i.rate_max::text,
                                    'whole', e.housing_fund_percent BETWEEN i.rate_min AND i.rate_max,
                                    'paid', LEAST(GREATEST(e.housing_fund_percent, i.rate_min), i.rate_max)::text)
            ELSE jsonb_build_object('item', 'work_injury', 'chosen', e.injury_rate::text,
                                    'min', i.employer_rate_min::text, 'max', i.employer_rate_max::text,
                                    'paid', LEAST(GREATEST(e.injury_rate, i.employer_rate_min), i.employer_rate_max)::text)
       END, '', now()
  FROM si_insured e
  JOIN si_policies_citypolicy p ON p.city = e.insured_city AND p.effective_from <= %(m)s::date
       AND (p.effective_to IS NULL OR p.effective_to >= %(m)s::date)
  JOIN si_policies_policyitem i ON i.policy_id = p.id
 WHERE e.first_month <= %(m)s::date AND e.last_month >= %(m)s::date
   -- only a person with a rate of their own can be out of range: the others are not joined
   AND (e.housing_fund_percent IS NOT NULL OR e.injury_rate IS NOT NULL)
   AND ((i.kind = 'housing_fund' AND (e.housing_fund_percent NOT BETWEEN i.rate_min AND i.rate_max
                                      OR (i.whole_percent AND e.housing_fund_percent <> trunc(e.housing_fund_percent))))
     OR (i.kind = 'work_injury' AND e.injury_rate NOT BETWEEN i.employer_rate_min AND i.employer_rate_max));
-- Against the clients' payroll lists (工资表) of the month, for clients that sent one.
INSERT INTO social_insurance_checkfinding (period, kind, payroll_entry_id, args, detail, created_at)
SELECT %(period)s, 'uninsured_payroll', pe.id, '{}', '', now()
  FROM social_insurance_payrollentry pe
 WHERE pe.period = %(period)s
   AND NOT EXISTS (SELECT 1 FROM si_insured e WHERE e.id_number_hash = pe.id_number_hash AND e.client_id = pe.client_id
                      AND e.first_month <= %(m)s::date AND e.last_month >= %(m)s::date);
INSERT INTO social_insurance_checkfinding (period, kind, employee_id, args, detail, created_at)
SELECT %(period)s, 'not_on_payroll', e.id, '{}', '', now()
  FROM si_insured e
 WHERE e.first_month <= %(m)s::date AND e.last_month >= %(m)s::date
   AND EXISTS (SELECT 1 FROM social_insurance_payrollentry c WHERE c.period = %(period)s AND c.client_id = e.client_id)
   AND NOT EXISTS (SELECT 1 FROM social_insurance_payrollentry pe WHERE pe.period = %(period)s
                      AND pe.client_id = e.client_id AND pe.id_number_hash = e.id_number_hash);
"""

# HQ identity registry (public): one row per insured employee record with its first and last
# insured month (NULL: until further notice). The branch's rows are compared with its insured
# set and only differences written, so a month in which nobody joined, left or changed writes
# nothing. The hashes now registered more than once are added to the repeated list, those no
# longer repeated are dropped from it. One registry writer at a time (transaction-scoped lock,
# taken as the compute's last step): two branches registering the same new hash at once would
# otherwise each miss the other's uncommitted row and neither would list it as repeated. A 增员 or
# 减员 also writes its record's row when it is recorded (services._register_records).
IDENTITY_SYNC_SQL = """
SELECT pg_advisory_xact_lock(7301, 1);  -- hrsaas.core.locks.Lock.SI_IDENTITY_REGISTRY
DROP TABLE IF EXISTS pg_temp.si_identity_diff;
CREATE TEMP TABLE si_identity_diff ON COMMIT DROP AS
SELECT r.id AS row_id, r.id_hash AS old_hash, w.id AS employee_id, w.id_hash, w.id_masked, w.first_month, w.last_month
FROM (SELECT id, id_number_hash AS id_hash, id_number_masked AS id_masked, first_month,
             NULLIF(last_month, 'infinity'::date) AS last_month
        FROM si_insured WHERE last_month >= first_month) w
FULL JOIN (SELECT id, employee_id, id_hash, id_masked, first_month, last_month
             FROM public.si_policies_insuredidentityspan WHERE branch_id = %(branch_id)s) r ON r.employee_id = w.id
WHERE (r.id IS NULL OR w.id IS NULL
       OR (r.id_hash, r.id_masked, r.first_month, r.last_month)
          IS DISTINCT FROM (w.id_hash, w.id_masked, w.first_month, w.last_month))
  -- A record entered after the roster was read (its 增员 registered it, services._register_records)
  -- is not this compute's to drop: it is absent from the insured set, yet it exists.
  AND NOT (w.id IS NULL AND NOT EXISTS (SELECT 1 FROM si_insured i WHERE i.id = r.employee_id)
           AND EXISTS (SELECT 1 FROM social_insurance_insuredemployee e WHERE e.id = r.employee_id));
DELETE FROM public.si_policies_insuredidentityspan r
 USING si_identity_diff d WHERE d.employee_id IS NULL AND r.id = d.row_id;
UPDATE public.si_policies_insuredidentityspan r
   SET id_hash = d.id_hash, id_masked = d.id_masked, first_month = d.first_month, last_month = d.last_month
  FROM si_identity_diff d WHERE d.row_id IS NOT NULL AND d.employee_id IS NOT NULL AND r.id = d.row_id;
INSERT INTO public.si_policies_insuredidentityspan (branch_id, employee_id, id_hash, id_masked, first_month, last_month)
SELECT %(branch_id)s, employee_id, id_hash, id_masked, first_month, last_month
  FROM si_identity_diff WHERE row_id IS NULL ORDER BY id_hash;
INSERT INTO public.si_policies_repeatedidentity (id_hash)
SELECT DISTINCT d.id_hash FROM si_identity_diff d
 WHERE d.employee_id IS NOT NULL
   AND (SELECT count(*) FROM (SELECT 1 FROM public.si_policies_insuredidentityspan s
                               WHERE s.id_hash = d.id_hash LIMIT 2) two) = 2
ON CONFLICT (id_hash) DO NOTHING;
DELETE FROM public.si_policies_repeatedidentity p
 USING (SELECT DISTINCT old_hash FROM si_identity_diff WHERE old_hash IS NOT NULL) d
 WHERE p.id_hash = d.old_hash
   AND (SELECT count(*) FROM (SELECT 1 FROM public.si_policies_insuredidentityspan s
                               WHERE s.id_hash = p.id_hash LIMIT 2) two) < 2;
"""

# The duplicate checks, run after the branch's registry changes (IDENTITY_SYNC_SQL): people
# insured in the month whose ID number another of this branch's people insured in the month
# also has (with how many records), and those whose hash another branch also insures in it
# (without saying which branch). The registry lists every hash registered more than once, and
# after the sync every person insured in the month is registered, so only the people whose hash
# is on that short list are looked at: one pass over the insured set joined with the list,
# instead of grouping every person by hash.
DUPLICATES_SQL = """
WITH candidate AS MATERIALIZED (
    SELECT e.id, e.id_number_hash, count(*) OVER (PARTITION BY e.id_number_hash) AS n
      FROM si_insured e
      JOIN public.si_policies_repeatedidentity p ON p.id_hash = e.id_number_hash
     WHERE e.first_month <= %(m)s::date AND e.last_month >= %(m)s::date
)
INSERT INTO social_insurance_checkfinding (period, kind, employee_id, args, detail, created_at)
SELECT %(period)s, 'duplicate_in_branch', c.id, jsonb_build_object('n', c.n), '', now()
  FROM candidate c WHERE c.n > 1
UNION ALL
SELECT %(period)s, 'duplicate_across', c.id, '{}', '', now()
  FROM candidate c
 WHERE EXISTS (SELECT 1 FROM public.si_policies_insuredidentityspan s
                WHERE s.id_hash = c.id_number_hash AND s.branch_id <> %(branch_id)s
                  AND s.first_month <= %(m)s::date AND (s.last_month IS NULL OR s.last_month >= %(m)s::date));
"""
