"""The commission rules (提成规则) as pure functions — the reference for every figure.

How one branch-period is computed (home branch H, month P):

1. Events. Each recorded event names one earner per share:
   - 开户 (a client opened on date d by its opener) → an *opening reward* in month(d), and, if
     the client is still active on its anniversary a = d + `months` (rule in force on d), a
     *retention bonus* in month(a) — paid once, in the anniversary month;
   - 销售 (a client's billed amount for a service in month P, by its seller) → a *sales
     commission* in P; the client is "new" in its first `new_client_months` months
     (the opening month counts as month 1);
   - a signed lead (signed on d) → marketing-sourced: marketer 4% (`lead_marketing`) and the
     closing seller 2% (`lead_sales`); self-sourced: seller 5% (`lead_sales`). With a points
     scheme, marketers also earn per qualified lead (`lead_points`, only when their conversion
     rate reaches the threshold) and an extra share of each converted lead (`lead_conversion`).
2. Which statement. A line is shown on the statement of the earner's home branch (or of the
   event's branch when the earner has none). So H's statement holds H's events for H's people
   and other branches' events worked by H's people (跨区域支援).
3. Which rules. The HQ rule version in force on the event's date (opening: d; sale: the first
   day of P; lead: d; retention: the version in force on the opening date decides months and
   percent, its base is the HQ opening reward of that date). The branch float adjustment
   (浮动调整) is the sum of the *event branch's* registered adjustments of that component in
   force on the event date (retention: on the anniversary), clamped to ±20%. A cross-branch
   line therefore uses the account branch's rules; with HQ's no-shrink setting its adjustment
   is max(event branch's, home branch's) — base rules are company-wide, so "never lower than
   the home branch would pay" is exactly that.
4. Amount. Every line is amount = quantize(base × rate% × (100 + adjustment%) / 100), rounded
   half-up to the fen once, at the line. A statement's total is the sum of its lines.
5. Corrections. A closed period is frozen. If its lines as computed now differ from the stored
   ones (a late event, a back-dated rule), the difference is posted as `correction` lines in the
   next open period (see `corrections_for`).

The bulk recompute (commissions/sql.py) generates one INSERT … SELECT from the same
parameters; property tests hold it equal to this module line by line.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Iterable, Mapping

from hrsaas.money import quantize_money

from .hq.rules import (
    MAX_ADJUSTMENT_PERCENT,
    LeadAttributionRule,
    OpeningRewardRule,
    RetentionBonusRule,
    RuleVersionData,
    SalesCommissionRule,
    version_in_force,
)

HUNDRED = Decimal(100)
ZERO = Decimal("0.00")

# Line components, and the HQ rule component (and adjustment component) each one belongs to.
LINE_COMPONENTS = {
    "opening_reward": "opening_reward",
    "opening_clawback": "opening_reward",
    "retention_bonus": "retention_bonus",
    "sales_commission": "sales_commission",
    "lead_marketing": "lead_attribution",
    "lead_sales": "lead_attribution",
    "lead_points": "lead_attribution",
    "lead_conversion": "lead_attribution",
}
CORRECTION = "correction"
# Money decided by a person (an inquiry's resolution, 申诉): posted as its own line, never by
# editing a computed one; `corrects` names what it answers ("inquiry:<id>").
MANUAL = "manual_adjustment"


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BranchRef:
    id: int
    code: str


@dataclass(frozen=True)
class Opening:
    """开户: a client account opened (and maybe later closed)."""

    branch: BranchRef
    client_id: int
    earner_id: int
    headcount: int
    opened_on: dt.date
    closed_on: dt.date | None = None
    # "manual" (recorded), "cycle" (its first filed month), "awaiting" (no opening yet: nothing paid)
    source: str = "manual"
    # Months in which the client had insured people on its fee statement (a cycle client is
    # retained at its anniversary when that month is one of them).
    insured_periods: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Sale:
    branch: BranchRef
    sale_id: int
    client_opened_on: dt.date
    service: str
    period: str
    amount: Decimal
    earner_id: int
    # "cycle": the service fee billed on a fee statement, earned when the statement is confirmed
    # or paid (the rule version's `earn_on`); "manual": earned as recorded.
    source: str = "manual"
    confirmed: bool = False
    paid: bool = False


def sale_earned(sale: Sale, rule: SalesCommissionRule) -> bool:
    if sale.source != "cycle":
        return True
    return sale.paid if rule.earn_on == "payment" else sale.confirmed


@dataclass(frozen=True)
class Lead:
    branch: BranchRef
    lead_id: int
    source: str  # "marketing" | "sales"
    marketer_id: int | None
    created_on: dt.date
    qualified: bool = True
    seller_id: int | None = None
    amount: Decimal | None = None
    signed_on: dt.date | None = None


@dataclass(frozen=True)
class AdjustmentData:
    """One row of HQ's register (备案) of a branch's float adjustments."""

    branch_id: int
    component: str
    percent: Decimal
    effective_from: dt.date
    effective_to: dt.date | None = None
    revoked_from: dt.date | None = None
    status: str = "registered"

    def in_force_on(self, day: dt.date) -> bool:
        if day < self.effective_from or (self.effective_to is not None and day > self.effective_to):
            return False
        if self.status == "revoked" and self.revoked_from is None:
            return False  # revoked without a date: never in force
        return self.revoked_from is None or day < self.revoked_from


@dataclass(frozen=True)
class RuleBook:
    versions: tuple[RuleVersionData, ...]
    adjustments: tuple[AdjustmentData, ...] = ()
    no_shrink: bool = True


@dataclass(frozen=True)
class Line:
    period: str
    earner_id: int
    source: str
    component: str
    source_branch_id: int
    event_date: dt.date
    rule_version_id: int | None
    base: Decimal
    rate: Decimal
    adjustment_percent: Decimal
    amount: Decimal
    home_rules_applied: bool = False
    corrects: str | None = None
    corrects_period: str | None = None

    @property
    def key(self) -> tuple:
        return (self.period, self.earner_id, self.source, self.component, self.corrects)


# ---------------------------------------------------------------------------------------------
# Dates and periods
# ---------------------------------------------------------------------------------------------
def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def period_start(period: str) -> dt.date:
    return dt.date(int(period[:4]), int(period[5:7]), 1)


def period_end(period: str) -> dt.date:
    return add_months(period_start(period), 1) - dt.timedelta(days=1)


def next_period(period: str) -> str:
    return period_of(add_months(period_start(period), 1))


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole months, clamped to the month's last day (as PostgreSQL's date + interval)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month


# ---------------------------------------------------------------------------------------------
# The rules, one function each
# ---------------------------------------------------------------------------------------------
def opening_reward_for(headcount: int, rule: OpeningRewardRule) -> Decimal:
    """The tier amount for a headcount; bounds are inclusive (≤50, 51–100, ≥101)."""
    for tier in rule.tiers:
        if tier.max_headcount is None or headcount <= tier.max_headcount:
            return tier.amount
    raise ValueError("opening reward rule has no open-ended last tier")


def left_within_clawback(o: Opening, rule: OpeningRewardRule) -> bool:
    """扣回: the client left (终止) before `clawback_months` months from its opening."""
    return (rule.clawback_months > 0 and o.closed_on is not None
            and o.closed_on < add_months(o.opened_on, rule.clawback_months))


def anniversary_of(opened_on: dt.date, rule: RetentionBonusRule) -> dt.date:
    return add_months(opened_on, rule.months)


def is_new_client(client_opened_on: dt.date, period: str, rule: SalesCommissionRule) -> bool:
    """New during its first `new_client_months` months, the opening month being month 1."""
    return month_index(period_start(period)) - month_index(client_opened_on) < rule.new_client_months


def adjustment_percent_on(adjustments: Iterable[AdjustmentData], branch_id: int, component: str,
                          day: dt.date) -> Decimal:
    """The branch's float adjustment of `component` on `day`: the sum of its registered
    adjustments in force then, never beyond ±20% (adjustments do not stack past the cap)."""
    total = sum((a.percent for a in adjustments
                 if a.branch_id == branch_id and a.component == component and a.in_force_on(day)), ZERO)
    return max(-MAX_ADJUSTMENT_PERCENT, min(MAX_ADJUSTMENT_PERCENT, total))


def adjustment_breakpoints(adjustments: Iterable[AdjustmentData], branch_id: int, component: str) -> list[dt.date]:
    """The days on which the adjustment of (branch, component) may change value, sorted."""
    days = set()
    for a in adjustments:
        if a.branch_id == branch_id and a.component == component:
            days.add(a.effective_from)
            if a.effective_to is not None:
                days.add(a.effective_to + dt.timedelta(days=1))
            if a.revoked_from is not None:
                days.add(a.revoked_from)
    return sorted(days)


def line_amount(base: Decimal, rate: Decimal, adjustment_percent: Decimal) -> Decimal:
    """base × rate% × (1 + adjustment%), half-up to the fen — the one rounding point."""
    return quantize_money(base * rate * (HUNDRED + adjustment_percent) / Decimal(10000))


# ---------------------------------------------------------------------------------------------
# A branch-period
# ---------------------------------------------------------------------------------------------
def statement_branch(earner_id: int, event_branch_id: int, earner_home: Mapping[int, int | None]) -> int:
    home = earner_home.get(earner_id)
    return home if home is not None else event_branch_id


def _line(*, period, earner_id, home_branch_id, branch: BranchRef, kind: str, event_id: int, component: str,
          event_date: dt.date, adjustment_date: dt.date, version: RuleVersionData, base: Decimal, rate: Decimal,
          rules: RuleBook) -> Line:
    adj_component = LINE_COMPONENTS[component]
    adj = adjustment_percent_on(rules.adjustments, branch.id, adj_component, adjustment_date)
    home_applied = False
    if branch.id != home_branch_id and rules.no_shrink:
        home_adj = adjustment_percent_on(rules.adjustments, home_branch_id, adj_component, adjustment_date)
        if home_adj > adj:
            adj, home_applied = home_adj, True
    return Line(
        period=period, earner_id=earner_id, source=f"{branch.code}:{kind}:{event_id}", component=component,
        source_branch_id=branch.id, event_date=event_date, rule_version_id=version.id, base=base, rate=rate,
        adjustment_percent=adj, amount=line_amount(base, rate, adj), home_rules_applied=home_applied,
    )


def compute_period(*, period: str, home_branch_id: int, earner_home: Mapping[int, int | None],
                   openings: Iterable[Opening] = (), sales: Iterable[Sale] = (), leads: Iterable[Lead] = (),
                   rules: RuleBook) -> list[Line]:
    """Every line of home branch `home_branch_id`'s statements for `period`, sorted by key.

    Events of any branch may be passed; only those whose earner's statement lives in the home
    branch produce lines. The result does not depend on the order of the events."""
    lines: list[Line] = []
    mine = lambda earner_id, branch: statement_branch(earner_id, branch.id, earner_home) == home_branch_id  # noqa: E731
    start, end = period_start(period), period_end(period)
    versions = list(rules.versions)

    for o in openings:
        if o.source == "awaiting" or not mine(o.earner_id, o.branch):
            continue
        opening_v = version_in_force(versions, "opening_reward", o.opened_on)
        if opening_v is None:
            continue
        base = opening_reward_for(o.headcount, opening_v.rule)
        if period_of(o.opened_on) == period:
            lines.append(_line(period=period, earner_id=o.earner_id, home_branch_id=home_branch_id, branch=o.branch,
                               kind="client", event_id=o.client_id, component="opening_reward",
                               event_date=o.opened_on, adjustment_date=o.opened_on, version=opening_v,
                               base=base, rate=HUNDRED, rules=rules))
        if left_within_clawback(o, opening_v.rule) and period_of(o.closed_on) == period:
            lines.append(_line(period=period, earner_id=o.earner_id, home_branch_id=home_branch_id, branch=o.branch,
                               kind="client", event_id=o.client_id, component="opening_clawback",
                               event_date=o.closed_on, adjustment_date=o.opened_on, version=opening_v,
                               base=base, rate=-HUNDRED, rules=rules))
        retention_v = version_in_force(versions, "retention_bonus", o.opened_on)
        if retention_v is not None:
            anniversary = anniversary_of(o.opened_on, retention_v.rule)
            if o.source == "cycle":  # retained when it still has insured people that month
                still_active = period_of(anniversary) in o.insured_periods
            else:
                still_active = o.closed_on is None or o.closed_on > anniversary
            if start <= anniversary <= end and still_active:
                lines.append(_line(period=period, earner_id=o.earner_id, home_branch_id=home_branch_id,
                                   branch=o.branch, kind="client", event_id=o.client_id,
                                   component="retention_bonus", event_date=anniversary,
                                   adjustment_date=anniversary, version=retention_v, base=base,
                                   rate=retention_v.rule.percent, rules=rules))

    sales_v = version_in_force(versions, "sales_commission", start)
    for s in sales:
        if s.period != period or sales_v is None or not mine(s.earner_id, s.branch):
            continue
        if not sale_earned(s, sales_v.rule):  # 待回款 / 待确认: shown on the statement, not paid yet
            continue
        rate = sales_v.rule.rate_for(s.service, is_new_client(s.client_opened_on, period, sales_v.rule))
        if rate is None:
            continue
        lines.append(_line(period=period, earner_id=s.earner_id, home_branch_id=home_branch_id, branch=s.branch,
                           kind="sale", event_id=s.sale_id, component="sales_commission", event_date=start,
                           adjustment_date=start, version=sales_v, base=s.amount, rate=rate, rules=rules))

    leads = list(leads)
    for ld in leads:
        if ld.signed_on is None or period_of(ld.signed_on) != period:
            continue
        v = version_in_force(versions, "lead_attribution", ld.signed_on)
        if v is None:
            continue
        rule: LeadAttributionRule = v.rule
        shares: list[tuple[int, str, Decimal]] = []
        if ld.source == "marketing":
            shares.append((ld.marketer_id, "lead_marketing", rule.marketing_percent))
            shares.append((ld.seller_id, "lead_sales", rule.sales_on_marketing_lead_percent))
            if rule.points is not None and rule.points.conversion_bonus_percent > 0:
                shares.append((ld.marketer_id, "lead_conversion", rule.points.conversion_bonus_percent))
        else:
            shares.append((ld.seller_id, "lead_sales", rule.sales_self_sourced_percent))
        for earner_id, component, rate in shares:
            if earner_id is None or rate == 0 or not mine(earner_id, ld.branch):
                continue
            lines.append(_line(period=period, earner_id=earner_id, home_branch_id=home_branch_id, branch=ld.branch,
                               kind="lead", event_id=ld.lead_id, component=component, event_date=ld.signed_on,
                               adjustment_date=ld.signed_on, version=v, base=ld.amount, rate=rate, rules=rules))
    lines += _lead_points(period, home_branch_id, leads, versions, rules, mine)
    # A zero rate (a service without a rate, a share switched off) produces no line.
    lines = [ln for ln in lines if ln.rate != 0]
    return sorted(lines, key=lambda ln: (ln.earner_id, ln.source, ln.component))


def lead_conversion_reaches(*, converted: int, qualified: int, min_percent: Decimal) -> bool:
    """积分方案's threshold: the month's conversion rate (converted / qualified leads) reaches
    the minimum — compared exactly, without rounding the rate."""
    return Decimal(converted) * HUNDRED >= min_percent * qualified


def _lead_points(period, home_branch_id, leads, versions, rules, mine) -> list[Line]:
    """积分方案: per marketer and event branch, qualified marketing leads created in the month earn
    points, paid only when the month's conversion rate (those leads signed by the month's end)
    reaches the threshold."""
    end = period_end(period)
    v = version_in_force(versions, "lead_attribution", end)
    if v is None or v.rule.points is None or v.rule.points.points_per_qualified_lead == 0:
        return []
    pts = v.rule.points
    groups: dict[tuple[int, BranchRef], list[Lead]] = {}
    for ld in leads:
        if ld.source == "marketing" and ld.qualified and period_of(ld.created_on) == period:
            groups.setdefault((ld.marketer_id, ld.branch), []).append(ld)
    out = []
    for (marketer_id, branch), group in groups.items():
        if not mine(marketer_id, branch):
            continue
        converted = sum(1 for ld in group if ld.signed_on is not None and ld.signed_on <= end)
        if not lead_conversion_reaches(converted=converted, qualified=len(group),
                                       min_percent=pts.min_conversion_percent):
            continue
        base = len(group) * pts.points_per_qualified_lead * pts.yuan_per_point
        out.append(_line(period=period, earner_id=marketer_id, home_branch_id=home_branch_id, branch=branch,
                         kind="leads", event_id=int(period.replace("-", "")), component="lead_points",
                         event_date=end, adjustment_date=end, version=v, base=quantize_money(base),
                         rate=HUNDRED, rules=rules))
    return out


def statement_totals(lines: Iterable[Line]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = {}
    for ln in lines:
        totals[ln.earner_id] = totals.get(ln.earner_id, ZERO) + ln.amount
    return totals


# ---------------------------------------------------------------------------------------------
# Corrections of a closed period
# ---------------------------------------------------------------------------------------------
def corrections_for(*, closed_period: str, target_period: str, desired: Iterable[Line], stored: Iterable[Line],
                    already_corrected: Iterable[Line]) -> list[Line]:
    """Lines to post in `target_period` so that what was paid for `closed_period` (its stored
    lines plus corrections already posted in other closed periods) adds up to `desired`.

    One line per (earner, source, component) whose amount differs; component `correction`,
    `corrects` = "<component>@<closed period>"."""
    want: dict[tuple, Line] = {}
    have: dict[tuple, Decimal] = {}
    sample: dict[tuple, Line] = {}
    for ln in desired:
        want[(ln.earner_id, ln.source, ln.component)] = ln
    for ln in stored:
        k = (ln.earner_id, ln.source, ln.component)
        have[k] = have.get(k, ZERO) + ln.amount
        sample.setdefault(k, ln)
    for ln in already_corrected:
        k = (ln.earner_id, ln.source, ln.corrects.split("@")[0])
        have[k] = have.get(k, ZERO) + ln.amount
        sample.setdefault(k, ln)
    out = []
    for k in set(want) | set(have):
        target = want[k].amount if k in want else ZERO
        delta = target - have.get(k, ZERO)
        if delta == 0:
            continue
        ref = want.get(k) or sample[k]
        out.append(Line(
            period=target_period, earner_id=k[0], source=k[1], component=CORRECTION,
            source_branch_id=ref.source_branch_id, event_date=ref.event_date, rule_version_id=ref.rule_version_id,
            base=delta, rate=HUNDRED, adjustment_percent=ZERO, amount=delta,
            corrects=f"{k[2]}@{closed_period}", corrects_period=closed_period,
        ))
    return sorted(out, key=lambda ln: (ln.earner_id, ln.source, ln.corrects))


# ---------------------------------------------------------------------------------------------
# Explanations (rendered from a line's own fields, so they never disagree with the figures)
# ---------------------------------------------------------------------------------------------
_NAMES = {
    "opening_reward": ("开户奖励", "opening reward"),
    "opening_clawback": ("扣回开户奖励", "opening reward clawed back"),
    "balance_carried": ("负数结转", "negative balance carried"),
    "retention_bonus": ("留存奖励", "retention bonus"),
    "sales_commission": ("销售提成", "sales commission"),
    "lead_marketing": ("市场线索分成", "marketing lead share"),
    "lead_sales": ("销售签约分成", "sales signing share"),
    "lead_points": ("有效线索积分奖励", "qualified-lead points"),
    "lead_conversion": ("线索转化奖励", "lead conversion bonus"),
    CORRECTION: ("更正", "correction"),
    MANUAL: ("人工调整", "manual adjustment"),
}


def _m(d: Decimal) -> str:
    return f"{d:,.2f}"


def _month(period: str, zh: bool) -> str:
    """"2026-01" as a reader writes it: 2026年1月 / January 2026 (an odd value as it is)."""
    year, _sep, month = (period or "").partition("-")
    if not (year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
        return period
    return f"{int(year)}年{int(month)}月" if zh else f"{calendar.month_name[int(month)]} {int(year)}"


def _p(d: Decimal) -> str:
    return f"{d.normalize():f}" if d == d.to_integral() else f"{d:.2f}".rstrip("0")


@dataclass(frozen=True)
class LineContext:
    """What a person needs to recognise a line, looked up by the statement's selector: the
    client (name, service, new or existing, headcount tier), the rule version by name and date,
    and the source branch's name for cross-branch work. Every field may be missing (an event
    since deleted, an old line): the sentence then simply leaves that part out."""
    client: str = ""
    service: str = ""  # already in words (社保代缴)
    client_type: str = ""  # 新客户 / 老客户
    tier: str = ""  # ≤50人 800.00元 / 首个申报月 2025年8月 参保 60 人 → 51–100 人档
    clawback_months: int = 0  # the opening rule's 扣回 window (for a clawback line's reason)
    rule: str = ""  # 开户奖励方案 2026年1月1日起
    branch: str = ""  # the source branch's name


def explain(line: Line, *, home_branch_id: int, lang: str = "zh", context: LineContext | None = None) -> str:
    """A one-sentence account of how the line's amount follows from its base, rate and
    adjustment, in the users' words: which client, service, new or existing, which tier, which
    rule version (name and date), the branch float, and for cross-branch work the branch by
    name — never an internal key such as `beijing:sale:35` or `#None`."""
    zh = lang != "en"
    ctx = context or LineContext()
    if line.component == CORRECTION:
        comp, closed = (line.corrects or "@").split("@")
        closed = _month(closed, zh)
        name = _NAMES.get(comp, ("提成", "commission"))[0 if zh else 1]
        what = f"({ctx.client})" if ctx.client else ""
        if zh:
            return f"更正:已关账期间 {closed} 的{name}{what}差额 {_m(line.amount)} 元,计入本期。"
        return f"Correction of the closed period {closed}, {name}{' (' + ctx.client + ')' if ctx.client else ''}: difference {_m(line.amount)} posted here."
    if line.component == "opening_clawback":
        return _explain_clawback(line, ctx, zh)
    if line.component == "balance_carried":
        kind, _sep, other = (line.corrects or ":").partition(":")
        other = _month(other, zh)
        if kind == "carry_out":
            return (f"本期合计为负 {_m(-line.amount)} 元,本期不发放,余额结转至 {other} 扣减。" if zh else
                    f"This month adds up to {_m(-line.amount)}: nothing is paid and the balance is carried to {other}.")
        return (f"{other} 合计为负,结转余额 {_m(line.amount)} 元在本期扣减。" if zh else
                f"Negative balance of {other} carried here: {_m(line.amount)}.")
    if line.component == MANUAL:
        if zh:
            return f"申诉调整:{_m(line.amount)} 元,计入本期,原结算行不变。"
        return f"Adjustment after an inquiry: {_m(line.amount)} posted here; the original line is unchanged."
    name = _NAMES.get(line.component, ("提成", "commission"))[0 if zh else 1]
    parts = [f"{name} {_m(line.base)}" if line.rate == HUNDRED else f"{name}: {_m(line.base)} × {_p(line.rate)}%"]
    if line.adjustment_percent:
        sign = "+" if line.adjustment_percent > 0 else ""
        parts.append(f"× (1 {sign}{_p(line.adjustment_percent)}%{' 分支浮动' if zh else ' branch adjustment'})")
    text = " ".join(parts) + f" = {_m(line.amount)}"
    cross = line.source_branch_id != home_branch_id
    if zh:
        facts = [f for f in (ctx.client, ctx.service, ctx.client_type, ctx.tier) if f]
        if facts:
            text += ";" + " · ".join(facts)
        if ctx.rule:
            text += f";规则:{ctx.rule}"
        if cross:
            text += f";跨区域支援,按{ctx.branch or '支援分支机构'}规则计算"
            if line.home_rules_applied:
                text += ",按不低于本分支机构标准补足"
        return text + "。"
    text = text[:1].upper() + text[1:]  # an English sentence begins with a capital
    facts = [f for f in (ctx.client, ctx.service, ctx.client_type, ctx.tier) if f]
    if facts:
        text += "; " + " · ".join(facts)
    if ctx.rule:
        text += f"; rule: {ctx.rule}"
    if cross:
        text += f"; cross-branch support, computed with {ctx.branch or 'the supported branch'}'s rules"
        if line.home_rules_applied:
            text += ", raised to the home branch's rules (no-shrink)"
    return text + "."


def _explain_clawback(line: Line, ctx: LineContext, zh: bool) -> str:
    """The reason in words: 客户 X 于 2025-11 终止,开户未满 6 个月,扣回开户奖励 1,200.00 = -1,200.00。"""
    month = _month(period_of(line.event_date), zh)
    adj = ""
    if line.adjustment_percent:
        sign = "+" if line.adjustment_percent > 0 else ""
        adj = f" × (1 {sign}{_p(line.adjustment_percent)}%{' 分支浮动' if zh else ' branch adjustment'})"
    if zh:
        who = f"客户{ctx.client}" if ctx.client else "客户"
        window = f"开户未满 {ctx.clawback_months} 个月" if ctx.clawback_months else "开户未满扣回期限"
        return f"{who}于 {month} 终止,{window},扣回开户奖励 {_m(line.base)}{adj} = {_m(line.amount)}。"
    who = f"Client {ctx.client}" if ctx.client else "The client"
    window = (f"within {ctx.clawback_months} months of its opening" if ctx.clawback_months
              else "within the clawback window")
    return f"{who} left in {month}, {window}: opening reward {_m(line.base)}{adj} taken back = {_m(line.amount)}."


def with_period(line: Line, period: str) -> Line:
    return replace(line, period=period)
