"""Linked bonuses through the API: 理赔 → 财务 120/100/80 and −10 points; HR's 30% tied share."""
from __future__ import annotations

import pytest

from performance.models import BonusLine, BonusRule
from tests.conftest import in_branch
from tests.json_numbers import N, post_json, refusal
from tests.performance.conftest import BJ

pytestmark = pytest.mark.django_db

FINANCE_RULE = {
    "code": "finance-claims", "kind": "linked_factor", "department": "finance", "linked_department": "claims",
    "effective_from": "2026-01-01",
    "params": {"linked_metric": "claim_days", "own_metric": "payment_days", "linked_target": "2",
               "bands": [{"max": "1", "percent": "120"}, {"max": "2", "percent": "100"}, {"max": None, "percent": "80"}],
               "miss_penalty_points": "10"},
}
HR_RULE = {
    "code": "hr-new-hires", "kind": "tied_share", "department": "hr", "linked_department": "si",
    "effective_from": "2026-01-01",
    "params": {"gate_metric": "new_hire_arrival_rate", "rate_metric": "new_hire_achievement_rate",
               "share_percent": "30", "gate_target": "95", "gate_points": "20", "rate_target": "80",
               "points_per_percent": "1", "full_points": "20", "cap_percent": "150"},
}


@pytest.fixture
def cycle(api, org):
    return api(org.hr).post(BJ + "cycles/", {"period": "2026-03"}, format="json").json()["id"]


def run_finance(api, org, cycle, claim_days, payment_days):
    hr = api(org.hr)
    assert hr.post(BJ + "bonus-rules/", FINANCE_RULE, format="json").status_code == 201
    assert hr.post(BJ + f"cycles/{cycle}/bonus-bases/", {"department": "finance", "amount": "10000.00"},
                   format="json").status_code == 200
    resp = hr.post(BJ + "values/", {"period": "2026-03", "rows": [
        {"metric": "claim_days", "department": "claims", "value": claim_days},
        {"metric": "payment_days", "department": "finance", "value": payment_days}]}, format="json")
    assert resp.status_code == 200, resp.content
    resp = api(org.boss).post(BJ + f"cycles/{cycle}/bonuses/")
    assert resp.status_code == 200, resp.content
    [line] = resp.json()
    return line


@pytest.mark.parametrize("claim_days, payment_days, factor, amount", [
    ("1.80", "0.80", "120.00", "12000.00"),   # claims met, paid within 1 day
    ("2.00", "1.00", "120.00", "12000.00"),   # bounds inclusive
    ("2.00", "1.50", "100.00", "10000.00"),   # 1–2 days
    ("1.00", "2.50", "80.00", "8000.00"),     # over 2 days
    ("2.50", "0.80", "110.00", "11000.00"),   # claims missed: 120% − 10 points
    ("3.00", "2.50", "70.00", "7000.00"),     # missed: 80% − 10 points
])
def test_finance_bonus_follows_claims(api, org, cycle, claim_days, payment_days, factor, amount):
    line = run_finance(api, org, cycle, claim_days, payment_days)
    assert (line["department"], line["factor"], line["amount"], line["base_amount"]) == ("finance", factor, amount, "10000.00")
    assert (line["rule"], line["rule_version"]) == ("finance-claims", 1)
    assert line["inputs"]["penalty_points"] == ("0" if float(claim_days) <= 2 else "10")
    assert line["explanation_zh"].startswith("财务部随理赔部联动奖金(第1版): 关联部门实际")
    assert line["explanation_en"].endswith(f"= {amount}")


def test_explanation_of_the_missed_case(api, org, cycle):
    line = run_finance(api, org, cycle, "2.50", "0.80")
    assert line["explanation_zh"] == ("财务部随理赔部联动奖金(第1版): 关联部门实际2.5>目标2(未达标),在本部门档位120%基础上扣减10个百分点;"
                                      "奖金 10000×110% = 11000.00")
    assert line["inputs"] == {"linked_actual": "2.5", "linked_target": "2", "own_actual": "0.8", "band_percent": "120",
                              "penalty_points": "10", "rule": "finance-claims", "rule_version": 1}


def test_hr_thirty_percent_tied_to_new_hire_results(api, org, cycle):
    hr = api(org.hr)
    assert hr.post(BJ + "bonus-rules/", HR_RULE, format="json").status_code == 201
    hr.post(BJ + f"cycles/{cycle}/bonus-bases/", {"department": "hr", "amount": "10000.00"}, format="json")
    hr.post(BJ + "values/", {"period": "2026-03", "rows": [
        {"metric": "new_hire_arrival_rate", "department": "si", "value": "96"},
        {"metric": "new_hire_achievement_rate", "department": "si", "value": "85.5"}]}, format="json")
    [line] = api(org.boss).post(BJ + f"cycles/{cycle}/bonuses/").json()
    # 70% untied = 7000; tied 30% = 3000 at (20 + 5) / 20 = 125% = 3750
    assert (line["factor"], line["amount"]) == ("107.50", "10750.00")
    assert line["inputs"]["points"] == "25"
    assert "挂钩部分按125%发放" in line["explanation_zh"]
    assert "tied 30% paid at 125%" in line["explanation_en"]


def test_a_rule_change_is_a_new_version_and_the_cycle_uses_the_one_in_force(api, org, cycle):
    hr = api(org.hr)
    hr.post(BJ + "bonus-rules/", FINANCE_RULE, format="json")
    later = {**FINANCE_RULE, "effective_from": "2026-04-01",
             "params": {**FINANCE_RULE["params"], "miss_penalty_points": "20"}}
    resp = hr.post(BJ + "bonus-rules/", later, format="json")
    assert resp.status_code == 201 and resp.json()["version"] == 2
    line = run_finance_again(api, org, cycle)
    assert (line["rule_version"], line["factor"]) == (1, "110.00")  # March uses v1


def run_finance_again(api, org, cycle):
    hr = api(org.hr)
    hr.post(BJ + f"cycles/{cycle}/bonus-bases/", {"department": "finance", "amount": "10000.00"}, format="json")
    hr.post(BJ + "values/", {"period": "2026-03", "rows": [
        {"metric": "claim_days", "department": "claims", "value": "2.5"},
        {"metric": "payment_days", "department": "finance", "value": "0.8"}]}, format="json")
    return api(org.boss).post(BJ + f"cycles/{cycle}/bonuses/").json()[0]


def test_recomputing_bonuses_does_not_duplicate_lines(api, org, cycle):
    run_finance(api, org, cycle, "1", "1")
    api(org.hr).post(BJ + f"cycles/{cycle}/bonuses/")
    with in_branch("bj"):
        assert BonusLine.objects.filter(cycle_id=cycle).count() == 1


@pytest.mark.parametrize("change, field", [
    ({"params": {**FINANCE_RULE["params"], "linked_metric": "claims_speed"}}, "params"),
    ({"params": {**FINANCE_RULE["params"], "bands": [{"max": "1", "percent": "120"}]}}, "params"),
    ({"linked_department": "finance"}, "linked_department"),
    ({"linked_department": "nowhere"}, "linked_department"),
    ({"kind": "magic"}, "kind"),
])
def test_bad_rules_are_refused_and_nothing_is_written(api, org, change, field):
    resp = api(org.hr).post(BJ + "bonus-rules/", {**FINANCE_RULE, **change}, format="json")
    assert resp.status_code == 400 and resp.json()[field]
    with in_branch("bj"):
        assert BonusRule.objects.count() == 0


def test_missing_inputs_are_refused_clearly(api, org, cycle):
    hr = api(org.hr)
    hr.post(BJ + "bonus-rules/", FINANCE_RULE, format="json")
    hr.post(BJ + f"cycles/{cycle}/bonus-bases/", {"department": "finance", "amount": "10000.00"}, format="json")
    resp = api(org.boss).post(BJ + f"cycles/{cycle}/bonuses/")
    assert resp.status_code == 400
    # the rule and the figures by name, never by code (finance-claims v1, claim_days)
    assert resp.json()["inputs"][0] == "财务部随理赔部联动奖金(第1版,2026年1月1日起): 缺少 理赔处理天数(理赔部)或 付款处理天数(财务部)的本期数值。"
    with in_branch("bj"):
        assert BonusLine.objects.count() == 0


def test_bonuses_are_for_hr_only(api, org, cycle):
    assert api(org.managers["finance"]).post(BJ + "bonus-rules/", FINANCE_RULE, format="json").status_code == 403
    assert api(org.managers["finance"]).get(BJ + f"cycles/{cycle}/bonuses/").status_code == 403
    with in_branch("bj"):
        assert BonusRule.objects.count() == 0


@pytest.mark.parametrize("literal", ["10000", "10000.5", "1e4", "true"])
def test_a_bonus_base_sent_as_a_json_number_is_refused_and_nothing_is_written(api, org, cycle, literal):
    from performance.models import BonusBase

    hr = api(org.hr)
    r = post_json(hr, BJ + f"cycles/{cycle}/bonus-bases/", {"department": "finance", "amount": N}, literal)

    assert r.status_code == 400 and r.json() == {"amount": [refusal()]}
    with in_branch("bj"):
        assert not BonusBase.objects.exists()
    r = post_json(hr, BJ + f"cycles/{cycle}/bonus-bases/", {"department": "finance", "amount": N}, '"10000.00"')
    assert r.status_code == 200 and r.json()["amount"] == "10000.00"
