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
- SLA. An inquiry is due `working_days` working days (Mon–Fri) after it was raised, at the same
  time of day; it is overdue while unanswered after that.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from commissions.engine import (
    BranchRef,
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


def standing_of(values: dict, key) -> Standing | None:
    """`key`'s competition rank among `values` and its gap to the nearest better value."""
    if key not in values:
        return None
    mine = values[key]
    better = sorted({v for v in values.values() if v > mine})
    rank = 1 + sum(1 for v in values.values() if v > mine)
    if not better:
        return Standing(rank, mine, None, None)
    nearest = better[0]
    next_rank = 1 + sum(1 for v in values.values() if v > nearest)
    return Standing(rank, mine, next_rank, nearest - mine)


def gap_text(standing: Standing, *, metric: str, kind: str = "month") -> str:
    """"您当前月排名第3位,距离第2位还差2户" (openings) / "…还差1,200.00元" (money)."""
    if kind == "month":
        text = _("您当前月排名第%(rank)d位") % {"rank": standing.rank}
    else:
        text = _("您本周排名第%(rank)d位") % {"rank": standing.rank}
    if standing.next_rank is None:
        return text
    if metric == UNIT_ACCOUNTS:
        return text + _(",距离第%(next)d位还差%(gap)d户") % {"next": standing.next_rank, "gap": standing.gap}
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
    lines = compute_period(period=period, home_branch_id=branch.id, earner_home={earner_id: branch.id},
                           openings=openings, sales=sales, rules=rules)
    parts: dict[tuple, list] = {}
    for ln in lines:
        parts.setdefault((ln.component, ln.base, ln.rate, ln.adjustment_percent), []).append(ln.amount)
    out = tuple(EstimatePart(component=c, count=len(a), base=b, rate=r, adjustment_percent=adj, amount=sum(a, ZERO))
                for (c, b, r, adj), a in sorted(parts.items(), key=lambda kv: kv[0][0]))
    return Estimate(period=period, parts=out, total=sum((p.amount for p in out), ZERO))


# ---------------------------------------------------------------------------------------------
# Reward claims (开户奖励申领)
# ---------------------------------------------------------------------------------------------
def tier_labels(rule: OpeningRewardRule) -> list[str]:
    """["≤50人 800.00元", "51–100人 1,200.00元", "≥101人 1,800.00元"] (bounds inclusive)."""
    labels, low = [], 1
    for tier in rule.tiers:
        if tier.max_headcount is None:
            span = _("≥%(low)d人") % {"low": low} if low > 1 else _("不限人数")
        elif low == 1:
            span = _("≤%(high)d人") % {"high": tier.max_headcount}
        else:
            span = _("%(low)d–%(high)d人") % {"low": low, "high": tier.max_headcount}
        labels.append(_("%(span)s %(amount)s元") % {"span": span, "amount": money(tier.amount)})
        low = (tier.max_headcount or 0) + 1
    return labels


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


def review_claim(f: ClaimFacts) -> ClaimReview:
    if not f.client_exists:
        return ClaimReview(False, "unknown_client", _("本分支机构没有编号为 %(id)s 的客户。") % {"id": f.client_ref})
    if f.opener_id != f.claimant_id:
        return ClaimReview(False, "not_opener", _("客户 #%(id)s 不是由您开户的,不能申领其开户奖励。") % {"id": f.client_ref})
    if f.approved_claim_id is not None:
        return ClaimReview(False, "already_claimed", _("客户 #%(id)s 的开户奖励已申领(申领 #%(claim)s)。")
                           % {"id": f.client_ref, "claim": f.approved_claim_id})
    if f.rule is None:
        return ClaimReview(False, "no_rule", _("客户开户日没有生效的开户奖励规则。"))
    labels = tier_labels(f.rule)
    right = tier_index_for(f.headcount, f.rule)
    if f.claimed_tier != right:
        claimed = labels[f.claimed_tier] if 0 <= f.claimed_tier < len(labels) else str(f.claimed_tier)
        return ClaimReview(False, "tier_mismatch",
                           _("申领档位「%(claimed)s」与客户人数 %(n)d 人对应的档位「%(right)s」不符。")
                           % {"claimed": claimed, "n": f.headcount, "right": labels[right]})
    tier_amount = f.rule.tiers[right].amount
    if f.line is not None:
        if f.line.base is not None and f.line.base != tier_amount:
            return ClaimReview(False, "line_differs",
                               _("结算单 %(p)s 中该客户的开户奖励按 %(base)s 元档位计算,与申领档位「%(claimed)s」不符。")
                               % {"p": f.line.period, "base": money(f.line.base), "claimed": labels[right]})
        return ClaimReview(True, "ok", _("自动审核通过:已核对结算单 %(p)s 第 %(id)d 行,开户奖励 %(amount)s 元"
                                         "(档位「%(tier)s」)。")
                           % {"p": f.line.period, "id": f.line.line_id, "amount": money(f.line.amount),
                              "tier": labels[right]})
    if f.period_open:
        return ClaimReview(True, "pending_line", _("自动审核通过:客户 %(p)s 开户,该期间尚未关账,开户奖励"
                                                   "(档位「%(tier)s」)将在重算后计入 %(p)s 结算单。")
                           % {"p": f.period, "tier": labels[right]})
    return ClaimReview(False, "no_line", _("%(p)s 已关账,结算单中没有该客户的开户奖励(也没有更正行),本申领不能确认。"
                                           "若客户刚刚录入,请待重算完成后再申领;否则请对结算单提出申诉。") % {"p": f.period})


# ---------------------------------------------------------------------------------------------
# Inquiry SLA
# ---------------------------------------------------------------------------------------------
def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """`start` plus `days` working days (Mon–Fri), same time of day. Raised on a weekend, the
    count starts on Monday."""
    current = start
    while current.weekday() >= 5:
        current = (current + dt.timedelta(days=1)).replace(hour=start.hour, minute=start.minute,
                                                            second=start.second, microsecond=start.microsecond)
    added = 0
    while added < days:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def is_overdue(*, due_at: dt.datetime, answered_at: dt.datetime | None, now: dt.datetime) -> bool:
    return answered_at is None and now > due_at
