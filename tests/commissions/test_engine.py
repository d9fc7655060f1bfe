"""The rules as pure functions: hand-checked tables (every SPEC example) and properties."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commissions import engine
from commissions.engine import AdjustmentData, BranchRef, Lead, Opening, RuleBook, Sale
from commissions.hq.rules import DEFAULT_EFFECTIVE_FROM, DEFAULT_RULES, RuleVersionData, parse_rule

D = Decimal
BJ, SH = BranchRef(1, "bj"), BranchRef(2, "sh")
DEFAULTS = tuple(RuleVersionData(i + 1, c, DEFAULT_EFFECTIVE_FROM, parse_rule(c, p))
                 for i, (c, p) in enumerate(DEFAULT_RULES.items()))
HOME = {10: 1, 11: 1, 20: 2, 30: None}


def book(*adjustments, no_shrink=True, extra=()):
    return RuleBook(versions=DEFAULTS + tuple(extra), adjustments=tuple(adjustments), no_shrink=no_shrink)


def amounts(lines):
    return [(ln.component, ln.amount) for ln in lines]


@pytest.mark.parametrize("headcount, reward", [(1, "800"), (50, "800"), (51, "1200"), (100, "1200"),
                                               (101, "1800"), (10**6, "1800")])
def test_opening_reward_tiers(headcount, reward):
    assert engine.opening_reward_for(headcount, DEFAULTS[0].rule) == D(reward)


def test_flat_1000_plus_20_percent_is_1200():
    flat = RuleVersionData(99, "opening_reward", dt.date(2026, 1, 1),
                           parse_rule("opening_reward", {"tiers": [{"max_headcount": None, "amount": "1000.00"}]}))
    rules = book(AdjustmentData(2, "opening_reward", D("20.00"), dt.date(2026, 1, 1)), extra=(flat,))
    lines = engine.compute_period(period="2026-03", home_branch_id=2, earner_home=HOME, rules=rules,
                                  openings=[Opening(SH, 1, 20, 30, dt.date(2026, 3, 5))])
    assert amounts(lines) == [("opening_reward", D("1200.00"))]
    assert lines[0].rule_version_id == 99


@pytest.mark.parametrize("closed_on, expected", [(None, [("retention_bonus", D("160.00"))]),
                                                 (dt.date(2026, 3, 11), [("retention_bonus", D("160.00"))]),
                                                 (dt.date(2026, 3, 10), []), (dt.date(2025, 9, 1), [])])
def test_retention_800_times_20_percent(closed_on, expected):
    o = Opening(BJ, 1, 10, 30, dt.date(2025, 3, 10), closed_on)
    lines = engine.compute_period(period="2026-03", home_branch_id=1, earner_home=HOME, openings=[o], rules=book())
    assert amounts(lines) == expected
    for other in ("2026-02", "2026-04", "2027-03"):
        assert engine.compute_period(period=other, home_branch_id=1, earner_home=HOME, openings=[o], rules=book()) == []


def test_anniversary_of_29_february_is_28_february():
    o = Opening(BJ, 1, 10, 30, dt.date(2024, 2, 29))
    lines = engine.compute_period(period="2025-02", home_branch_id=1, earner_home=HOME, openings=[o], rules=book())
    assert [(ln.component, ln.event_date) for ln in lines] == [("retention_bonus", dt.date(2025, 2, 28))]


@pytest.mark.parametrize("opened, service, amount, expected", [
    (dt.date(2020, 1, 1), "social_insurance", "1000000.00", "10000.00"),
    (dt.date(2026, 1, 1), "social_insurance", "100000.00", "2000.00"),
    (dt.date(2026, 1, 1), "payroll_outsourcing", "100000.00", "5000.00"),
    (dt.date(2020, 1, 1), "payroll_outsourcing", "100000.00", "4000.00"),
    (dt.date(2025, 4, 30), "housing_fund", "100.00", "2.00"),  # month 12: still new
    (dt.date(2025, 3, 31), "housing_fund", "100.00", "1.00"),  # month 13: existing
    (dt.date(2026, 1, 1), "social_insurance", "0.25", "0.01"),  # 0.005 → half-up
])
def test_sales_commission(opened, service, amount, expected):
    s = Sale(BJ, 1, opened, service, "2026-03", D(amount), 10)
    lines = engine.compute_period(period="2026-03", home_branch_id=1, earner_home=HOME, sales=[s], rules=book())
    assert amounts(lines) == [("sales_commission", D(expected))]


def test_lead_attribution_4_2_5():
    leads = [Lead(BJ, 1, "marketing", 11, dt.date(2026, 3, 1), True, 10, D("100000.00"), dt.date(2026, 3, 9)),
             Lead(BJ, 2, "sales", None, dt.date(2026, 3, 1), True, 10, D("100000.00"), dt.date(2026, 3, 9))]
    lines = engine.compute_period(period="2026-03", home_branch_id=1, earner_home=HOME, leads=leads, rules=book())
    assert sorted((ln.earner_id, ln.component, ln.amount) for ln in lines) == [
        (10, "lead_sales", D("2000.00")), (10, "lead_sales", D("5000.00")), (11, "lead_marketing", D("4000.00"))]


def test_points_scheme_threshold():
    points = RuleVersionData(98, "lead_attribution", dt.date(2026, 1, 1), parse_rule("lead_attribution", dict(
        DEFAULT_RULES["lead_attribution"], points={"points_per_qualified_lead": "10.00", "conversion_bonus_percent": "1.00",
                                                   "min_conversion_percent": "50.00", "yuan_per_point": "2.00"})))
    def lead(i, signed):
        return Lead(BJ, i, "marketing", 11, dt.date(2026, 3, 1), True, 10 if signed else None,
                    D("1000.00") if signed else None, dt.date(2026, 3, 20) if signed else None)
    rules = book(extra=(points,))
    half = engine.compute_period(period="2026-03", home_branch_id=1, earner_home=HOME, rules=rules,
                                 leads=[lead(1, True), lead(2, False)])
    mine = sorted((ln.component, ln.amount) for ln in half if ln.earner_id == 11)
    # 2 qualified × 10 points × 2 yuan = 40; conversion 50% meets the threshold; +1% of 1,000
    assert mine == [("lead_conversion", D("10.00")), ("lead_marketing", D("40.00")), ("lead_points", D("40.00"))]
    low = engine.compute_period(period="2026-03", home_branch_id=1, earner_home=HOME, rules=rules,
                                leads=[lead(1, True), lead(2, False), lead(3, False)])
    assert "lead_points" not in {ln.component for ln in low}


def test_cross_branch_uses_account_rules_with_no_shrink():
    rules = book(AdjustmentData(2, "opening_reward", D("20.00"), dt.date(2026, 1, 1)),
                 AdjustmentData(1, "opening_reward", D("-5.00"), dt.date(2026, 1, 1)))
    o = Opening(SH, 7, 10, 30, dt.date(2026, 3, 5))  # bj's person, sh's account
    [line] = engine.compute_period(period="2026-03", home_branch_id=1, earner_home=HOME, openings=[o], rules=rules)
    assert (line.source, line.amount, line.adjustment_percent, line.home_rules_applied) == ("sh:client:7", D("960.00"), D("20.00"), False)
    assert engine.compute_period(period="2026-03", home_branch_id=2, earner_home=HOME, openings=[o], rules=rules) == []
    # the other way round: sh's rules lower than bj's → bj's rules (no-shrink), unless HQ turns it off
    rules = book(AdjustmentData(2, "opening_reward", D("-20.00"), dt.date(2026, 1, 1)),
                 AdjustmentData(1, "opening_reward", D("10.00"), dt.date(2026, 1, 1)))
    [line] = engine.compute_period(period="2026-03", home_branch_id=1, earner_home=HOME, openings=[o], rules=rules)
    assert (line.amount, line.home_rules_applied) == (D("880.00"), True)
    rules = RuleBook(rules.versions, rules.adjustments, no_shrink=False)
    [line] = engine.compute_period(period="2026-03", home_branch_id=1, earner_home=HOME, openings=[o], rules=rules)
    assert line.amount == D("640.00")


def test_adjustments_do_not_stack_past_the_cap():
    adjs = [AdjustmentData(1, "opening_reward", D("15.00"), dt.date(2026, 1, 1)),
            AdjustmentData(1, "opening_reward", D("15.00"), dt.date(2026, 2, 1))]
    assert engine.adjustment_percent_on(adjs, 1, "opening_reward", dt.date(2026, 1, 31)) == D("15.00")
    assert engine.adjustment_percent_on(adjs, 1, "opening_reward", dt.date(2026, 2, 1)) == D("20.00")


def test_corrections_post_the_difference():
    o1 = Opening(BJ, 1, 10, 30, dt.date(2026, 3, 5))
    o2 = Opening(BJ, 2, 10, 80, dt.date(2026, 3, 6))
    stored = engine.compute_period(period="2026-03", home_branch_id=1, earner_home=HOME, openings=[o1], rules=book())
    desired = engine.compute_period(period="2026-03", home_branch_id=1, earner_home=HOME, openings=[o1, o2], rules=book())
    fixes = engine.corrections_for(closed_period="2026-03", target_period="2026-04", desired=desired,
                                   stored=stored, already_corrected=[])
    assert [(f.period, f.source, f.component, f.corrects, f.amount) for f in fixes] == [
        ("2026-04", "bj:client:2", "correction", "opening_reward@2026-03", D("1200.00"))]
    assert engine.corrections_for(closed_period="2026-03", target_period="2026-05", desired=desired,
                                  stored=stored, already_corrected=fixes) == []


def test_explanations_name_base_rate_adjustment_and_source():
    s = Sale(SH, 5, dt.date(2020, 1, 1), "social_insurance", "2026-03", D("1000000.00"), 10)
    rules = book(AdjustmentData(2, "sales_commission", D("10.00"), dt.date(2026, 1, 1)))
    [line] = engine.compute_period(period="2026-03", home_branch_id=1, earner_home=HOME, sales=[s], rules=rules)
    ctx = engine.LineContext(client="华信科技", service="社保代缴", client_type="老客户",
                             rule="销售提成方案,2026年1月1日起", branch="上海分公司")
    assert engine.explain(line, home_branch_id=1, context=ctx) == (
        "销售提成: 1,000,000.00 × 1% × (1 +10% 分支浮动) = 11,000.00;华信科技 · 社保代缴 · 老客户;"
        "规则:销售提成方案,2026年1月1日起;跨区域支援,按上海分公司规则计算。")
    # Without the looked-up context no internal key appears either (no sh:sale:5, no #3).
    bare = engine.explain(line, home_branch_id=1)
    assert "sh:sale" not in bare and "#" not in bare and "None" not in bare
    assert engine.explain(line, home_branch_id=1, lang="en").startswith("Sales commission: 1,000,000.00 × 1%")


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------
days = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 12, 31))
branches = st.sampled_from([BJ, SH])
earners = st.sampled_from([10, 11, 20, 30])
money = st.decimals(min_value=D("0.01"), max_value=D("9999999.99"), places=2)
openings_st = st.builds(Opening, branches, st.integers(1, 10**6), earners, st.integers(1, 500), days,
                        st.one_of(st.none(), days))
sales_st = st.builds(Sale, branches, st.integers(1, 10**6), days,
                     st.sampled_from(["social_insurance", "housing_fund", "payroll_outsourcing"]),
                     st.sampled_from(["2026-01", "2026-02", "2026-03"]), money, earners)
adjustments_st = st.lists(st.builds(AdjustmentData, st.sampled_from([1, 2]),
                                    st.sampled_from(["opening_reward", "retention_bonus", "sales_commission"]),
                                    st.decimals(min_value=-20, max_value=20, places=2), days, st.none()), max_size=6)


def _unique(events, key):
    seen, out = set(), []
    for e in events:
        if key(e) not in seen:
            seen.add(key(e))
            out.append(e)
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(openings_st, max_size=12), st.lists(sales_st, max_size=12), adjustments_st,
       st.sampled_from(["2026-01", "2026-02", "2026-03"]), st.sampled_from([1, 2]), st.booleans(), st.randoms())
def test_properties(openings, sales, adjustments, period, home, no_shrink, rnd):
    openings = _unique(openings, lambda o: (o.branch, o.client_id))
    sales = _unique(sales, lambda s: (s.branch, s.sale_id))
    rules = book(*adjustments, no_shrink=no_shrink)
    kwargs = dict(period=period, home_branch_id=home, earner_home=HOME, rules=rules)
    lines = engine.compute_period(openings=openings, sales=sales, **kwargs)

    # adjustments never beyond ±20%, each line is its own formula rounded once
    for ln in lines:
        assert D(-20) <= ln.adjustment_percent <= D(20)
        assert ln.amount == engine.line_amount(ln.base, ln.rate, ln.adjustment_percent)
        assert ln.amount.as_tuple().exponent == -2
        assert ln.period == period
    # lines sum to the statement totals; keys are unique (the business key)
    totals = engine.statement_totals(lines)
    assert sum(totals.values(), D(0)) == sum((ln.amount for ln in lines), D(0))
    assert len({ln.key for ln in lines}) == len(lines)
    # idempotent, and independent of the order of the events
    assert engine.compute_period(openings=openings, sales=sales, **kwargs) == lines
    shuffled_o, shuffled_s = openings[:], sales[:]
    rnd.shuffle(shuffled_o), rnd.shuffle(shuffled_s)
    assert engine.compute_period(openings=shuffled_o, sales=shuffled_s, **kwargs) == lines
    # every line belongs to a statement of the home branch
    for ln in lines:
        assert (HOME[ln.earner_id] or ln.source_branch_id) == home


@given(adjustments_st, days)
def test_adjustment_is_capped_and_matches_breakpoints(adjustments, day):
    p = engine.adjustment_percent_on(adjustments, 1, "opening_reward", day)
    assert D(-20) <= p <= D(20)
    points = [b for b in engine.adjustment_breakpoints(adjustments, 1, "opening_reward") if b <= day]
    if points:  # constant between breakpoints
        assert engine.adjustment_percent_on(adjustments, 1, "opening_reward", points[-1]) == p


@given(days, st.integers(0, 40))
def test_add_months_clamps_like_postgres(day, months):
    result = engine.add_months(day, months)
    assert result.day <= day.day and (result.year * 12 + result.month) - (day.year * 12 + day.month) == months


def test_explanations_name_months_as_readers_write_them_in_either_language():
    line = engine.Line(
        period="2026-04", earner_id=7, source="bj:client:3", component=engine.CORRECTION, source_branch_id=1,
        event_date=dt.date(2026, 1, 20), rule_version_id=None, base=Decimal("1200.00"), rate=Decimal("100"),
        adjustment_percent=Decimal("0"), amount=Decimal("1200.00"), corrects="opening_reward@2026-01",
        corrects_period="2026-01")
    ctx = engine.LineContext(client="甲公司")
    assert engine.explain(line, home_branch_id=1, context=ctx) == (
        "更正:已关账期间 2026年1月 的开户奖励(甲公司)差额 1,200.00 元,计入本期。")
    assert engine.explain(line, home_branch_id=1, context=ctx, lang="en") == (
        "Correction of the closed period January 2026, opening reward (甲公司): difference 1,200.00 posted here.")
