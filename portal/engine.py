"""The portal's rules as pure functions (no ORM, no now()): ranks and the gap wording, the
earnings estimate, the automatic review of a reward claim, and the inquiry SLA.

- Rank and gap. Leaderboards use competition ranking (1, 2, 2, 4). The gap is measured to the
  nearest better value, and named by that value's rank: with ranks 1, 2, 2, 4 the fourth is
  "距离第2位还差…" (there is no third place). The first — ties included — has no gap.
- Estimate. "If I open N more accounts of headcount H and sell X more this month": hypothetical
  events fed to commissions.engine.compute_period with the rules in force and the registered
  adjustments, so the estimate is what the recompute would add — never a second formula.
- Claim review (开户奖励申领). In order: the client exists in this branch; it was opened by the
  claimant; it has no approved claim yet; the tier claimed is the tier of the client's headcount
  under the opening-reward version in force on the opening date; and the money exists — the
  claimant's home-branch statement of the opening month has that opening-reward line with the
  claimed tier (approval names the line), or that month is still open so the recompute will
  write it. A closed month without the line is refused: a confirmation stands on money.
  The first failure is the reason.
- SLA. An inquiry is due `working_days` working days (China's: holidays off, 调休 days on) after it was raised, at the same
  time of day; it is overdue while unanswered after that.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from commissions.engine import (
    BranchRef,
    Lead,
    Opening,
    RuleBook,
    Sale,
    add_months,
    compute_period,
    period_of,
    period_start,
)
from commissions.hq.rules import OpeningRewardRule, version_in_force

ZERO = Decimal("0.00")
UNIT_ACCOUNTS = "openings"


# ---------------------------------------------------------------------------------------------
# Money and ranks
# ---------------------------------------------------------------------------------------------
def money(amount: Decimal | int | None) -> str:
    """1234567.5 → "1,234,567.50" (two places, thousands separators): THE formatter's money."""
    from hrsaas.core.formatting import format_money

    return format_money(Decimal(amount or 0))


@dataclass(frozen=True)
class Standing:
    rank: int
    value: Decimal | int
    next_rank: int | None  # the rank of the nearest better value (None when first)
    gap: Decimal | int | None
    tied: bool = False  # someone else has the same value (and so the same rank)


def standing_of(values: dict, key) -> Standing | None:
    """`key`'s competition rank among `values` and its gap to the nearest better value."""
    if key not in values:
        return None
    mine = values[key]
    better = sorted({v for v in values.values() if v > mine})
    rank = 1 + sum(1 for v in values.values() if v > mine)
    tied = sum(1 for v in values.values() if v == mine) > 1
    if not better:
        return Standing(rank, mine, None, None, tied)
    nearest = better[0]
    next_rank = 1 + sum(1 for v in values.values() if v > nearest)
    return Standing(rank, mine, next_rank, nearest - mine, tied)


def gap_text(standing: Standing, *, metric: str, kind: str = "month") -> str:
    """"您当前月排名第3位,距离第2位还差2户" (openings) / "…还差1,200.00元" (money); a rank shared
    with others reads "排名并列第1位" (four people first: none of them is simply 第1位)."""
    if kind == "month":
        text = (_("您当前月排名并列第%(rank)d位") if standing.tied else _("您当前月排名第%(rank)d位")) % {
            "rank": standing.rank}
    else:
        text = (_("您本周排名并列第%(rank)d位") if standing.tied else _("您本周排名第%(rank)d位")) % {
            "rank": standing.rank}
    if standing.next_rank is None:
        return text
    if metric == UNIT_ACCOUNTS:
        return text + ngettext(",距离第%(next)d位还差%(gap)d户", ",距离第%(next)d位还差%(gap)d户", standing.gap) % {
            "next": standing.next_rank, "gap": standing.gap}
    return text + _(",距离第%(next)d位还差%(gap)s元") % {"next": standing.next_rank, "gap": money(standing.gap)}


def ranked(values: dict) -> list[tuple[int, object, Decimal | int]]:
    """[(rank, key, value)] best first; ties share a rank; equal values ordered by key."""
    ordered = sorted(values.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return [(1 + sum(1 for v in values.values() if v > value), key, value) for key, value in ordered]


# ---------------------------------------------------------------------------------------------
# Estimate (估算)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EstimateInput:
    openings: int
    headcount: int | None
    sales_amount: Decimal
    service: str
    new_client: bool
    # A lead signed this month for this amount (市场线索分成): the earner's own marketing lead
    # ("marketer") or a lead they found and signed themselves ("seller"); None: no lead.
    lead_amount: Decimal = Decimal("0.00")
    lead_role: str | None = None


@dataclass(frozen=True)
class EstimatePart:
    component: str
    count: int
    base: Decimal
    rate: Decimal
    adjustment_percent: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Estimate:
    period: str
    parts: tuple[EstimatePart, ...]
    total: Decimal


def estimate(*, today: dt.date, branch: BranchRef, earner_id: int, data: EstimateInput, rules: RuleBook) -> Estimate:
    """What `data` would add to this month's statement, computed by commissions.engine on `rules`
    (versions in force today, this branch's registered adjustments)."""
    period = period_of(today)
    openings = [Opening(branch=branch, client_id=-(i + 1), earner_id=earner_id, headcount=data.headcount,
                        opened_on=today) for i in range(data.openings)]
    sales = []
    if data.sales_amount > 0:
        if data.new_client:
            opened_on = today
        else:  # old enough to be an existing client under the rule in force
            rule = version_in_force(list(rules.versions), "sales_commission", period_start(period))
            months = rule.rule.new_client_months if rule else 12
            opened_on = add_months(period_start(period), -(months + 1))
        sales = [Sale(branch=branch, sale_id=-1, client_opened_on=opened_on, service=data.service, period=period,
                      amount=data.sales_amount, earner_id=earner_id)]
    leads = []
    if data.lead_amount > 0 and data.lead_role in ("marketer", "seller"):
        marketer = data.lead_role == "marketer"
        leads = [Lead(branch=branch, lead_id=-1, source="marketing" if marketer else "sales",
                      marketer_id=earner_id if marketer else None, created_on=today,
                      seller_id=None if marketer else earner_id, amount=data.lead_amount, signed_on=today)]
    lines = compute_period(period=period, home_branch_id=branch.id, earner_home={earner_id: branch.id},
                           openings=openings, sales=sales, leads=leads, rules=rules)
    parts: dict[tuple, list] = {}
    for ln in lines:
        parts.setdefault((ln.component, ln.base, ln.rate, ln.adjustment_percent), []).append(ln.amount)
    out = tuple(EstimatePart(component=c, count=len(a), base=b, rate=r, adjustment_percent=adj, amount=sum(a, ZERO))
                for (c, b, r, adj), a in sorted(parts.items(), key=lambda kv: kv[0][0]))
    return Estimate(period=period, parts=out, total=sum((p.amount for p in out), ZERO))


# ---------------------------------------------------------------------------------------------
# Reward claims (开户奖励申领)
# ---------------------------------------------------------------------------------------------
def tier_spans(rule: OpeningRewardRule) -> list[dict]:
    """Each tier as data: {"low": 51, "high": 100, "amount": "1200.00"} (high None = open)."""
    spans, low = [], 1
    for tier in rule.tiers:
        spans.append({"low": low, "high": tier.max_headcount, "amount": str(tier.amount)})
        low = (tier.max_headcount or 0) + 1
    return spans


def tier_label(span: dict) -> str:
    """{"low": 51, "high": 100, "amount": "1200.00"} → "51–100人 1,200.00元" (bounds inclusive)."""
    low, high = int(span.get("low") or 1), span.get("high")
    if high is None:
        text = _("≥%(low)d人") % {"low": low} if low > 1 else _("不限人数")
    elif low == 1:
        text = _("≤%(high)d人") % {"high": int(high)}
    else:
        text = _("%(low)d–%(high)d人") % {"low": low, "high": int(high)}
    return _("%(span)s %(amount)s元") % {"span": text, "amount": money(Decimal(str(span.get("amount") or 0)))}


def tier_labels(rule: OpeningRewardRule) -> list[str]:
    """["≤50人 800.00元", "51–100人 1,200.00元", "≥101人 1,800.00元"] (bounds inclusive)."""
    return [tier_label(span) for span in tier_spans(rule)]


def tier_index_for(headcount: int, rule: OpeningRewardRule) -> int:
    """The index of the tier `opening_reward_for` pays for `headcount` (same inclusive bounds)."""
    for i, tier in enumerate(rule.tiers):
        if tier.max_headcount is None or headcount <= tier.max_headcount:
            return i
    raise ValueError("opening reward rule has no open-ended last tier")


@dataclass(frozen=True)
class ClaimFacts:
    client_ref: int
    client_exists: bool
    opener_id: int | None
    headcount: int | None
    claimant_id: int
    approved_claim_id: int | None  # an approved claim of the same client, if any
    claimed_tier: int
    rule: OpeningRewardRule | None  # the version in force on the opening date
    # The money behind the claim: the claimant's opening-reward line for this client on their
    # home-branch statement of the opening month, if the recompute wrote it …
    line: "StatementLineFact | None" = None
    # … and whether that month is still open there (then a missing line is still to come: the
    # recompute writes it from the opening itself).
    period: str = ""
    period_open: bool = False
    client_name: str = ""  # how the statement line reads (开户奖励 · 甲公司), never its row id


@dataclass(frozen=True)
class StatementLineFact:
    line_id: int
    period: str
    base: Decimal | None  # the tier amount the rule paid (None for a correction line: it holds a difference)
    amount: Decimal  # after the branch's float adjustment


@dataclass(frozen=True)
class ClaimReview:
    approved: bool
    code: str
    reason: str
    # What was found, as JSON-safe data: review_text(code, args) says it in the active language.
    args: dict = field(default_factory=dict)


def review_claim(f: ClaimFacts) -> ClaimReview:
    def result(approved: bool, code: str, **args) -> ClaimReview:
        return ClaimReview(approved, code, review_text(code, args), args)

    # A client that does not exist and one someone else opened are one answer, code included:
    # the claimant typed a number and learns neither whether it exists nor who opened it.
    if not f.client_exists or f.opener_id != f.claimant_id:
        return result(False, "not_opener", client_ref=f.client_ref)
    if f.approved_claim_id is not None:
        return result(False, "already_claimed", client_ref=f.client_ref, client=f.client_name,
                      claim=f.approved_claim_id)
    if f.rule is None:
        return result(False, "no_rule")
    spans = tier_spans(f.rule)
    right = tier_index_for(f.headcount, f.rule)
    if f.claimed_tier != right:
        claimed = spans[f.claimed_tier] if 0 <= f.claimed_tier < len(spans) else None
        return result(False, "tier_mismatch", claimed=claimed, headcount=f.headcount, tier=spans[right])
    tier_amount = f.rule.tiers[right].amount
    if f.line is not None:
        if f.line.base is not None and f.line.base != tier_amount:
            return result(False, "line_differs", period=f.line.period, base=str(f.line.base), tier=spans[right])
        return result(True, "ok", period=f.line.period, client=f.client_name, amount=str(f.line.amount),
                      tier=spans[right])
    if f.period_open:
        return result(True, "pending_line", period=f.period, client=f.client_name, tier=spans[right])
    return result(False, "no_line", period=f.period)


def _line_words(client: str) -> str:
    """A statement line as it reads on the statement: 开户奖励 · 甲公司."""
    from hrsaas.core.labels import label

    item = label("component", "opening_reward")
    return _("%(item)s · %(client)s") % {"item": item, "client": client} if client else item


def review_text(code: str, args: dict) -> str:
    """A review's (or a manager's override's) result in the active language, from its data:
    periods read 2026年12月 and the statement line is named by its client and item — never by
    its row id (line ids change on every recompute and mean nothing to people)."""
    from hrsaas.core.formatting import format_period

    a = args or {}
    period = format_period(a.get("period", ""))
    amount = money(Decimal(str(a["amount"]))) if a.get("amount") not in (None, "") else ""
    tier = tier_label(a["tier"]) if a.get("tier") else ""
    # A client that does not exist and one someone else opened read the same: the claimant learns
    # neither whether it exists nor its name (they typed its number).
    if code in ("unknown_client", "not_opener"):
        # No number: a record id means nothing to a person (and an unknown client reads the same).
        return _("所申领的客户不是由您开户的客户,不能申领开户奖励。")
    # The client by name (it is the claimant's own): no page shows a client's record number.
    if code == "already_claimed" and a.get("client"):
        return _("客户「%(name)s」的开户奖励已申领(申领 #%(claim)s)。") % {"name": a["client"], "claim": a.get("claim")}
    if code == "already_claimed":
        return _("客户 #%(id)s 的开户奖励已申领(申领 #%(claim)s)。") % {"id": a.get("client_ref"), "claim": a.get("claim")}
    if code == "no_rule":
        return _("客户开户日没有生效的开户奖励规则。")
    if code == "tier_mismatch":
        claimed = tier_label(a["claimed"]) if a.get("claimed") else ""
        return (_("申领档位「%(claimed)s」与客户人数 %(n)d 人对应的档位「%(right)s」不符。")
                % {"claimed": claimed, "n": int(a.get("headcount") or 0), "right": tier})
    if code == "line_differs":
        return (_("%(p)s提成单中该客户的开户奖励按 %(base)s 元档位计算,与申领档位「%(claimed)s」不符。")
                % {"p": period, "base": money(Decimal(str(a.get("base") or 0))), "claimed": tier})
    if code == "ok":
        return (_("自动审核通过:已核对%(p)s提成单中「%(line)s」一行,开户奖励 %(amount)s 元(档位「%(tier)s」)。")
                % {"p": period, "line": _line_words(a.get("client", "")), "amount": amount, "tier": tier})
    if code == "pending_line":
        return (_("自动审核通过:客户于%(p)s开户,该月尚未关账,开户奖励(档位「%(tier)s」)将在重算后计入%(p)s提成单。")
                % {"p": period, "tier": tier})
    if code == "no_line":
        return (_("%(p)s已关账,提成单中没有该客户的开户奖励(也没有更正行),本申领不能确认。"
                  "若客户刚刚录入,请待重算完成后再申领;否则请对提成单提出申诉。") % {"p": period})
    if code == "override":
        line = _line_words(a.get("client", ""))
        if a.get("approve") and amount:
            return (_("改判通过:确认%(p)s提成单中「%(line)s」一行开户奖励 %(amount)s 元;提成单金额不变。")
                    % {"p": period, "line": line, "amount": amount})
        if a.get("approve"):
            return (_("改判通过:%(p)s提成单目前没有该客户的开户奖励行,改判不会增加金额;如需发放,请通过申诉调整入账。")
                    % {"p": period})
        if amount:
            return (_("改判驳回:%(p)s提成单中「%(line)s」一行开户奖励 %(amount)s 元仍按开户记录计算,不因驳回扣减;"
                      "如需扣回,请通过申诉调整。") % {"p": period, "line": line, "amount": amount})
        return _("改判驳回:提成单不变(该客户没有开户奖励行)。")
    return ""


# ---------------------------------------------------------------------------------------------
# Inquiry SLA
# ---------------------------------------------------------------------------------------------
def add_working_days(start: dt.datetime, days: int, *, is_working_day=None) -> dt.datetime:
    """`start` plus `days` working days, same time of day. Working days are China's
    (hrsaas.core.workdays: weekends and 法定节假日 off, 调休 days on), or `is_working_day`'s.
    Raised on a day off, the clock starts when the next working day begins, so the answer is due
    at the end of its `days`-th working day (23:59:59): a Sunday evening's question is due by the
    end of Tuesday, not Wednesday evening."""
    if is_working_day is None:
        from hrsaas.core.workdays import is_working_day
    if not is_working_day(start.date()):
        day, counted = start.date(), 0
        while counted < days:
            day += dt.timedelta(days=1)
            if is_working_day(day):
                counted += 1
        return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=start.tzinfo)
    current, added = start, 0
    while added < days:
        current += dt.timedelta(days=1)
        if is_working_day(current.date()):
            added += 1
    return current


def is_overdue(*, due_at: dt.datetime, answered_at: dt.datetime | None, now: dt.datetime) -> bool:
    return answered_at is None and now > due_at
