"""Bonus rules do not stack (the review of 2026-12-05): a department has one bonus rule at a time,
a rule never reaches back into a cycle whose bonuses are computed or which is finalised, targets
and thresholds are never negative, and two rules read differently — through the API and the
pages alike (the same service). A compute never pays a department twice, even from rules stored
before these checks."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from performance import engine, services
from performance.models import BonusLine, BonusRule
from tests.conftest import in_branch
from tests.performance.conftest import BJ
from tests.performance.test_bonuses_api import FINANCE_RULE, HR_RULE
from tests.performance.test_survey_review_pages import TIED_SHARE_FORM

pytestmark = pytest.mark.django_db

NEW_FORM = "/b/bj/performance/bonus-rules/new/linked-factor/"
# The review's form: the demo rule's terms once more (财务部 ← 理赔部)
SAME_TERMS = {"department": "finance", "linked_department": "claims", "linked_metric": "claim_days",
              "linked_target": "2", "own_metric": "payment_days", "bands": "1:120, 2:100", "over_percent": "80",
              "miss_penalty_points": "10"}


def browser(user, language: str = "") -> Client:
    c = Client()
    c.force_login(user)
    if language:
        c.post("/i18n/setlang/", {"language": language, "next": "/b/bj/"})
    return c


def rules_and_history() -> tuple[list[tuple[str, int]], int]:
    with in_branch("bj"):
        return (sorted(BonusRule.objects.values_list("code", "version")), BonusRule.history.count())


@pytest.fixture
def finance_rule(api, org):
    assert api(org.hr).post(BJ + "bonus-rules/", FINANCE_RULE, format="json").status_code == 201


def computed_bonuses(api, org, period: str) -> int:
    """A cycle whose finance bonus is computed (claims 1.8 days, payment 0.9 days → 120%)."""
    hr = api(org.hr)
    cycle = hr.post(BJ + "cycles/", {"period": period}, format="json").json()["id"]
    hr.post(BJ + f"cycles/{cycle}/bonus-bases/", {"department": "finance", "amount": "10000.00"}, format="json")
    hr.post(BJ + "values/", {"period": period, "rows": [
        {"metric": "claim_days", "department": "claims", "value": "1.8"},
        {"metric": "payment_days", "department": "finance", "value": "0.9"}]}, format="json")
    resp = api(org.boss).post(BJ + f"cycles/{cycle}/bonuses/")
    assert resp.status_code == 200, resp.content
    return cycle


# ---------------------------------------------------------------------------------------------
# One rule per department
# ---------------------------------------------------------------------------------------------
def test_the_same_terms_again_on_the_page_are_refused_and_point_to_a_new_version(org, finance_rule):
    before = rules_and_history()
    for day in ("2027-01-01", "2026-01-01"):
        resp = browser(org.hr).post(NEW_FORM, {**SAME_TERMS, "effective_from": day})
        html = resp.content.decode()
        assert resp.status_code == 400, day
        assert ("财务部已有奖金规则“财务部随理赔部联动奖金(第1版,2026年1月1日起)”:同一部门同时只能有一条奖金规则"
                "(每条规则都按部门的全部奖金基数计发,两条会重复发放)。如需改变,请为该规则新增版本。") in html
        with in_branch("bj"):
            v1 = BonusRule.objects.get(code="finance-claims")
        assert f'href="/b/bj/performance/bonus-rules/{v1.pk}/versions/new/"' in html
        assert "finance-claims" not in html and "bonus-2" not in html
    assert rules_and_history() == before  # nothing written, nothing audited

    html = browser(org.hr, "en").post(NEW_FORM, {**SAME_TERMS, "effective_from": "2027-01-01"}).content.decode()
    assert ("财务部 already has a bonus rule, “财务部 bonus linked to 理赔部 (version 1, from Jan. 1, 2026)”: a "
            "department has one bonus rule at a time (each rule pays the department&#x27;s whole base bonus, so two "
            "would pay it twice). To change it, add a new version of that rule.") in html
    assert "Add a new version of this rule" in html and "已有奖金规则" not in html


def test_the_same_terms_again_through_the_api_are_refused_and_name_the_code(api, org, finance_rule):
    before = rules_and_history()
    resp = api(org.hr).post(BJ + "bonus-rules/", {**FINANCE_RULE, "code": "bonus-6"}, format="json")
    assert resp.status_code == 400
    body = resp.json()
    assert body["department"][0].startswith("财务部已有奖金规则“财务部随理赔部联动奖金(第1版,2026年1月1日起)”")
    assert body["code"] == ["财务部的奖金规则编码为“finance-claims”:以该编码提交即为它的新版本。"]
    assert rules_and_history() == before


@pytest.mark.parametrize("change", [
    {"linked_department": "si"},  # another linked department: the whole base would still be paid twice
    {"kind": "tied_share", "params": HR_RULE["params"]},  # another kind for the same department
    {"effective_from": "2099-12-01"},  # only from a later day: the first rule is still in force then
])
def test_any_second_rule_for_a_department_is_refused(api, org, finance_rule, change):
    before = rules_and_history()
    resp = api(org.hr).post(BJ + "bonus-rules/", {**FINANCE_RULE, "code": "finance-again", **change}, format="json")
    assert resp.status_code == 400 and resp.json()["department"][0].startswith("财务部已有奖金规则")
    assert rules_and_history() == before


def test_a_second_tied_share_rule_is_refused_too(api, org):
    hr = api(org.hr)
    assert hr.post(BJ + "bonus-rules/", HR_RULE, format="json").status_code == 201
    resp = hr.post(BJ + "bonus-rules/", {**HR_RULE, "code": "hr-again", "linked_department": "claims"}, format="json")
    assert resp.status_code == 400
    assert resp.json()["department"][0].startswith("人事部已有奖金规则“人事部奖金挂钩社保部结果(第1版,2026年1月1日起)”")
    # another department's rule is fine
    assert hr.post(BJ + "bonus-rules/", FINANCE_RULE, format="json").status_code == 201


def test_a_change_is_a_new_version_which_stays_the_departments(api, org, finance_rule):
    hr = api(org.hr)
    resp = hr.post(BJ + "bonus-rules/", {**FINANCE_RULE, "department": "hr"}, format="json")
    assert resp.status_code == 400
    assert resp.json() == {"department": ["新版本须仍是财务部的奖金规则;其他部门的奖金请新增规则。"]}
    resp = hr.post(BJ + "bonus-rules/", {**FINANCE_RULE, "effective_from": "2027-01-01"}, format="json")
    assert resp.status_code == 201 and resp.json()["version"] == 2
    with in_branch("bj"):
        v2 = BonusRule.objects.get(code="finance-claims", version=2)
        record = BonusRule.history.get(id=v2.pk)
    assert (record.history_user_id, record.history_change_reason) == (org.hr.pk, "bonus rule finance-claims v2")


def test_the_version_form_keeps_the_department(org, finance_rule):
    with in_branch("bj"):
        v1 = BonusRule.objects.get(code="finance-claims")
    url = f"/b/bj/performance/bonus-rules/{v1.pk}/versions/new/"
    form = browser(org.boss).get(url).content.decode()
    assert 'name="department"' in form and "disabled" in form[form.index('name="department"') - 200:
                                                                 form.index('name="department"') + 200]
    resp = browser(org.boss).post(url, {**SAME_TERMS, "department": "hr", "effective_from": "2027-01-01"})
    assert resp.status_code == 302
    with in_branch("bj"):
        v2 = BonusRule.objects.get(code="finance-claims", version=2)
    assert v2.department.code == "finance"


# ---------------------------------------------------------------------------------------------
# Effective dates: no reaching back into computed or finalised cycles, nothing absurd
# ---------------------------------------------------------------------------------------------
def test_an_absurd_effective_date_is_refused(api, org):
    resp = browser(org.hr).post(NEW_FORM, {**SAME_TERMS, "effective_from": "0001-01-01"})
    assert resp.status_code == 400 and "生效日期须在2000年到2099年之间:0001-01-01。" in resp.content.decode()
    resp = api(org.hr).post(BJ + "bonus-rules/", {**FINANCE_RULE, "effective_from": "0001-01-01"}, format="json")
    assert resp.status_code == 400
    assert resp.json() == {"effective_from": ["生效日期须在2000年到2099年之间:0001-01-01。"]}
    html = browser(org.hr, "en").post(NEW_FORM, {**SAME_TERMS, "effective_from": "0001-01-01"}).content.decode()
    assert "The effective date must be in the years 2000 to 2099: 0001-01-01." in html
    assert rules_and_history() == ([], 0)


def test_a_rule_cannot_reach_back_into_a_cycle_whose_bonuses_are_computed(api, org, finance_rule):
    cycle = computed_bonuses(api, org, "2026-11")
    with in_branch("bj"):
        lines = list(BonusLine.objects.filter(cycle_id=cycle).values_list("department__code", "amount"))
    assert lines == [("finance", Decimal("12000.00"))]
    before = rules_and_history()
    hr = api(org.hr)
    for day in ("2020-01-01", "2026-11-30"):
        resp = hr.post(BJ + "bonus-rules/", {**HR_RULE, "effective_from": day}, format="json")  # another department
        assert resp.status_code == 400, day
        assert resp.json() == {"effective_from": [
            "2026年11月考核周期的奖金已经计算,新的规则或版本不能追溯到该周期:生效日期须在2026年12月1日或以后。"]}
        resp = hr.post(BJ + "bonus-rules/", {**FINANCE_RULE, "effective_from": day,  # a new version
                                              "params": {**FINANCE_RULE["params"], "miss_penalty_points": "20"}},
                       format="json")
        assert resp.status_code == 400 and list(resp.json()) == ["effective_from"], day
    # the same on the page, with the review's terms as a new rule: both reasons at once
    html = browser(org.hr).post(NEW_FORM, {**SAME_TERMS, "effective_from": "2020-01-01"}).content.decode()
    assert "2026年11月考核周期的奖金已经计算" in html and "财务部已有奖金规则" in html
    html = browser(org.hr, "en").post(NEW_FORM, {**SAME_TERMS, "effective_from": "2020-01-01"}).content.decode()
    assert ("The bonuses of the November 2026 cycle are already computed and a new rule or version cannot reach "
            "back into it: the effective date must be Dec. 1, 2026 or later.") in html
    assert rules_and_history() == before
    # recomputing the cycle gives what it gave
    assert [(x["department"], x["amount"]) for x in api(org.boss).post(BJ + f"cycles/{cycle}/bonuses/").json()] == [
        ("finance", "12000.00")]
    # from the day after the cycle on, a new version is fine
    assert hr.post(BJ + "bonus-rules/", {**FINANCE_RULE, "effective_from": "2026-12-01"},
                   format="json").status_code == 201


def test_a_finalised_cycle_blocks_the_days_it_covers(api, org, finance_rule):
    hr = api(org.hr)
    cycle = hr.post(BJ + "cycles/", {"period": "2026-09"}, format="json").json()["id"]
    with in_branch("bj"):
        services.cycle_compute(cycle_id=cycle)
        services.cycle_finalise(actor=org.boss, cycle_id=cycle)
    resp = hr.post(BJ + "bonus-rules/", {**HR_RULE, "effective_from": "2026-09-15"}, format="json")
    assert resp.status_code == 400
    assert resp.json() == {"effective_from": ["2026年9月考核周期已定稿,不能改写:生效日期须在2026年10月1日或以后。"]}
    assert hr.post(BJ + "bonus-rules/", {**HR_RULE, "effective_from": "2026-10-01"}, format="json").status_code == 201


def test_a_cycle_with_scores_but_no_bonuses_yet_does_not_block(api, org):
    """Scores computed (待审核) and bonuses not: a rule made now changes no figure anyone has seen."""
    hr = api(org.hr)
    cycle = hr.post(BJ + "cycles/", {"period": "2026-03"}, format="json").json()["id"]
    with in_branch("bj"):
        services.cycle_compute(cycle_id=cycle)
    assert hr.post(BJ + "bonus-rules/", FINANCE_RULE, format="json").status_code == 201


# ---------------------------------------------------------------------------------------------
# Terms: never negative, percentages and rates within bounds
# ---------------------------------------------------------------------------------------------
def test_negative_terms_on_the_page_are_refused_field_by_field(org):
    resp = browser(org.hr).post(NEW_FORM, {**SAME_TERMS, "effective_from": "2027-01-01", "linked_target": "-5",
                                           "bands": "-1:50", "over_percent": "301"})
    html = resp.content.decode()
    assert resp.status_code == 400
    assert 'data-field="linked_target">不能为负数。' in html
    assert 'data-field="bands">档位的值不能为负数。' in html
    assert 'data-field="over_percent">比例须在0%到300%之间。' in html
    html = browser(org.hr, "en").post(NEW_FORM, {**SAME_TERMS, "effective_from": "2027-01-01",
                                                 "linked_target": "-5", "bands": "-1:50"}).content.decode()
    assert 'data-field="linked_target">Must not be negative.' in html
    assert 'data-field="bands">Band values must not be negative.' in html
    assert rules_and_history() == ([], 0)


def test_tied_share_terms_on_the_page_stay_within_their_measures(org):
    resp = browser(org.boss).post("/b/bj/performance/bonus-rules/new/tied-share/", {
        **TIED_SHARE_FORM, "gate_target": "120", "gate_points": "-20", "rate_target": "-1", "cap_percent": "500"})
    html = resp.content.decode()
    assert resp.status_code == 400
    assert 'data-field="gate_target">新员工到岗率(%)最高为100,该值不能超过100。' in html
    assert 'data-field="gate_points">不能为负数。' in html and 'data-field="rate_target">不能为负数。' in html
    assert 'data-field="cap_percent">比例须在0%到300%之间。' in html
    assert rules_and_history() == ([], 0)


@pytest.mark.parametrize("params, message", [
    ({**FINANCE_RULE["params"], "linked_target": "-5"}, "挂钩部门目标(linked_target)不能为负数:-5。"),
    ({**FINANCE_RULE["params"], "bands": [{"max": "-1", "percent": "50"}, {"max": None, "percent": "80"}]},
     "档位上限(max)不能为负数:-1。"),
    ({**FINANCE_RULE["params"], "bands": [{"max": "1", "percent": "-10"}, {"max": None, "percent": "80"}]},
     "档位比例须在0到300之间。"),
    ({**HR_RULE["params"], "gate_points": "-20"}, "达标得分(gate_points)不能为负数:-20。"),
    ({**HR_RULE["params"], "rate_target": "-1"}, "加分起点(rate_target)不能为负数:-1。"),
    ({**HR_RULE["params"], "cap_percent": "500"}, "挂钩部分最高发放比例(cap_percent)须在0到300之间。"),
    ({**HR_RULE["params"], "gate_target": "120"}, "gate_target 须在0到100之间(新员工到岗率(%)的取值范围):120。"),
])
def test_negative_or_out_of_range_terms_through_the_api_are_refused(api, org, params, message):
    rule = HR_RULE if "share_percent" in params else FINANCE_RULE
    resp = api(org.hr).post(BJ + "bonus-rules/", {**rule, "params": params}, format="json")
    assert resp.status_code == 400 and resp.json() == {"params": [message]}
    assert rules_and_history() == ([], 0)


# ---------------------------------------------------------------------------------------------
# A compute never pays a department twice (rules stored before these checks)
# ---------------------------------------------------------------------------------------------
def test_stacked_rules_from_before_pay_the_department_once(api, org, finance_rule):
    hr = api(org.hr)
    cycle = hr.post(BJ + "cycles/", {"period": "2026-11"}, format="json").json()["id"]
    with in_branch("bj"):
        v1 = BonusRule.objects.get(code="finance-claims")
        # what the unchecked form stored: the same terms as new rules, back-dated
        for code, day in (("bonus-6", dt.date(2000, 1, 1)), ("bonus-7", dt.date(2020, 1, 1))):
            BonusRule.objects.create(code=code, version=1, kind=v1.kind, department=v1.department,
                                     linked_department=v1.linked_department, effective_from=day, params=v1.params)
    hr.post(BJ + f"cycles/{cycle}/bonus-bases/", {"department": "finance", "amount": "10000.00"}, format="json")
    hr.post(BJ + "values/", {"period": "2026-11", "rows": [
        {"metric": "claim_days", "department": "claims", "value": "1.8"},
        {"metric": "payment_days", "department": "finance", "value": "0.9"}]}, format="json")
    lines = api(org.boss).post(BJ + f"cycles/{cycle}/bonuses/").json()
    # one line of 12,000.00, not three (36,000 from a base of 10,000): the rule that took effect last
    assert [(x["department"], x["rule"], x["amount"]) for x in lines] == [("finance", "finance-claims", "12000.00")]
    page = browser(org.hr).get("/b/bj/performance/bonus-rules/").content.decode()
    in_force = page[:page.index("其他版本")]
    assert in_force.count("财务部随理赔部联动奖金") == 1
    # the stored ones read apart by the day they took effect
    assert "财务部随理赔部联动奖金(第1版,2000年1月1日起)" in page and "财务部随理赔部联动奖金(第1版,2020年1月1日起)" in page


def test_the_database_refuses_a_second_line_for_a_department(api, org, finance_rule):
    cycle = computed_bonuses(api, org, "2026-03")
    with in_branch("bj"):
        line = BonusLine.objects.get(cycle_id=cycle)
        other = BonusRule.objects.create(code="bonus-6", version=1, kind=line.rule.kind, department=line.department,
                                         linked_department=line.rule.linked_department,
                                         effective_from=dt.date(2020, 1, 1), params=line.rule.params)
        with pytest.raises(IntegrityError, match="one bonus line per cycle"), transaction.atomic():
            BonusLine.objects.create(cycle_id=cycle, rule=other, department_id=line.department_id,
                                     base_amount=line.base_amount, inputs={}, factor=line.factor,
                                     amount=line.amount, explanation_zh="x", explanation_en="x")
        assert BonusLine.objects.filter(cycle_id=cycle).count() == 1


# ---------------------------------------------------------------------------------------------
# The engine's rules
# ---------------------------------------------------------------------------------------------
def ref(id, code, version, dept, day):
    return engine.RuleRef(id, code, version, dept, dt.date.fromisoformat(day))


def test_engine_keeps_one_rule_per_department():
    rules = [ref(1, "finance-claims", 1, 3, "2026-01-01"), ref(2, "finance-claims", 2, 3, "2026-06-01"),
             ref(3, "bonus-6", 1, 3, "2000-01-01"), ref(4, "bonus-7", 1, 3, "2026-01-01"),
             ref(5, "hr-new-hires", 1, 4, "2026-01-01")]
    assert [r.id for r in engine.rules_in_force(rules, dt.date(2025, 12, 31))] == [3]
    # same day: the later-created wins; later versions of a code replace earlier ones
    assert [r.id for r in engine.rules_in_force(rules, dt.date(2026, 3, 31))] == [4, 5]
    assert [r.id for r in engine.rules_in_force(rules, dt.date(2026, 6, 30))] == [2, 5]


def test_engine_finds_another_rule_for_the_department_on_any_later_day():
    rules = [ref(1, "finance-claims", 1, 3, "2026-01-01"), ref(5, "hr-new-hires", 1, 4, "2027-06-01")]
    assert engine.department_rule_conflict(rules, ref(0, "new", 1, 3, "2030-01-01")).id == 1
    assert engine.department_rule_conflict(rules, ref(0, "new", 1, 3, "2020-01-01")).id == 1
    assert engine.department_rule_conflict(rules, ref(0, "finance-claims", 2, 3, "2020-01-01")) is None
    assert engine.department_rule_conflict(rules, ref(0, "new", 1, 4, "2027-01-01")).id == 5  # hr from 2027-06
    assert engine.department_rule_conflict(rules, ref(0, "new", 1, 2, "2027-01-01")) is None
