"""Hand-checked tables for the pure rules in performance/engine.py."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from performance import engine
from performance.engine import IndicatorSpec, VersionRef

KNOWN = {"openings", "claim_days", "survey_score", "new_hire_arrival_rate", "new_hire_achievement_rate"}


def spec(**kw):
    base = dict(code="x", name="X", metric="openings", weight=D(100), target=D(10))
    base.update(kw)
    return IndicatorSpec(**base)


@pytest.mark.parametrize("kw, actual, expected", [
    ({}, D(5), D("50.00")),                                   # linear: half the target
    ({}, D(10), D("100.00")),
    ({}, D(15), D("100.00")),                                 # linear stops at target
    ({"formula": "capped", "params": {"cap": 120}}, D(15), D("120.00")),
    ({"formula": "capped", "params": {"cap": 120}}, D(11), D("110.00")),
    ({"direction": "lower", "target": D(2)}, D("1.5"), D("100.00")),
    ({"direction": "lower", "target": D(2)}, D(3), D("66.67")),  # 2/3 × 100 half-up
    ({"formula": "thresholds", "params": {"steps": [{"at": 5, "score": 60}, {"at": 10, "score": 100}]}}, D(7), D("60.00")),
    ({"formula": "thresholds", "params": {"steps": [{"at": 5, "score": 60}, {"at": 10, "score": 100}]}}, D(4), D("0.00")),
    ({"formula": "thresholds", "direction": "lower",
      "params": {"steps": [{"at": 1, "score": 100}, {"at": 2, "score": 80}]}}, D("1.5"), D("80.00")),
    ({}, None, D("0.00")),
])
def test_indicator_score_table(kw, actual, expected):
    raw, text = engine.indicator_score(spec(**kw), actual)
    assert raw == expected
    assert text.startswith("X:")


def test_points_formula_arrival_gate_plus_one_point_per_percent_above():
    # 到岗率达标得20分, 业绩达标率每高1%加1分: 96 ≥ 95 → 20; 85.7 vs 80 → +5 (full points only)
    s = spec(metric="new_hire_achievement_rate", target=D(80), formula="points",
             params={"gate_metric": "new_hire_arrival_rate", "gate_target": 95, "gate_points": 20,
                     "points_per_percent": 1, "max": 100})
    assert engine.indicator_score(s, D("85.7"), {"new_hire_arrival_rate": D(96)})[0] == D("25.00")
    assert engine.indicator_score(s, D("85.7"), {"new_hire_arrival_rate": D(90)})[0] == D("5.00")
    assert engine.indicator_score(s, D(70), {"new_hire_arrival_rate": D(95)})[0] == D("20.00")


def test_score_person_weights_and_totals():
    specs = [spec(code="a", weight=D(60), target=D(10)), spec(code="b", metric="claim_days", weight=D(40),
                                                               target=D(2), direction="lower")]
    result = engine.score_person(specs, {"openings": D(5), "claim_days": D(4)})
    assert [ln.weighted for ln in result.lines] == [D("30.00"), D("20.00")]
    assert result.total == D("50.00") and result.max_total == D("100.00")


@pytest.mark.parametrize("specs, field", [
    ([spec(weight=D(60))], "weights"),
    ([spec(weight=D(60)), spec(code="y", weight=D(41))], "weights"),
    ([spec(metric="nonsense")], "formula"),
    ([spec(formula="points", metric="new_hire_achievement_rate",
           params={"gate_metric": "made_up", "gate_target": 1, "gate_points": 1, "points_per_percent": 1, "max": 9})],
     "formula"),
    ([spec(formula="capped", params={"cap": 90})], "formula"),
    ([spec(target=D(0))], "target"),
    ([spec(formula="magic")], "formula"),
])
def test_invalid_indicator_sets_are_named(specs, field):
    assert field in engine.validate_indicators(specs, KNOWN)


def test_weights_of_exactly_100_are_valid():
    assert engine.validate_indicators([spec(weight=D("33.33")), spec(code="y", weight=D("66.67"))], KNOWN) == {}


def test_seasonal_variant_is_chosen_by_date_and_newest_version_wins():
    versions = [
        VersionRef(1, "all", (), 1, date(2026, 1, 1)),
        VersionRef(2, "all", (), 2, date(2026, 6, 1)),
        VersionRef(3, "peak", (1, 2, 3), 1, date(2026, 1, 1)),  # 开门红
    ]
    assert engine.choose_version(versions, date(2026, 2, 28)).id == 3
    assert engine.choose_version(versions, date(2026, 5, 31)).id == 1
    assert engine.choose_version(versions, date(2026, 7, 31)).id == 2
    assert engine.choose_version(versions, date(2025, 12, 31)) is None


def test_survey_average_10_5_0():
    assert engine.survey_average([D(10), D(5), D(0)]) == D("5.00")
    assert engine.survey_average([D(10), D(10), D(5)]) == D("8.33")
    assert engine.survey_average([]) is None


FINANCE = {"linked_metric": "claim_days", "own_metric": "payment_days", "linked_target": 2,
           "bands": [{"max": 1, "percent": 120}, {"max": 2, "percent": 100}, {"max": None, "percent": 80}],
           "miss_penalty_points": 10}


@pytest.mark.parametrize("claims, payment, factor, amount", [
    (D("1.8"), D("0.8"), D("120.00"), D("12000.00")),
    (D(2), D(1), D("120.00"), D("12000.00")),        # both bounds inclusive
    (D(2), D("1.5"), D("100.00"), D("10000.00")),
    (D(2), D(2), D("100.00"), D("10000.00")),
    (D(2), D("2.01"), D("80.00"), D("8000.00")),
    (D("2.5"), D("0.8"), D("110.00"), D("11000.00")),  # claims missed: 120 − 10 points
    (D("2.5"), D("1.5"), D("90.00"), D("9000.00")),
    (D("2.5"), D(3), D("70.00"), D("7000.00")),
])
def test_finance_bonus_linked_to_claims(claims, payment, factor, amount):
    r = engine.linked_factor_bonus(base=D(10000), params=FINANCE, linked_actual=claims, own_actual=payment,
                                   rule_label="r v1")
    assert (r.factor, r.amount) == (factor, amount)


HR = {"gate_metric": "new_hire_arrival_rate", "rate_metric": "new_hire_achievement_rate", "share_percent": 30,
      "gate_target": 95, "gate_points": 20, "rate_target": 80, "points_per_percent": 1, "full_points": 20,
      "cap_percent": 150}


@pytest.mark.parametrize("arrival, rate, factor, amount", [
    (D(96), D(85), D("107.50"), D("10750.00")),   # 20 + 5 = 25 pts → tied 125%
    (D(95), D(80), D("100.00"), D("10000.00")),   # 20 pts → tied 100%
    (D(90), D(80), D("70.00"), D("7000.00")),     # gate missed, nothing above → tied 0
    (D(96), D(100), D("115.00"), D("11500.00")),  # 40 pts → 200%, capped at 150%: 70 + 30 × 1.5
])
def test_hr_thirty_percent_tied_share(arrival, rate, factor, amount):
    r = engine.tied_share_bonus(base=D(10000), params=HR, gate_actual=arrival, rate_actual=rate, rule_label="hr v1")
    assert (r.factor, r.amount) == (factor, amount)


def test_attrition_reasons_explain_each_signal():
    reasons = engine.attrition_reasons(engine.RiskInputs(D(4), D(70), D(85), D(5)))
    assert [r["code"] for r in reasons] == ["attendance", "falling_score", "survey"]
    assert reasons[1]["zh"] == "绩效得分由85降至70,下降15分"
    assert engine.risk_level(reasons) == "high"
    assert engine.attrition_reasons(engine.RiskInputs(D(2), D(80), D(85), D(10))) == []


def test_a_survey_signal_needs_three_answers_and_never_names_the_average():
    """One answer of 不满意 flagged its author with "本人满意度调查平均0分" on the manager's page,
    beside a survey page promising no one sees who answered what (the review of 2026-12-05)."""
    one = engine.attrition_reasons(engine.RiskInputs(None, None, None, D(0), own_survey_count=1))
    assert one == []
    three = engine.attrition_reasons(engine.RiskInputs(None, None, None, D("3.33"), own_survey_count=3))
    assert [r["code"] for r in three] == ["survey"]
    assert "3.33" not in three[0]["zh"] and "3.33" not in three[0]["en"] and "至少3份" in three[0]["zh"]
