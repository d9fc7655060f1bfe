"""Pure rules of planning: no ORM, no SQL.

- `with_draft`: the rule book as it would be had the draft been in force from a day (what the
  replay compiles; the same book the recompute uses after the draft is published that day);
- `summarise`: a replay's sums by branch, person, component and month, gainers and losers;
- the suggestion rules: each a function of typed figures → `Suggestion` or None, thresholds
  as named constants, each suggestion carrying the figures that triggered it and its words.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.utils.translation import gettext as _

from hrsaas.core.money import quantize_money

from ..engine import AdjustmentData, RuleBook
from ..hq.rules import MAX_ADJUSTMENT_PERCENT, OpeningRewardRule, Rule, RuleVersionData, Tier

ZERO = Decimal("0.00")
DRAFT_VERSION_ID = -1  # the draft's stand-in id in the compiled SQL (never stored)
MAX_REPLAY_MONTHS = 24
DEFAULT_REPLAY_MONTHS = 12


# ---------------------------------------------------------------------------------------------
# Drafts and the rule book with a draft in it
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleDraftData:
    """A rule version not (yet) published."""

    component: str
    rule: Rule


@dataclass(frozen=True)
class AdjustmentDraftData:
    """A branch float adjustment not (yet) approved: `percent` on `component` of one branch."""

    branch_id: int
    component: str
    percent: Decimal


Draft = RuleDraftData | AdjustmentDraftData


def with_draft(rules: RuleBook, draft: Draft, start: dt.date) -> RuleBook:
    """`rules` plus `draft` in force from `start` — exactly what the rule book holds once the draft
    is published (a rule version effective `start`; an approved adjustment from `start`, open-ended).
    A version of the same component already effective that very day is replaced (publishing
    would have to pick another day, and the replay would otherwise hold two)."""
    if isinstance(draft, RuleDraftData):
        kept = tuple(v for v in rules.versions if not (v.component == draft.component and v.effective_from == start))
        version = RuleVersionData(id=DRAFT_VERSION_ID, component=draft.component, effective_from=start, rule=draft.rule)
        return replace(rules, versions=tuple(sorted(kept + (version,), key=lambda v: (v.component, v.effective_from))))
    if abs(draft.percent) > MAX_ADJUSTMENT_PERCENT:
        raise ValueError("an adjustment is within ±20%")
    return replace(rules, adjustments=rules.adjustments + (AdjustmentData(
        branch_id=draft.branch_id, component=draft.component, percent=draft.percent, effective_from=start,
        effective_to=None),))


def raised_first_tier(rule: OpeningRewardRule, percent: Decimal) -> OpeningRewardRule:
    """The opening-reward rule with its first (smallest clients') tier raised by `percent`."""
    first = rule.tiers[0]
    amount = quantize_money(first.amount * (Decimal(100) + percent) / Decimal(100))
    return OpeningRewardRule(tiers=(Tier(first.max_headcount, amount), *rule.tiers[1:]))


# ---------------------------------------------------------------------------------------------
# A replay's sums
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReplayRow:
    """One (branch, month, person, component) of the replay: current rules vs the draft."""

    branch_id: int
    period: str
    earner_id: int
    component: str
    current: Decimal
    draft: Decimal
    current_lines: int
    draft_lines: int

    @property
    def difference(self) -> Decimal:
        return self.draft - self.current


@dataclass(frozen=True)
class Figure:
    key: object
    current: Decimal
    draft: Decimal

    @property
    def difference(self) -> Decimal:
        return self.draft - self.current


@dataclass(frozen=True)
class ReplaySummary:
    periods: tuple[str, ...]
    total: Figure
    lines: int  # statement lines computed under the draft (the replay's size)
    by_branch: tuple[Figure, ...]
    by_component: tuple[Figure, ...]
    by_month: tuple[Figure, ...]
    by_person: tuple[Figure, ...]  # key (branch_id, earner_id), largest gain first
    gainers: tuple[Figure, ...] = field(default=())
    losers: tuple[Figure, ...] = field(default=())


def _sum_by(rows, key) -> dict:
    out: dict = {}
    for r in rows:
        k = key(r)
        cur, dra = out.get(k, (ZERO, ZERO))
        out[k] = (cur + r.current, dra + r.draft)
    return out


def summarise(rows: list[ReplayRow], periods: list[str]) -> ReplaySummary:
    def figures(key, order=None):
        sums = _sum_by(rows, key)
        items = [Figure(k, c, d) for k, (c, d) in sums.items()]
        return tuple(sorted(items, key=order or (lambda f: f.key)))

    people = figures(lambda r: (r.branch_id, r.earner_id), order=lambda f: (-f.difference, f.key))
    total_c = sum((r.current for r in rows), ZERO)
    total_d = sum((r.draft for r in rows), ZERO)
    return ReplaySummary(
        periods=tuple(periods), total=Figure("total", total_c, total_d), lines=sum(r.draft_lines for r in rows),
        by_branch=figures(lambda r: r.branch_id), by_component=figures(lambda r: r.component),
        by_month=figures(lambda r: r.period), by_person=people,
        gainers=tuple(f for f in people if f.difference > 0),
        losers=tuple(sorted((f for f in people if f.difference < 0), key=lambda f: (f.difference, f.key))),
    )


# ---------------------------------------------------------------------------------------------
# Suggestions from the data (deterministic, explained)
# ---------------------------------------------------------------------------------------------
# A specialist whose openings are mostly small clients: the branch's small-tier reward.
SMALL_CLIENT_SHARE = Decimal("70.00")          # % of a specialist's openings in the first tier, at least
SMALL_CLIENT_MIN_OPENINGS = 5                  # openings in the window before the share means anything
SMALL_TIER_RAISE_PERCENT = Decimal("10.00")    # the suggested raise (adjustment, or the tier's amount)
# A branch whose one-year retention is low: a retention bonus.
RETENTION_MONTHS = 12                          # "one-year" retention
LOW_RETENTION_SHARE = Decimal("60.00")         # % of clients still served a year on, below which it triggers
RETENTION_MIN_COHORT = 10                      # clients whose first year ended in the window, at least
RETENTION_RAISE_PERCENT = Decimal("20.00")     # the suggested float of the retention bonus (the cap)

SMALL_CLIENTS = "small_clients"
LOW_RETENTION = "low_retention"
KINDS = (SMALL_CLIENTS, LOW_RETENTION)


@dataclass(frozen=True)
class SpecialistOpenings:
    earner_id: int
    name: str
    openings: int
    small: int  # openings whose headcount is within the first tier

    @property
    def share(self) -> Decimal:
        return _share(self.small, self.openings)


@dataclass(frozen=True)
class BranchFigures:
    """What the suggestion rules read of one branch over the window."""

    branch_id: int
    branch_name: str
    small_tier_max: int | None  # the first tier's headcount bound in force (None: one flat tier)
    specialists: tuple[SpecialistOpenings, ...]
    retention_cohort: int  # clients whose first year ended in the window
    retained: int          # of them, still served on that day
    retention_percent_in_force: Decimal  # the retention bonus's % of the opening reward now


@dataclass(frozen=True)
class Suggestion:
    kind: str
    branch_id: int
    title: str
    explanation: str
    figures: tuple[tuple[str, str], ...]  # (what, value in words) — the numbers that triggered it
    component: str       # the HQ rule component the draft changes
    percent: Decimal     # the draft adjustment's float for the branch
    people: tuple[int, ...] = ()  # the earners whose figures triggered it


def _share(part: int, whole: int) -> Decimal:
    if whole <= 0:
        return ZERO
    return quantize_money(Decimal(part) * 100 / Decimal(whole))


def suggest_small_clients(b: BranchFigures) -> Suggestion | None:
    """Specialists with ≥ SMALL_CLIENT_MIN_OPENINGS openings of which ≥ SMALL_CLIENT_SHARE % are
    small clients (first tier) → raise the branch's small-client reward (opening reward +10%)."""
    if b.small_tier_max is None:
        return None
    hits = [s for s in b.specialists if s.openings >= SMALL_CLIENT_MIN_OPENINGS and s.share >= SMALL_CLIENT_SHARE]
    if not hits:
        return None
    hits.sort(key=lambda s: (-s.share, s.name))
    figures = tuple((_("%(name)s的小客户占比") % {"name": s.name},
                     _("%(share)s%%(%(small)d / %(n)d 户)") % {"share": s.share, "small": s.small, "n": s.openings})
                    for s in hits)
    return Suggestion(
        kind=SMALL_CLIENTS, branch_id=b.branch_id,
        title=_("提高%(branch)s的小客户开户奖励") % {"branch": b.branch_name},
        explanation=_("%(n)d 名专员开户的客户中至少 %(t)s%% 为小客户(员工 %(max)d 人及以下,开户奖励第一档),"
                      "建议该分支机构开户奖励上浮 %(p)s%%。") % {
            "n": len(hits), "t": SMALL_CLIENT_SHARE, "max": b.small_tier_max, "p": SMALL_TIER_RAISE_PERCENT},
        figures=figures, component="opening_reward", percent=SMALL_TIER_RAISE_PERCENT,
        people=tuple(s.earner_id for s in hits),
    )


def suggest_retention(b: BranchFigures) -> Suggestion | None:
    """A cohort of ≥ RETENTION_MIN_COHORT clients whose first year ended in the window, fewer than
    LOW_RETENTION_SHARE % of them still served → a retention bonus float for the branch."""
    if b.retention_cohort < RETENTION_MIN_COHORT:
        return None
    share = _share(b.retained, b.retention_cohort)
    if share >= LOW_RETENTION_SHARE:
        return None
    return Suggestion(
        kind=LOW_RETENTION, branch_id=b.branch_id,
        title=_("为%(branch)s设留存奖励上浮") % {"branch": b.branch_name},
        explanation=_("满一年的客户中只有 %(s)s%% 仍在服务(低于 %(t)s%%),建议该分支机构留存奖励上浮 %(p)s%%,"
                      "鼓励专员留住客户。") % {"s": share, "t": LOW_RETENTION_SHARE, "p": RETENTION_RAISE_PERCENT},
        figures=((_("一年留存率"), _("%(s)s%%(%(k)d / %(n)d 户)") % {"s": share, "k": b.retained, "n": b.retention_cohort}),
                 (_("现行留存奖励"), _("开户奖励的 %(p)s%%") % {"p": b.retention_percent_in_force})),
        component="retention_bonus", percent=RETENTION_RAISE_PERCENT,
    )


RULES = (suggest_small_clients, suggest_retention)


def suggestions_for(branches: list[BranchFigures]) -> list[Suggestion]:
    """Every rule over every branch, in a fixed order (branch, then rule)."""
    out = []
    for b in sorted(branches, key=lambda b: b.branch_name):
        for rule in RULES:
            s = rule(b)
            if s is not None:
                out.append(s)
    return out
