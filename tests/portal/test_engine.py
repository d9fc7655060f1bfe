"""The portal's pure rules: rank and gap wording, the estimate, the claim review, the SLA."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from commissions.engine import AdjustmentData, BranchRef, RuleBook
from commissions.hq.rules import DEFAULT_EFFECTIVE_FROM, DEFAULT_RULES, RuleVersionData, parse_rule
from portal import engine

RULES = RuleBook(versions=tuple(RuleVersionData(id=i + 1, component=c, effective_from=DEFAULT_EFFECTIVE_FROM,
                                                rule=parse_rule(c, p)) for i, (c, p) in enumerate(DEFAULT_RULES.items())))
BJ = BranchRef(1, "bj")
OPENING = RULES.versions[0].rule
TODAY = dt.date(2026, 3, 16)


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def test_gap_wording_for_ranks_one_two_three():
    values = {"a": 5, "b": 3, "me": 1}
    assert engine.gap_text(engine.standing_of(values, "me"), metric="openings") == "您当前月排名第3位,距离第2位还差2户"
    assert engine.gap_text(engine.standing_of(values, "b"), metric="openings") == "您当前月排名第2位,距离第1位还差2户"
    assert engine.gap_text(engine.standing_of(values, "a"), metric="openings") == "您当前月排名第1位"


def test_gap_wording_with_ties_names_the_rank_that_exists():
    values = {"a": 5, "b": 3, "c": 3, "me": 1, "e": 5}
    # ranks 1, 1, 3, 3, 5: the fifth is behind the two tied at 3rd, not a 4th that does not exist
    assert engine.gap_text(engine.standing_of(values, "me"), metric="openings") == "您当前月排名第5位,距离第3位还差2户"
    assert engine.gap_text(engine.standing_of(values, "b"), metric="openings") == "您当前月排名并列第3位,距离第1位还差2户"
    # tied first: no gap, and shared
    assert engine.gap_text(engine.standing_of(values, "e"), metric="openings") == "您当前月排名并列第1位"
    assert engine.standing_of(values, "nobody") is None


def test_gap_wording_for_money_and_weeks():
    values = {"a": Decimal("3400.00"), "me": Decimal("2200.00")}
    assert engine.gap_text(engine.standing_of(values, "me"), metric="commission") == "您当前月排名第2位,距离第1位还差1,200.00元"
    assert engine.gap_text(engine.standing_of(values, "me"), metric="sales", kind="week") == "您本周排名第2位,距离第1位还差1,200.00元"


def test_gap_wording_in_english():
    with translation.override("en"):
        text = engine.gap_text(engine.standing_of({"a": 5, "b": 3, "me": 1}, "me"), metric="openings")
    assert text == "You rank #3 this month, 2 accounts behind #2"
    with translation.override("en"):
        text = engine.gap_text(engine.standing_of({"a": 5, "b": 2, "me": 1}, "me"), metric="openings")
    assert text == "You rank #3 this month, 1 account behind #2"


def test_money_format():
    assert engine.money(Decimal("1234567.5")) == "1,234,567.50"
    assert engine.money(Decimal("-50")) == "-50.00"
    assert engine.money(None) == "0.00"


@pytest.mark.parametrize("openings, headcount, amount, service, new, total", [
    (2, 60, "0", "social_insurance", True, "2400.00"),  # 2 × 1,200
    (1, 50, "0", "social_insurance", True, "800.00"),
    (1, 101, "0", "social_insurance", True, "1800.00"),
    (0, None, "100000.00", "social_insurance", True, "2000.00"),  # SME at 2%
    (0, None, "1000000.00", "social_insurance", False, "10000.00"),  # large client at 1%
    (0, None, "10000.00", "payroll_outsourcing", False, "400.00"),
    (3, 30, "100000.00", "payroll_outsourcing", True, "7400.00"),  # 3 × 800 + 5%
    (0, None, "0.01", "social_insurance", False, "0.00"),  # rounds to nothing
])
def test_estimate_uses_the_engine_on_default_rules(openings, headcount, amount, service, new, total):
    est = engine.estimate(today=TODAY, branch=BJ, earner_id=7, rules=RULES, data=engine.EstimateInput(
        openings=openings, headcount=headcount, sales_amount=Decimal(amount), service=service, new_client=new))
    assert est.total == Decimal(total)
    assert est.period == "2026-03"


def test_estimate_applies_the_branchs_registered_adjustment_only():
    rules = RuleBook(versions=RULES.versions, adjustments=(
        AdjustmentData(branch_id=1, component="opening_reward", percent=Decimal("20.00"),
                       effective_from=dt.date(2026, 1, 1)),
        AdjustmentData(branch_id=2, component="opening_reward", percent=Decimal("-10.00"),
                       effective_from=dt.date(2026, 1, 1))))
    est = engine.estimate(today=TODAY, branch=BJ, earner_id=7, rules=rules, data=engine.EstimateInput(
        openings=2, headcount=60, sales_amount=Decimal(0), service="social_insurance", new_client=True))
    assert est.total == Decimal("2880.00")  # 2 × 1,200 × 1.2
    assert [(p.component, p.count, p.base, p.adjustment_percent, p.amount) for p in est.parts] == [
        ("opening_reward", 2, Decimal("1200.00"), Decimal("20.00"), Decimal("2880.00"))]


def test_tier_labels_and_index():
    assert engine.tier_labels(OPENING) == ["≤50人 800.00元", "51–100人 1,200.00元", "≥101人 1,800.00元"]
    assert [engine.tier_index_for(n, OPENING) for n in (1, 50, 51, 100, 101, 5000)] == [0, 0, 1, 1, 2, 2]


def _facts(**kw):
    base = dict(client_ref=12, client_exists=True, opener_id=7, headcount=60, claimant_id=7, approved_claim_id=None,
                claimed_tier=1, rule=OPENING, period="2026-03", period_open=True, client_name="甲公司")  # the money is still to come
    base.update(kw)
    return engine.ClaimFacts(**base)


def test_claim_review_passes_and_each_failure_has_its_reason():
    assert engine.review_claim(_facts()).approved
    cases = [
        (dict(client_exists=False, opener_id=None, headcount=None), "not_opener", "所申领的客户不是由您开户的客户,不能申领开户奖励。"),
        (dict(opener_id=8), "not_opener", "所申领的客户不是由您开户的客户,不能申领开户奖励。"),
        (dict(approved_claim_id=3), "already_claimed", "客户「甲公司」的开户奖励已申领(申领 #3)。"),
        # a review kept before the client's name was: the number it has
        (dict(approved_claim_id=3, client_name=""), "already_claimed", "客户 #12 的开户奖励已申领(申领 #3)。"),
        (dict(claimed_tier=2), "tier_mismatch", "申领档位「≥101人 1,800.00元」与客户人数 60 人对应的档位「51–100人 1,200.00元」不符。"),
    ]
    for kw, code, reason in cases:
        review = engine.review_claim(_facts(**kw))
        assert (review.approved, review.code, review.reason) == (False, code, reason)


def test_working_day_sla():
    tz = dt.timezone(dt.timedelta(hours=8))
    thursday = dt.datetime(2026, 3, 12, 15, 30, tzinfo=tz)
    assert engine.add_working_days(thursday, 2) == dt.datetime(2026, 3, 16, 15, 30, tzinfo=tz)  # Monday
    saturday = dt.datetime(2026, 3, 14, 9, 0, tzinfo=tz)
    # raised on a day off: the clock starts Monday morning, due by the end of Tuesday
    assert engine.add_working_days(saturday, 2) == dt.datetime(2026, 3, 17, 23, 59, 59, tzinfo=tz)
    sunday_evening = dt.datetime(2026, 12, 6, 18, 58, tzinfo=tz)
    assert engine.add_working_days(sunday_evening, 2) == dt.datetime(2026, 12, 8, 23, 59, 59, tzinfo=tz)
    due = engine.add_working_days(thursday, 2)
    assert not engine.is_overdue(due_at=due, answered_at=None, now=due)
    assert engine.is_overdue(due_at=due, answered_at=None, now=due + dt.timedelta(seconds=1))
    assert not engine.is_overdue(due_at=due, answered_at=thursday, now=due + dt.timedelta(days=3))


def test_a_shared_rank_reads_as_shared():
    """Four people first: none of them is simply 第1位 (the review saw "排名第1位" beside three
    others with the same count)."""
    values = {"me": 5, "b": 5, "c": 5, "d": 5, "e": 2}
    assert engine.gap_text(engine.standing_of(values, "me"), metric="openings") == "您当前月排名并列第1位"
    assert engine.gap_text(engine.standing_of(values, "e"), metric="openings") == "您当前月排名第5位,距离第1位还差3户"
    assert engine.gap_text(engine.standing_of({"me": 5, "b": 3}, "me"), metric="openings") == "您当前月排名第1位"


def test_working_days_are_chinas_holidays_off_and_make_up_days_on():
    """国庆 2026: 1–7 October off, Saturday 10 October worked (调休); 春节 2026: 15–23 February off,
    Saturdays 14 and 28 February worked. A year the calendar does not carry yet counts Monday–Friday
    less the holidays fixed by date."""
    from hrsaas.core import workdays

    tz = dt.timezone(dt.timedelta(hours=8))
    before_national_day = dt.datetime(2026, 9, 30, 10, 0, tzinfo=tz)  # Wednesday
    assert engine.add_working_days(before_national_day, 1) == dt.datetime(2026, 10, 8, 10, 0, tzinfo=tz)
    assert engine.add_working_days(before_national_day, 3) == dt.datetime(2026, 10, 10, 10, 0, tzinfo=tz)  # 调休 Saturday
    in_spring_festival = dt.datetime(2026, 2, 17, 11, 0, tzinfo=tz)  # 初一: off
    assert engine.add_working_days(in_spring_festival, 2) == dt.datetime(2026, 2, 25, 23, 59, 59, tzinfo=tz)
    assert workdays.covered(2026) and not workdays.covered(2040)
    assert workdays.is_working_day(dt.date(2040, 1, 2)) and not workdays.is_working_day(dt.date(2040, 1, 7))
    # … less the holidays fixed by date: 元旦 2027 (a Friday) is no working day, whatever the notice
    assert not workdays.is_working_day(dt.date(2027, 1, 1)) and not workdays.is_working_day(dt.date(2040, 10, 2))
    new_years_eve = dt.datetime(2026, 12, 31, 10, 0, tzinfo=tz)  # Thursday
    assert engine.add_working_days(new_years_eve, 1) == dt.datetime(2027, 1, 4, 10, 0, tzinfo=tz)  # Monday


@pytest.mark.parametrize("role, component, total", [
    ("marketer", "lead_marketing", "4000.00"),  # 4% of a marketing lead's signed amount
    ("seller", "lead_sales", "5000.00"),  # 5% of a lead the seller found and signed
    (None, None, "0.00"),  # a specialist: no lead
])
def test_estimate_of_a_signed_lead_for_marketing_and_sales(role, component, total):
    """Marketing earns from its leads (市场线索分成): the estimate offered openings and sales only."""
    est = engine.estimate(today=TODAY, branch=BJ, earner_id=7, rules=RULES, data=engine.EstimateInput(
        openings=0, headcount=None, sales_amount=Decimal(0), service="social_insurance", new_client=True,
        lead_amount=Decimal("100000.00"), lead_role=role))
    assert est.total == Decimal(total)
    assert [p.component for p in est.parts if p.amount] == ([component] if component else [])
