"""Engine tables: every city/year of the shipped data, below / between / above the bases.

Expected figures were worked out independently of the engine (integer fen arithmetic, the
floor of every rate range), and spot-checked by hand, e.g. Beijing 2024年度 wage 2000:
pension base 6821 × 16% = 1091.36; medical 6821 × 2% = 136.42 + 3 = 139.42; unemployment
6821 × 0.5% = 34.105 → 34.11 (half-up); housing fund 2420 × 5% = 121 (whole yuan).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from social_insurance import engine
from social_insurance.engine import ItemRule, PolicyError, PolicyRule
from social_insurance.policies.loader import item_fields, read_data

D = Decimal


def rules_from_data() -> list[PolicyRule]:
    """The data file as engine rules, through the same field mapping the migration uses."""
    rules = []
    for raw in read_data()["policies"]:
        items = []
        for kind, item in raw["items"].items():
            f = item_fields(kind, item, raw["rounding"])
            items.append(ItemRule(
                kind=kind, base_floor=f["base_floor"], base_ceiling=f["base_ceiling"],
                employee_percent=f["employee_percent"], employer_percent=f["employer_percent"],
                employer_fixed=f["employer_fixed"], employee_fixed=f["employee_fixed"],
                employer_range=(f["employer_rate_min"], f["employer_rate_max"]) if "employer_rate_min" in f else None,
                rate_range=(f["rate_min"], f["rate_max"]) if "rate_min" in f else None,
                whole_percent=f["whole_percent"], rounding=f["rounding"],
            ))
        rules.append(PolicyRule(
            city=raw["city"], name=raw["name"], year=raw["year"],
            effective_from=dt.date.fromisoformat(raw["effective_from"]),
            effective_to=dt.date.fromisoformat(raw["effective_to"]), items=tuple(items),
        ))
    return rules


RULES = rules_from_data()


def rule(city, year):
    return next(r for r in RULES if r.city == city and r.year == year)


# (city, year, wage, [(type, base, employer, employee)]) at the floor of every rate range.
TABLE = [
    ('beijing', '2024年度', '2000.00', [('pension', '6821.00', '1091.36', '545.68'), ('medical', '6821.00', '668.46', '139.42'), ('unemployment', '6821.00', '34.11', '34.11'), ('work_injury', '6821.00', '13.64', '0.00'), ('housing_fund', '2420.00', '121.00', '121.00')]),
    ('beijing', '2024年度', '20000.00', [('pension', '20000.00', '3200.00', '1600.00'), ('medical', '20000.00', '1960.00', '403.00'), ('unemployment', '20000.00', '100.00', '100.00'), ('work_injury', '20000.00', '40.00', '0.00'), ('housing_fund', '20000.00', '1000.00', '1000.00')]),
    ('beijing', '2024年度', '50000.00', [('pension', '35283.00', '5645.28', '2822.64'), ('medical', '35283.00', '3457.73', '708.66'), ('unemployment', '35283.00', '176.42', '176.42'), ('work_injury', '35283.00', '70.57', '0.00'), ('housing_fund', '35283.00', '1764.00', '1764.00')]),
    ('beijing', '2025年度', '2000.00', [('pension', '7162.00', '1145.92', '572.96'), ('medical', '7162.00', '701.88', '146.24'), ('unemployment', '7162.00', '35.81', '35.81'), ('work_injury', '7162.00', '14.32', '0.00'), ('housing_fund', '2540.00', '127.00', '127.00')]),
    ('beijing', '2025年度', '20000.00', [('pension', '20000.00', '3200.00', '1600.00'), ('medical', '20000.00', '1960.00', '403.00'), ('unemployment', '20000.00', '100.00', '100.00'), ('work_injury', '20000.00', '40.00', '0.00'), ('housing_fund', '20000.00', '1000.00', '1000.00')]),
    ('beijing', '2025年度', '50000.00', [('pension', '35811.00', '5729.76', '2864.88'), ('medical', '35811.00', '3509.48', '719.22'), ('unemployment', '35811.00', '179.06', '179.06'), ('work_injury', '35811.00', '71.62', '0.00'), ('housing_fund', '35811.00', '1791.00', '1791.00')]),
    ('beijing', '2026年度', '2000.00', [('pension', '7270.00', '1163.20', '581.60'), ('medical', '7270.00', '712.46', '148.40'), ('unemployment', '7270.00', '36.35', '36.35'), ('work_injury', '7270.00', '14.54', '0.00'), ('housing_fund', '2540.00', '127.00', '127.00')]),
    ('beijing', '2026年度', '20000.00', [('pension', '20000.00', '3200.00', '1600.00'), ('medical', '20000.00', '1960.00', '403.00'), ('unemployment', '20000.00', '100.00', '100.00'), ('work_injury', '20000.00', '40.00', '0.00'), ('housing_fund', '20000.00', '1000.00', '1000.00')]),
    ('beijing', '2026年度', '50000.00', [('pension', '36348.00', '5815.68', '2907.84'), ('medical', '36348.00', '3562.10', '729.96'), ('unemployment', '36348.00', '181.74', '181.74'), ('work_injury', '36348.00', '72.70', '0.00'), ('housing_fund', '36348.00', '1817.00', '1817.00')]),
    ('shanghai', '2024年度', '2000.00', [('pension', '7384.00', '1181.44', '590.72'), ('medical', '7384.00', '664.56', '147.68'), ('unemployment', '7384.00', '36.92', '36.92'), ('work_injury', '7384.00', '11.81', '0.00'), ('housing_fund', '2690.00', '135.00', '135.00')]),
    ('shanghai', '2024年度', '20000.00', [('pension', '20000.00', '3200.00', '1600.00'), ('medical', '20000.00', '1800.00', '400.00'), ('unemployment', '20000.00', '100.00', '100.00'), ('work_injury', '20000.00', '32.00', '0.00'), ('housing_fund', '20000.00', '1000.00', '1000.00')]),
    ('shanghai', '2024年度', '50000.00', [('pension', '36921.00', '5907.36', '2953.68'), ('medical', '36921.00', '3322.89', '738.42'), ('unemployment', '36921.00', '184.61', '184.61'), ('work_injury', '36921.00', '59.07', '0.00'), ('housing_fund', '36921.00', '1846.00', '1846.00')]),
    ('shanghai', '2025年度', '2000.00', [('pension', '7460.00', '1193.60', '596.80'), ('medical', '7460.00', '671.40', '149.20'), ('unemployment', '7460.00', '37.30', '37.30'), ('work_injury', '7460.00', '11.94', '0.00'), ('housing_fund', '2690.00', '135.00', '135.00')]),
    ('shanghai', '2025年度', '20000.00', [('pension', '20000.00', '3200.00', '1600.00'), ('medical', '20000.00', '1800.00', '400.00'), ('unemployment', '20000.00', '100.00', '100.00'), ('work_injury', '20000.00', '32.00', '0.00'), ('housing_fund', '20000.00', '1000.00', '1000.00')]),
    ('shanghai', '2025年度', '50000.00', [('pension', '37302.00', '5968.32', '2984.16'), ('medical', '37302.00', '3357.18', '746.04'), ('unemployment', '37302.00', '186.51', '186.51'), ('work_injury', '37302.00', '59.68', '0.00'), ('housing_fund', '37302.00', '1865.00', '1865.00')]),
    ('shanghai', '2026年度', '2000.00', [('pension', '7546.00', '1207.36', '603.68'), ('medical', '7546.00', '679.14', '150.92'), ('unemployment', '7546.00', '37.73', '37.73'), ('work_injury', '7546.00', '12.07', '0.00'), ('housing_fund', '2740.00', '137.00', '137.00')]),
    ('shanghai', '2026年度', '20000.00', [('pension', '20000.00', '3200.00', '1600.00'), ('medical', '20000.00', '1800.00', '400.00'), ('unemployment', '20000.00', '100.00', '100.00'), ('work_injury', '20000.00', '32.00', '0.00'), ('housing_fund', '20000.00', '1000.00', '1000.00')]),
    ('shanghai', '2026年度', '50000.00', [('pension', '37731.00', '6036.96', '3018.48'), ('medical', '37731.00', '3395.79', '754.62'), ('unemployment', '37731.00', '188.66', '188.66'), ('work_injury', '37731.00', '60.37', '0.00'), ('housing_fund', '37731.00', '1887.00', '1887.00')]),
    ('guangzhou', '2025年度', '2000.00', [('pension', '5510.00', '881.60', '440.80'), ('medical', '6236.00', '333.63', '124.72'), ('unemployment', '2500.00', '20.00', '5.00'), ('work_injury', '2100.00', '4.20', '0.00'), ('housing_fund', '2500.00', '125.00', '125.00')]),
    ('guangzhou', '2025年度', '20000.00', [('pension', '20000.00', '3200.00', '1600.00'), ('medical', '20000.00', '1070.00', '400.00'), ('unemployment', '20000.00', '160.00', '40.00'), ('work_injury', '20000.00', '40.00', '0.00'), ('housing_fund', '20000.00', '1000.00', '1000.00')]),
    ('guangzhou', '2025年度', '50000.00', [('pension', '27549.00', '4407.84', '2203.92'), ('medical', '31179.00', '1668.08', '623.58'), ('unemployment', '41112.00', '328.90', '82.22'), ('work_injury', '50000.00', '100.00', '0.00'), ('housing_fund', '39828.00', '1991.00', '1991.00')]),
    ('shenzhen', '2025年度', '2000.00', [('pension', '4775.00', '764.00', '382.00'), ('medical', '6733.00', '336.65', '134.66'), ('maternity', '6733.00', '33.67', '0.00'), ('unemployment', '2520.00', '20.16', '5.04'), ('work_injury', '2520.00', '5.04', '0.00'), ('housing_fund', '2520.00', '126.00', '126.00')]),
    ('shenzhen', '2025年度', '20000.00', [('pension', '20000.00', '3200.00', '1600.00'), ('medical', '20000.00', '1000.00', '400.00'), ('maternity', '20000.00', '100.00', '0.00'), ('unemployment', '20000.00', '160.00', '40.00'), ('work_injury', '20000.00', '40.00', '0.00'), ('housing_fund', '20000.00', '1000.00', '1000.00')]),
    ('shenzhen', '2025年度', '50000.00', [('pension', '27549.00', '4407.84', '2203.92'), ('medical', '33666.00', '1683.30', '673.32'), ('maternity', '33666.00', '168.33', '0.00'), ('unemployment', '44265.00', '354.12', '88.53'), ('work_injury', '50000.00', '100.00', '0.00'), ('housing_fund', '44265.00', '2213.00', '2213.00')]),
    ('hangzhou', '2025', '2000.00', [('pension', '4986.00', '797.76', '398.88'), ('medical', '4986.00', '473.67', '99.72'), ('unemployment', '4986.00', '24.93', '24.93'), ('work_injury', '4986.00', '9.97', '0.00'), ('housing_fund', '2490.00', '125.00', '125.00')]),
    ('hangzhou', '2025', '20000.00', [('pension', '20000.00', '3200.00', '1600.00'), ('medical', '20000.00', '1900.00', '400.00'), ('unemployment', '20000.00', '100.00', '100.00'), ('work_injury', '20000.00', '40.00', '0.00'), ('housing_fund', '20000.00', '1000.00', '1000.00')]),
    ('hangzhou', '2025', '50000.00', [('pension', '25299.00', '4047.84', '2023.92'), ('medical', '25299.00', '2403.41', '505.98'), ('unemployment', '25299.00', '126.50', '126.50'), ('work_injury', '25299.00', '50.60', '0.00'), ('housing_fund', '40694.00', '2035.00', '2035.00')]),
]


def test_the_table_covers_every_policy_of_the_data_file():
    assert {(c, y) for c, y, _, _ in TABLE} == {(r.city, r.year) for r in RULES}
    assert len(TABLE) == 3 * len(RULES)


@pytest.mark.parametrize("city, year, wage, expected", TABLE)
def test_contributions_match_hand_figures(city, year, wage, expected):
    result = engine.contribution_for(rule(city, year), D(wage))

    got = [(a.kind, str(a.base), str(a.employer), str(a.employee)) for a in result.items]
    assert got == expected
    assert result.employer_total == sum(D(e[2]) for e in expected)
    assert result.employee_total == sum(D(e[3]) for e in expected)


def test_known_check_beijing_2024_wage_40000():
    result = engine.contribution_for(rule("beijing", "2024年度"), D("40000"), housing_fund_percent=D("12"))
    by = {a.kind: a for a in result.items}

    assert by["pension"].base == D("35283.00")
    assert by["pension"].employer == D("5645.28")
    assert by["medical"].employer == D("3457.73")
    assert by["medical"].employer_precise == D("3457.7340")
    assert by["unemployment"].employer == D("176.42")
    assert by["unemployment"].employer_precise == D("176.4150")
    assert by["housing_fund"].employer == by["housing_fund"].employee == D("4234.00")
    assert by["housing_fund"].employer_precise == D("4233.9600")


def test_known_check_shanghai_2025_housing_fund_limits_at_7_percent():
    policy = rule("shanghai", "2025年度")
    top = {a.kind: a for a in engine.contribution_for(policy, D("99999"), housing_fund_percent=D("7")).items}
    bottom = {a.kind: a for a in engine.contribution_for(policy, D("100"), housing_fund_percent=D("7")).items}

    assert top["housing_fund"].employer == top["housing_fund"].employee == D("2611.00")
    assert top["housing_fund"].employer + top["housing_fund"].employee == D("5222.00")
    assert bottom["housing_fund"].employer == bottom["housing_fund"].employee == D("188.00")
    assert bottom["housing_fund"].employer + bottom["housing_fund"].employee == D("376.00")


def test_work_injury_without_ceiling_is_not_clamped_above():
    # Guangzhou's work-injury base has a floor (2100) and no ceiling.
    by = {a.kind: a for a in engine.contribution_for(rule("guangzhou", "2025年度"), D("90000"), injury=D("1.40")).items}

    assert by["work_injury"].base == D("90000.00")
    assert by["work_injury"].employer == D("1260.00")
    assert by["pension"].base == D("27549.00")


def test_shenzhen_has_a_separate_maternity_item():
    kinds = [a.kind for a in engine.contribution_for(rule("shenzhen", "2025年度"), D("10000")).items]
    assert kinds == ["pension", "medical", "maternity", "unemployment", "work_injury", "housing_fund"]


@pytest.mark.parametrize("amount, mode, expected", [
    ("176.415", "fen_half_up", "176.42"),
    ("176.414", "fen_half_up", "176.41"),
    ("4233.96", "yuan_half_up_per_side", "4234.00"),
    ("4233.50", "yuan_half_up_per_side", "4234.00"),
    ("4233.49", "yuan_half_up_per_side", "4233.00"),
    ("12.35", "jiao_half_up", "12.40"),   # 到角
    ("12.34", "jiao_half_up", "12.30"),
    ("12.31", "jiao_up", "12.40"),        # 见分进角
    ("12.30", "jiao_up", "12.30"),
    ("12.3001", "jiao_up", "12.40"),
    ("12.349", "fen_down", "12.34"),      # 舍去
    ("12.39", "jiao_down", "12.30"),
    ("12.99", "yuan_down", "12.00"),
    ("-12.31", "jiao_up", "-12.40"),      # a refund rounds like its positive
    ("-176.415", "fen_half_up", "-176.42"),
])
def test_rounding_modes(amount, mode, expected):
    assert engine.round_amount(D(amount), mode) == D(expected)
    assert str(engine.round_amount(D(amount), mode)) == expected


@pytest.mark.parametrize("mode", ["", "fen", "half_up", "cent_half_up", "fen_half_even", "yuan_half_up_per_item"])
def test_unknown_rounding_modes_are_refused(mode):
    with pytest.raises(ValueError):
        engine.rounding_spec(mode)


def test_jiao_up_rounding_applies_per_side_and_keeps_the_precise_amount():
    item = ItemRule(kind="pension", base_floor=D("7384"), base_ceiling=D("36921"), employer_percent=D("16"),
                    employee_percent=D("8"), rounding="jiao_up")
    amount = engine.item_amount(item, D("10001.01"), D("16"), D("8"))

    assert amount.employer_precise == D("1600.1616")
    assert amount.employer == D("1600.20")
    assert amount.employee_precise == D("800.0808")
    assert amount.employee == D("800.10")


@pytest.mark.parametrize("percent, ok", [("5", True), ("12", True), ("4", False), ("13", False), ("7.5", False), ("12.00", True)])
def test_housing_fund_percent_must_be_a_whole_percent_in_range(percent, ok):
    policy = rule("beijing", "2024年度")
    if ok:
        engine.contribution_for(policy, D("10000"), housing_fund_percent=D(percent))
    else:
        with pytest.raises(PolicyError) as exc:
            engine.contribution_for(policy, D("10000"), housing_fund_percent=D(percent))
        assert exc.value.field == "housing_fund_percent"


def test_housing_fund_percent_may_be_fractional_where_the_city_does_not_require_whole():
    by = {a.kind: a for a in engine.contribution_for(rule("shenzhen", "2025年度"), D("10000"), housing_fund_percent=D("7.5")).items}
    assert by["housing_fund"].employer == D("750.00")


@pytest.mark.parametrize("rate, ok", [("0.20", True), ("1.90", True), ("0.19", False), ("1.91", False)])
def test_injury_rate_within_employer_range(rate, ok):
    policy = rule("beijing", "2024年度")
    if ok:
        by = {a.kind: a for a in engine.contribution_for(policy, D("10000"), injury=D(rate)).items}
        assert by["work_injury"].employer_percent == D(rate)
    else:
        with pytest.raises(PolicyError) as exc:
            engine.contribution_for(policy, D("10000"), injury=D(rate))
        assert exc.value.field == "injury_rate"


@pytest.mark.parametrize("period, year", [
    ("2024-07", "2024年度"), ("2025-06", "2024年度"), ("2025-07", "2025年度"), ("2027-06", "2026年度"),
])
def test_policy_for_month_picks_the_version_in_force(period, year):
    assert engine.policy_for_month(RULES, "beijing", period).year == year


@pytest.mark.parametrize("city, period, field", [
    ("beijing", "2024-06", "month"), ("beijing", "2027-07", "month"), ("wuhan", "2025-01", "city"),
    ("beijing", "2025-13", "month"), ("beijing", "2025-1", "month"), ("beijing", "202501", "month"),
])
def test_policy_for_month_refusals(city, period, field):
    with pytest.raises(PolicyError) as exc:
        engine.policy_for_month(RULES, city, period)
    assert exc.value.field == field


@pytest.mark.parametrize("value, ok", [
    ("40000", True), ("40000.5", True), ("40000.55", True), (40000, True), ("0", True),
    ("40000.555", False), ("-1", False), ("四万", False), ("", False), ("1e5", False), (40000.5, False),
    (None, False), (True, False), ("NaN", False),
])
def test_parse_wage(value, ok):
    if ok:
        assert engine.parse_wage(value) == D(str(value))
    else:
        with pytest.raises(PolicyError):
            engine.parse_wage(value)


@pytest.mark.parametrize("number, ok", [
    ("11010519491231002X", True),
    ("110105194912310021", False),   # wrong check character
    ("11010519491331002X", False),   # month 13
    ("11010519491231002x", False),   # lower-case x is normalised before validation, not here
    ("1101051949123100", False),
    ("440524188001010014", False),   # born before 1900
])
def test_identity_number_checksum(number, ok):
    assert engine.identity_number_valid(number) is ok


def test_mask_identity():
    assert engine.mask_identity("11010519491231002X") == "110***********002X"


def test_months():
    assert engine.add_months("2025-12", 1) == "2026-01"
    assert engine.add_months("2025-01", -1) == "2024-12"
    assert engine.months_between("2025-11", "2026-02") == 3


@pytest.mark.parametrize("mode, words", [
    ("fen_half_up", "四舍五入到分"),
    ("jiao_up", "见分进角"),
    ("jiao_half_up", "四舍五入到角"),
    ("yuan_down", "舍去到元"),
    ("yuan_half_up_per_side", "四舍五入到元(单位、个人分别计算)"),
    ("bogus", ""),
])
def test_rounding_modes_in_words(mode, words):
    from social_insurance.engine import rounding_words

    assert rounding_words(mode) == words
