"""Reads of the commissions app, scoped twice: the schema is the branch, and inside it a person
sees only what their role allows (`statements_visible_to`, `access_statement` — the same 404
for "missing" and "not yours")."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum
from django.http import Http404

from branches.models import Branch, BranchMembership, User
from branches.roles import BRANCH_READ_ALL, EARNER_ROLES, HQ_ROLES, roles_in_branch
from hrsaas.core.period import MAX_YEAR, MIN_YEAR, Period
from hrsaas.core.snapshot import one_snapshot
from hrsaas.core.collation import by_pinyin

from .engine import (
    AdjustmentData,
    BranchRef,
    Lead,
    Line,
    LineContext,
    Opening,
    Sale,
    explain,
)
from .hq.models import EarnerMonthRollup
from .hq.rules import COMPONENTS, MAX_ADJUSTMENT_PERCENT
from .models import StatementLine
from .sql import LINE_COLUMNS, SourceBranch, earner_homes, lines_select, sources_for

WEEK_RE = re.compile(r"^([0-9]{4})-W([0-9]{2})\Z")
METRICS = ("openings", "sales", "commission")


def _money(d: Decimal | None) -> str:
    return f"{(d or Decimal(0)):.2f}"


def reads_all(actor, branch: Branch) -> bool:
    return bool(roles_in_branch(actor, branch) & (BRANCH_READ_ALL | HQ_ROLES))


# ---------------------------------------------------------------------------------------------
# Statements
# ---------------------------------------------------------------------------------------------
def _status(branch: Branch, period: str) -> str:
    from .hq.selectors import branch_period_status

    return branch_period_status(branch, period)


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


def line_context_rows(rows, branch: Branch) -> dict:
    """The clients, sales, leads, rule versions and branch names that lines refer to, by (branch
    code, id): a line of cross-branch support (跨区域支援) names its client as a home-branch line
    does, read in the branch the account belongs to (a few queries per such branch)."""
    from django_tenants.utils import schema_context

    from clients.models import Client

    from .hq.models import RuleVersion
    from .models import Lead, Sale

    ids: dict[str, dict[str, set[int]]] = {}
    codes: set[str] = set()
    for row in rows:
        code, _sep, rest = row.source.partition(":")
        kind, _sep, ident = rest.partition(":")
        codes.add(code)
        if kind in ("client", "sale", "lead") and ident.isdigit():
            ids.setdefault(code, {"client": set(), "sale": set(), "lead": set()})[kind].add(int(ident))
    branches = {code: (name, schema) for code, name, schema
                in Branch.objects.filter(code__in=codes).values_list("code", "name", "schema_name")}
    found: dict[str, dict[tuple[str, int], object]] = {"client": {}, "sale": {}, "lead": {}}

    def read(code: str, wanted: dict[str, set[int]]) -> None:
        if wanted["client"]:
            found["client"].update(((code, c.pk), c) for c in Client.objects.filter(pk__in=wanted["client"]))
        if wanted["sale"]:
            found["sale"].update(((code, s.pk), s) for s in
                                 Sale.objects.select_related("client").filter(pk__in=wanted["sale"]))
        if wanted["lead"]:
            found["lead"].update(((code, x.pk), x) for x in Lead.objects.filter(pk__in=wanted["lead"]))

    for code, wanted in ids.items():
        if code == branch.code:
            read(code, wanted)
        elif code in branches:
            with schema_context(branches[code][1]):
                read(code, wanted)
    return {
        **found,
        "versions": {v.pk: v for v in RuleVersion.objects.filter(pk__in={r.rule_version_id for r in rows} - {None})},
        "branch_names": {code: name for code, (name, _schema) in branches.items()},
    }


def line_contexts(rows, branch: Branch, *, langs: tuple[str, ...] = ("zh",),
                  fetched: dict | None = None) -> dict[str, dict[str, "LineContext"]]:
    """lang → source → LineContext for a statement's lines: a fixed number of queries (clients,
    sales, leads of this branch; rule versions; branch names), whatever the number of lines or
    languages. `fetched`: what `line_context_rows` read for these rows (or more), to read once
    for several statements."""
    from hrsaas.core.formatting import format_date, format_money
    from hrsaas.core.labels import COMPONENTS as COMPONENT_WORDS, SERVICES
    from django.utils import translation

    from .engine import is_new_client
    from .hq.rules import OpeningRewardRule, SalesCommissionRule, parse_rule

    fetched = fetched if fetched is not None else line_context_rows(rows, branch)
    clients, sales, leads = fetched["client"], fetched["sale"], fetched["lead"]
    versions, branch_names = fetched["versions"], fetched["branch_names"]
    # A statement has thousands of lines and a handful of rule versions: each version's rule and
    # words are worked out once (per language), not once per line.
    rules: dict[int, object] = {}
    for pk, version in versions.items():
        try:
            rules[pk] = parse_rule(version.component, version.params)
        except Exception:  # an unparsable old version: no tier words, the rest still shows
            rules[pk] = None
    result = {}
    for lang in langs:
        result[lang] = out = {}
        tiers: dict[tuple, str] = {}
        with translation.override("en" if lang == "en" else "zh-hans"):
            words = {pk: translation.gettext("%(name)s方案,%(day)s起") % {
                "name": COMPONENT_WORDS.get(version.component, ""), "day": format_date(version.effective_from)}
                for pk, version in versions.items()}
            for row in rows:
                code, _sep, rest = row.source.partition(":")
                kind, _sep, ident = rest.partition(":")
                version = versions.get(row.rule_version_id)
                rule = rules.get(row.rule_version_id) if version is not None else None
                client = service = client_type = tier = ""
                clawback_months = 0
                key = (code, int(ident)) if ident.isdigit() else None
                if kind == "client" and key in clients:
                    c = clients[key]
                    client = c.name
                    if isinstance(rule, OpeningRewardRule):
                        first_filed = c.opening_period if c.opening_source == "cycle" else ""
                        tier_key = (row.rule_version_id, c.headcount, first_filed)
                        if tier_key not in tiers:
                            tiers[tier_key] = _tier_words(rule, c.headcount, format_money, first_filed=first_filed)
                        tier = tiers[tier_key]
                        clawback_months = rule.clawback_months
                elif kind == "sale" and key in sales:
                    sale = sales[key]
                    client, service = sale.client.name, str(SERVICES.get(sale.service, ""))
                    if isinstance(rule, SalesCommissionRule):
                        new = is_new_client(sale.client_opened_on, row.period, rule)
                        client_type = str(translation.gettext("新客户") if new else translation.gettext("老客户"))
                elif kind == "lead" and key in leads:
                    client = leads[key].name
                rule_words = words[row.rule_version_id] if version is not None else ""
                out[row.source] = LineContext(client=client, service=service, client_type=client_type, tier=tier,
                                              rule=rule_words, branch=branch_names.get(code, ""),
                                              clawback_months=clawback_months)
    return result


def _tier_words(rule, headcount: int, format_money, *, first_filed: str = "") -> str:
    """The opening-reward tier a client's headcount falls in: "员工60人,51–100人档", or for an
    opening taken from the cycle the rule itself: "首个申报月 2025年8月 参保 60 人 → 51–100人档"."""
    from django.utils.translation import gettext

    low = 1
    for tier in rule.tiers:
        if tier.max_headcount is None or headcount <= tier.max_headcount:
            if tier.max_headcount is None:
                span = gettext("≥%(low)d人") % {"low": low}
            elif low == 1:
                span = gettext("≤%(high)d人") % {"high": tier.max_headcount}
            else:
                span = gettext("%(low)d–%(high)d人") % {"low": low, "high": tier.max_headcount}
            if first_filed:
                from hrsaas.core.formatting import format_period

                return gettext("首个申报月 %(p)s 参保 %(n)d 人 → %(span)s档") % {
                    "p": format_period(first_filed), "n": headcount, "span": span}
            return gettext("员工%(n)d人,%(span)s档") % {"n": headcount, "span": span}
        low = tier.max_headcount + 1
    return ""


def access_statement(actor, branch: Branch, username: str, period: str, *, lang: str = "zh") -> dict:
    user = statement_subject(actor, branch, username)
    rows = list(StatementLine.objects.filter(period=period, earner_id=user.pk)
                .order_by("component", "source", "corrects", "id"))
    if not rows and user.pk != actor.pk and not belongs_to(user, branch):
        raise Http404
    return statement_of(user, branch, period, rows, lang=lang)


def statement_subject(actor, branch: Branch, username: str) -> User:
    """The person whose statement `actor` asks for, or 404 (missing and "not yours" alike)."""
    # Most requests are a person's own statement: no look-up of the user they already are.
    user = actor if username == actor.username else User.objects.filter(username=username).first()
    if user is None:
        raise Http404
    if user.pk != actor.pk and not reads_all(actor, branch):
        raise Http404
    return user


def belongs_to(user, branch: Branch) -> bool:
    """Whether `user` earns in `branch` (an earner's role there, or an earner whose home it is):
    their statement of a month without lines is a real one, of zero. Anyone else's — staff, a
    client contact, a username that earns nothing — is not a statement at all (404)."""
    earner = BranchMembership.objects.filter(user=user, role__in=EARNER_ROLES)
    return earner.filter(branch=branch).exists() or (user.home_branch_id == branch.id and earner.exists())


def statement_of(user, branch: Branch, period: str, rows: list, *, lang: str = "zh", contexts=None,
                 status: str | None = None) -> dict:
    """A statement's body from its lines (ordered by component, source, corrects, id)."""
    lines = []
    both = contexts if contexts is not None else (line_contexts(rows, branch, langs=(lang, "en")) if rows else {})
    contexts, contexts_en = both.get(lang, {}), both.get("en", {})
    for row in rows:
        line = _line_from_row(row)
        lines.append({
            "source": row.source, "component": row.component, "base": _money(row.base),
            "adjustment_percent": _money(row.adjustment_percent), "rate": _money(row.rate),
            "amount": _money(row.amount),
            "explanation": explain(line, home_branch_id=branch.id, lang=lang, context=contexts.get(row.source)),
            "explanation_en": explain(line, home_branch_id=branch.id, lang="en", context=contexts_en.get(row.source)),
            "rule_version": row.rule_version_id, "event_date": row.event_date.isoformat(),
            "corrects": row.corrects,
            # For pages: what the line is about and its rule in words (not part of the API).
            "subject": " · ".join(x for x in (getattr(contexts.get(row.source), "client", ""),
                                              getattr(contexts.get(row.source), "service", "")) if x),
            "rule_words": getattr(contexts.get(row.source), "rule", ""),
            "client": getattr(contexts.get(row.source), "client", ""),  # the statement's file has a 客户 column
        })
    total = sum((r.amount for r in rows), Decimal(0))
    return {"username": user.username, "display_name": user.label, "period": period,
            "status": status or _status(branch, period), "total": _money(total), "lines": lines}


def statements_of(branch: Branch, period: str, earner_ids, *, lang: str = "zh") -> dict[int, dict]:
    """Several people's statements of `period` at once (preparing them after a recompute): a
    fixed number of queries whatever the number of people."""
    users = {u.pk: u for u in User.objects.filter(pk__in=list(earner_ids))}
    rows = list(StatementLine.objects.filter(period=period, earner_id__in=list(users))
                .order_by("earner_id", "component", "source", "corrects", "id"))
    fetched = line_context_rows(rows, branch) if rows else None
    status = _status(branch, period)
    by_earner: dict[int, list] = {pk: [] for pk in users}
    for row in rows:
        by_earner[row.earner_id].append(row)
    return {pk: statement_of(users[pk], branch, period, mine, lang=lang, status=status,
                             contexts=line_contexts(mine, branch, langs=(lang, "en"), fetched=fetched) if mine else {})
            for pk, mine in by_earner.items()}


def line_sources(branches: list[Branch]) -> dict[int, list[SourceBranch]]:
    """Per branch id, the branches whose events can give it a statement line
    (`commissions.sql.sources_for`): its own, and those where one of its people earns. The SQL of
    a branch-month holds parts per source branch; for the reads that replay many months (what-if,
    plan replay, suggestions) leaving out the others — with 20 branches, most of them — spares
    planning and running parts that find nothing, and changes no figure. Its readers (what-if,
    replay, suggestions) read it and their statements in one snapshot (`hrsaas.core.snapshot`), so
    a person moved to another branch meanwhile is in neither or in both as before. The recompute,
    which writes, does not use it."""
    from .services import source_branches

    sources = source_branches()
    with connection.cursor() as cur:
        homes = earner_homes(cur, sources, sorted({b.id for b in branches}))
    return {b.id: sources_for(BranchRef(b.id, b.code), sources, homes) for b in branches}


# ---------------------------------------------------------------------------------------------
# What-if (for the adjustment approval page): no writes
# ---------------------------------------------------------------------------------------------
@one_snapshot
def what_if_adjustment(*, component: str, percent: Decimal, effective_from: dt.date,
                       effective_to: dt.date | None, periods: list[str]) -> list[dict]:
    """Per period and per earner of the current branch: the statement's total now, the total if
    this adjustment were added too (capped at ±20% like any stack), and the difference. Nothing
    is written.

    `current_total` is the statement as the statements page shows it — every stored line,
    提成更正 (correction), 申诉调整 (manual) and 负数结转 lines included — so the manager compares
    the same figure. The difference is the regular lines' change only, computed by the
    recompute's SQL under both rulebooks: a float changes no other line (manual and carried
    lines are kept as written, and a correction settles a closed month, which no float may
    reach).

    Returns [{period, username, earner_id, current_total, what_if_total, difference}] with
    Decimal amounts, sorted by period then username."""
    from .services import current_branch, rulebook_load

    if component not in COMPONENTS:
        raise ValueError(f"unknown component {component!r}")
    if not isinstance(percent, Decimal) or abs(percent) > MAX_ADJUSTMENT_PERCENT:
        raise ValueError("percent must be a Decimal within ±20")
    branch = current_branch()
    rules = rulebook_load()
    hypothetical = replace(rules, adjustments=rules.adjustments + (AdjustmentData(
        branch_id=branch.id, component=component, percent=percent, effective_from=effective_from,
        effective_to=effective_to),))
    home, sources = BranchRef(branch.id, branch.code), line_sources([branch])[branch.id]
    out = []
    zero = Decimal("0.00")
    with connection.cursor() as cur:
        for period in sorted(set(periods)):
            totals = {}
            for key, book in (("current", rules), ("what_if", hypothetical)):
                cur.execute(f"SELECT earner_id, sum(amount) FROM ({lines_select(period=period, home=home, sources=sources, rules=book)}) x GROUP BY earner_id")
                for earner_id, amount in cur.fetchall():
                    totals.setdefault(earner_id, {})[key] = amount
            stored = dict(StatementLine.objects.filter(period=period).values("earner_id")
                          .annotate(total=Sum("amount")).values_list("earner_id", "total"))
            for earner_id in stored:
                totals.setdefault(earner_id, {})
            users = {u.pk: u.username for u in User.objects.filter(pk__in=list(totals))}
            for earner_id, t in totals.items():
                difference = t.get("what_if", zero) - t.get("current", zero)
                current = stored.get(earner_id, zero)
                out.append({"period": period, "username": users.get(earner_id, str(earner_id)), "earner_id": earner_id,
                            "current_total": current, "what_if_total": current + difference,
                            "difference": difference})
    return sorted(out, key=lambda r: (r["period"], r["username"]))


# ---------------------------------------------------------------------------------------------
# Leaderboards
# ---------------------------------------------------------------------------------------------
def parse_board_period(period: str) -> tuple[str, dt.date, dt.date]:
    """("month"|"week", first day, last day) of `YYYY-MM` or ISO week `YYYY-Www`; ValueError if bad
    (a trailing newline too: it would be echoed back as the board's period)."""
    m = WEEK_RE.fullmatch(period or "")
    if m:
        year = int(m.group(1))
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(period)
        start = dt.date.fromisocalendar(year, int(m.group(2)), 1)  # ValueError for a week 53 the year lacks
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


def _board_value(metric: str):
    """What a branch board counts per person (corrections count toward the commission only)."""
    return {"openings": Count("id", filter=Q(component="opening_reward", corrects__isnull=True)),
            "sales": Sum("base", filter=Q(component="sales_commission", corrects__isnull=True)),
            "commission": Sum("amount")}[metric]


def _board_rows(metric: str, rows: list[dict], users: dict[int, str]) -> list[dict]:
    values = {users.get(r["earner_id"], str(r["earner_id"])): (r[metric] or 0) for r in rows}
    values = {k: v for k, v in values.items() if v}
    return [dict(r, value=_fmt(metric, r["value"]), gap_to_previous=_fmt(metric, r["gap_to_previous"]))
            for r in rank_rows(values)]


def _usernames(rows: list[dict]) -> dict[int, str]:
    return dict(User.objects.filter(pk__in=[r["earner_id"] for r in rows]).values_list("pk", "username"))


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
    rows = list(qs.values("earner_id").annotate(**{metric: _board_value(metric)}))
    return _board_rows(metric, rows, _usernames(rows))


def month_leaderboards(*, period: str) -> dict[str, list[dict]]:
    """This branch's three monthly boards (`leaderboard` of each metric, the same rows), from one
    pass over the month's lines: preparing them after every event in a month of a million lines
    took three passes (0.34 s each)."""
    Period.parse(period)
    rows = list(StatementLine.objects.filter(period=period).values("earner_id")
                .annotate(**{metric: _board_value(metric) for metric in METRICS}))
    users = _usernames(rows)
    return {metric: _board_rows(metric, rows, users) for metric in METRICS}


def hq_leaderboard(*, period: str, metric: str) -> list[dict]:
    """Company-wide ranking: a month from the public rollup each branch recompute maintains; an
    ISO week from every branch's statement lines of that week (what each branch's weekly board
    counts, summed per person over the branches they earn in)."""
    if metric not in METRICS:
        raise ValueError(metric)
    kind, start, end = parse_board_period(period)
    if kind == "week":
        values = _company_week_values(metric, start, end)
    else:
        field = {"openings": "openings", "sales": "sales_amount", "commission": "commission"}[metric]
        rows = (EarnerMonthRollup.objects.filter(period=period).values("user__username")
                .annotate(v=Sum(field)))
        values = {r["user__username"]: r["v"] for r in rows if r["v"]}
    return [dict(r, value=_fmt(metric, r["value"]), gap_to_previous=_fmt(metric, r["gap_to_previous"]))
            for r in rank_rows(values)]


# One branch's lines of a week, as its own weekly board counts them (`leaderboard`).
_WEEK_VALUES = {
    "openings": "count(*) FILTER (WHERE component = 'opening_reward')",
    "sales": "sum(base) FILTER (WHERE component = 'sales_commission')",
    "commission": "sum(amount)",
}


def _company_week_values(metric: str, start: dt.date, end: dt.date) -> dict[str, Decimal | int]:
    from psycopg2 import sql as pg_sql

    from .services import source_branches

    branches = source_branches()
    if not branches:
        return {}
    per_branch = pg_sql.SQL(" UNION ALL ").join(
        pg_sql.SQL("SELECT earner_id, {v} AS v FROM {t} WHERE event_date BETWEEN %(start)s AND %(end)s "
                   "AND corrects IS NULL GROUP BY earner_id").format(
            v=pg_sql.SQL(_WEEK_VALUES[metric]), t=pg_sql.Identifier(b.schema, "commissions_statementline"))
        for b in branches)
    query = pg_sql.SQL("SELECT u.username, sum(x.v) FROM ({}) x JOIN public.branches_user u ON u.id = x.earner_id "
                       "GROUP BY u.username").format(per_branch)
    with connection.cursor() as cur:
        # As text: the query logs (and tests counting queries) read SQL strings.
        cur.execute(query.as_string(cur.connection), {"start": start, "end": end})
        return {username: v for username, v in cur.fetchall() if v}


UNITS = {"openings": "户", "sales": "元", "commission": "元"}


def gap_text(*, rank: int, next_rank: int | None, gap, metric: str, kind: str = "month", tied: bool = False) -> str:
    """"您当前月排名第3位,距离第2位还差2户", as the phone page says it (portal.engine.gap_text):
    `next_rank` is the rank of the nearest better value, which a tie above leaves below rank − 1
    (ranks 1, 1, 3: the third is behind 第1位, nobody is 第2位); money as 1,200.00. `tied`: the
    rank is shared ("排名并列第1位")."""
    from hrsaas.core.formatting import format_money

    when = "当前月" if kind == "month" else "本周"
    text = f"您{when}排名{'并列' if tied else ''}第{rank}位"
    if rank > 1 and gap is not None and next_rank is not None:
        amount = gap if metric == "openings" else format_money(gap)
        text += f",距离第{next_rank}位还差{amount}{UNITS[metric]}"
    return text


def next_ranks(rows: list[dict]) -> dict[str, int | None]:
    """Each ranked row's next better rank (None for the first): the rank of the rows just above
    its own rank's first row."""
    out: dict[str, int | None] = {}
    above, current = None, None
    for r in rows:
        if r["rank"] != current:
            above, current = current, r["rank"]
        out[r["username"]] = above
    return out


# ---------------------------------------------------------------------------------------------
# Events as engine inputs (the Python reference; tests compare it with the SQL recompute)
# ---------------------------------------------------------------------------------------------
def engine_events() -> tuple[list[Opening], list[Sale], list[Lead], dict[int, int | None]]:
    from .services import source_branches

    openings, sales, leads = [], [], []
    with connection.cursor() as cur:
        for src in source_branches():
            ref, s = src.ref, src.schema
            cur.execute(f'SELECT client_id, array_agg(period) FROM "{s}".social_insurance_feestatement '
                        f'WHERE employee_count > 0 GROUP BY client_id')
            insured = {r[0]: frozenset(r[1]) for r in cur.fetchall()}
            cur.execute(f'SELECT id, opened_by_id, headcount, opened_on, closed_on, opening_source '
                        f'FROM "{s}".clients_client')
            openings += [Opening(ref, r[0], r[1], r[2], r[3], r[4], r[5], insured.get(r[0], frozenset()))
                         for r in cur.fetchall()]
            cur.execute(f'SELECT id, client_opened_on, service, period, amount, seller_id, source, '
                        f'statement_confirmed, statement_paid FROM "{s}".commissions_sale')
            sales += [Sale(ref, *r) for r in cur.fetchall()]
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


# ---------------------------------------------------------------------------------------------
# Payout of a branch-period (HQ finance's confirmation before "paid")
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PayoutSummary:
    """What marking a branch-period paid pays out: the statements (one per person with lines)
    and their total, read from the branch's locked statement lines."""

    statements: int
    total: Decimal


def payout_summary(period: str) -> PayoutSummary:
    """In the current (branch) schema: one grouped query over the period's statement lines."""
    agg = StatementLine.objects.filter(period=period).aggregate(n=Count("earner_id", distinct=True), total=Sum("amount"))
    return PayoutSummary(statements=agg["n"] or 0, total=agg["total"] or Decimal("0.00"))


# ---------------------------------------------------------------------------------------------
# Sales taken from fee statements that are not earned yet (待确认 / 待回款)
# ---------------------------------------------------------------------------------------------
def sales_awaiting(username: str, branch: Branch, period: str) -> list[dict]:
    """The earner's sales of `period` in this branch taken from a fee statement's service fee that
    the sales rule in force does not pay yet: the client has not confirmed the statement, or (rule
    'on payment') not paid it in full. Each with what it will pay once released (same engine)."""
    from django.utils.translation import gettext

    from hrsaas.core.labels import SERVICES

    from . import engine
    from .hq.rules import version_in_force
    from .models import Sale as SaleRow
    from .services import rulebook_load

    # Earned under either rule once the statement is both confirmed and paid: only the others.
    waiting = list(SaleRow.objects.filter(period=period, seller__username=username, source="cycle")
                   .exclude(statement_confirmed=True, statement_paid=True)
                   .select_related("client").order_by(*by_pinyin("client__name", "service")))
    if not waiting:
        return []
    rules = rulebook_load()
    start = engine.period_start(period)
    v = version_in_force(list(rules.versions), "sales_commission", start)
    if v is None:
        return []
    adj = engine.adjustment_percent_on(rules.adjustments, branch.id, "sales_commission", start)
    ref = engine.BranchRef(branch.id, branch.code)
    out = []
    for s in waiting:
        event = engine.Sale(ref, s.pk, s.client_opened_on, s.service, s.period, s.amount, s.seller_id,
                            s.source, s.statement_confirmed, s.statement_paid)
        rate = v.rule.rate_for(s.service, engine.is_new_client(s.client_opened_on, period, v.rule))
        if engine.sale_earned(event, v.rule) or not rate:
            continue
        waiting = gettext("待回款") if v.rule.earn_on == "payment" else gettext("待客户确认")
        out.append({"client": s.client.name, "service": str(SERVICES.get(s.service, "")), "base": _money(s.amount),
                    "rate": _money(rate), "amount": _money(engine.line_amount(s.amount, rate, adj)),
                    "waiting": waiting})
    return out
