"""Server-rendered pages: HR, managers and people see what they may, through the same services."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from performance import services
from performance.models import AppraisalCycle, Score
from tests.conftest import in_branch
from tests.performance.conftest import BJ, browser, indicator

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(api, org):
    api(org.hr).post(BJ + "templates/", {"code": "claims-kpi", "name": "理赔部", "department": "claims",
                                         "effective_from": "2026-01-01",
                                         "indicators": [indicator("days", "claim_days", 100, 2, direction="lower",
                                                                  name="理赔时效")]}, format="json")
    api(org.hr).post(BJ + "values/", {"period": "2026-03", "rows": [
        {"metric": "claim_days", "department": "claims", "value": "4"}]}, format="json")
    cycle_id = api(org.hr).post(BJ + "cycles/", {"period": "2026-03"}, format="json").json()["id"]
    with in_branch("bj"):
        services.cycle_compute(cycle_id=cycle_id)
        return cycle_id, {s.user_id: s.pk for s in Score.objects.filter(cycle_id=cycle_id)}


def test_branch_home_menu_has_performance(org):
    page = browser(org.hr).get("/b/bj/").content.decode()
    assert 'href="/b/bj/performance/"' in page


def test_hr_pages_list_templates_and_create_a_cycle(org, computed):
    hr = browser(org.hr)
    assert "理赔时效" in hr.get("/b/bj/performance/templates/").content.decode()
    resp = hr.post("/b/bj/performance/cycles/", {"period": "2026-04"})
    assert resp.status_code == 302 and resp["Location"] == "/b/bj/performance/cycles/"
    resp = hr.post("/b/bj/performance/cycles/", {"period": "2026-4"})
    assert resp.status_code == 200 and "期间格式须为" in resp.content.decode()
    with in_branch("bj"):
        assert AppraisalCycle.objects.count() == 2
    for page in ("/b/bj/performance/cycles/", "/b/bj/performance/"):  # periods in the locale's words
        html = hr.get(page).content.decode()
        assert ">2026年4月</a>" in html and ">2026-04</a>" not in html, page


def test_template_form_refuses_bad_weights(org):
    resp = browser(org.hr).post("/b/bj/performance/templates/new/", {
        "name": "x", "department": "cs", "effective_from": "2026-01-01",
        "ind-TOTAL_FORMS": "1", "ind-INITIAL_FORMS": "0", "ind-0-metric": "quality", "ind-0-weight": "90",
        "ind-0-target": "100", "ind-0-direction": "higher", "ind-0-formula": "linear"})
    assert resp.status_code == 400 and "指标权重合计须为100%,当前为90%。" in resp.content.decode()


def test_manager_reviews_adjusts_and_boss_finalises_on_pages(org, computed):
    cycle_id, scores = computed
    target = scores[org.members["claims"][0].pk]
    mgr = browser(org.managers["claims"])
    page = mgr.get(f"/b/bj/performance/cycles/{cycle_id}/").content.decode()
    assert page.count("/b/bj/performance/scores/") == 3
    resp = mgr.post(f"/b/bj/performance/scores/{target}/", {"total": "70", "note": "加班支援"})
    assert resp.status_code == 302
    with in_branch("bj"):
        assert Score.objects.get(pk=target).total == Decimal("70.00")
    boss = browser(org.boss)
    unticked = boss.post(f"/b/bj/performance/cycles/{cycle_id}/finalise/", follow=True).content.decode()
    assert "请勾选确认:定稿后分数不能再调整。" in unticked
    with in_branch("bj"):
        assert AppraisalCycle.objects.get(pk=cycle_id).status == "computed"
    resp = boss.post(f"/b/bj/performance/cycles/{cycle_id}/finalise/", {"confirm": "1"})
    assert resp.status_code == 302
    with in_branch("bj"):
        assert AppraisalCycle.objects.get(pk=cycle_id).status == "finalised"


def test_other_department_manager_gets_404_on_pages(org, computed):
    cycle_id, scores = computed
    target = scores[org.members["claims"][0].pk]
    cs = browser(org.managers["cs"])
    assert cs.get(f"/b/bj/performance/scores/{target}/").status_code == 404
    assert cs.post(f"/b/bj/performance/scores/{target}/", {"total": "1", "note": "x"}).status_code == 404
    assert "/b/bj/performance/scores/" not in cs.get(f"/b/bj/performance/cycles/{cycle_id}/").content.decode()
    assert cs.get("/b/bj/performance/templates/").status_code == 404
    with in_branch("bj"):
        assert Score.objects.get(pk=target).adjusted is False


def test_a_person_sees_their_own_score_and_what_drove_it(org, computed):
    page = browser(org.members["claims"][0]).get("/b/bj/performance/mine/").content.decode()
    page = re.sub(r' data-label="[^"]*"', "", page)  # the cells' phone labels aside
    assert "50.00" in page  # 2 / 4 days × 100
    assert "理赔时效: 实际4,目标≤2,得50分" in page


# ---------------------------------------------------------------------------------------------
# What people read: names not codes, the locale's periods and dates, counts without decimals,
# and texts that follow the reader's language
# ---------------------------------------------------------------------------------------------
def english(client: Client) -> Client:
    client.post("/i18n/setlang/", {"language": "en", "next": "/b/bj/"})
    return client


@pytest.fixture
def bonuses(api, org, computed):
    from tests.performance.test_bonuses_api import FINANCE_RULE, HR_RULE

    cycle_id, _scores = computed
    hr = api(org.hr)
    for rule in (FINANCE_RULE, HR_RULE):
        assert hr.post(BJ + "bonus-rules/", rule, format="json").status_code == 201
    for dept, amount in (("finance", "10000.00"), ("hr", "8000.00")):
        hr.post(BJ + f"cycles/{cycle_id}/bonus-bases/", {"department": dept, "amount": amount}, format="json")
    hr.post(BJ + "values/", {"period": "2026-03", "rows": [
        {"metric": "payment_days", "department": "finance", "value": "0.9"},
        {"metric": "claim_days", "department": "claims", "value": "1.8"},
        {"metric": "new_hire_arrival_rate", "department": "si", "value": "96"},
        {"metric": "new_hire_achievement_rate", "department": "si", "value": "85"}]}, format="json")
    assert hr.post(BJ + f"cycles/{cycle_id}/bonuses/").status_code == 200
    return cycle_id


def test_linked_bonuses_name_the_rule_and_format_the_amounts(org, bonuses):
    page = browser(org.boss).get(f"/b/bj/performance/cycles/{bonuses}/").content.decode()
    assert "2026年3月 考核结果" in page and "2026-03" not in page
    assert "财务部随理赔部联动奖金(第1版,2026年1月1日起)" in page and "人事部奖金挂钩社保部结果(第1版,2026年1月1日起)" in page
    assert "finance-claims" not in page and "hr-new-hires" not in page and " v1" not in page
    assert ("理赔部理赔处理天数 1.8 ≤ 目标 2(达标);财务部付款处理天数 0.9,对应 120%;"
            "奖金 10,000.00 × 120% = 12,000.00") in page
    # HR: 70% of 8,000 untied; the tied 2,400 at (20 + 5) / 20 = 125%
    assert "奖金 5,600.00 + 2,400.00 × 125% = 8,600.00" in page

    page = english(browser(org.boss)).get(f"/b/bj/performance/cycles/{bonuses}/").content.decode()
    assert "March 2026" in page and "(version 1, from Jan. 1, 2026)" in page
    assert "bonus 10,000.00 × 120% = 12,000.00" in page and "奖金" not in page


def test_score_history_uses_words_and_the_locales_time(org, computed):
    cycle_id, scores = computed
    target = scores[org.members["claims"][0].pk]
    mgr = browser(org.managers["claims"])
    assert mgr.post(f"/b/bj/performance/scores/{target}/", {"total": "70", "note": "加班支援"}).status_code == 302
    page = mgr.get(f"/b/bj/performance/scores/{target}/").content.decode()
    history = page[page.index('data-testid="score-history"'):]
    assert "adjusted:" not in page and "computed (before" not in page
    assert "经理调整 70" in history and "加班支援" in history and "计算得分 50" in history
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", history)
    assert "2026年3月" in page
    history = english(mgr).get(f"/b/bj/performance/scores/{target}/").content.decode()
    assert "Manager adjustment 70" in history and "Computed score 50" in history


def test_a_count_reads_as_a_whole_number_and_notes_follow_the_language(api, org):
    from tests.performance.conftest import indicator as ind

    api(org.hr).post(BJ + "templates/", {"code": "si-kpi", "name": "社保部", "department": "si",
                                         "effective_from": "2026-01-01",
                                         "indicators": [ind("open", "openings", 100, 3, name="开户数", formula="capped",
                                                            params={"cap": 120})]}, format="json")
    cycle_id = api(org.hr).post(BJ + "cycles/", {"period": "2026-03"}, format="json").json()["id"]
    with in_branch("bj"):
        services.cycle_compute(cycle_id=cycle_id)
    page = browser(org.members["si"][0]).get("/b/bj/performance/mine/").content.decode()
    page = re.sub(r' data-label="[^"]*"', "", page)  # the cells' phone labels aside
    assert '<td class="num">0</td><td class="num">3</td>' in page and "3.00" not in page
    assert "开户数: 实际0,目标≥3,得0分(上限120)" in page
    page = english(browser(org.members["si"][0])).get("/b/bj/performance/mine/").content.decode()
    page = re.sub(r' data-label="[^"]*"', "", page)  # the cells' phone labels aside
    assert "开户数: actual 0, target ≥ 3, scored 0 (max 120)" in page and "实际" not in page


def test_an_indicator_reads_by_its_english_name_on_english_pages(api, org):
    """An indicator's name is HR's words in Chinese; with an English name given (optional, in the
    API and the builder) English pages show it, and Chinese pages the Chinese one."""
    from tests.performance.conftest import indicator as ind

    body = {"code": "si-kpi", "name": "社保部", "department": "si", "effective_from": "2026-01-01",
            "indicators": [ind("open", "openings", 60, 3, name="开户数", name_en="Accounts opened", formula="capped",
                               params={"cap": 120}),
                           ind("quality", "quality", 40, 95, name="服务质量")]}
    created = api(org.hr).post(BJ + "templates/", body, format="json")
    assert created.status_code == 201, created.content
    assert [(i["name"], i["name_en"]) for i in created.json()["versions"][0]["indicators"]] == [
        ("开户数", "Accounts opened"), ("服务质量", "")]
    cycle_id = api(org.hr).post(BJ + "cycles/", {"period": "2026-03"}, format="json").json()["id"]
    with in_branch("bj"):
        services.cycle_compute(cycle_id=cycle_id)
    person = org.members["si"][0]
    page = browser(person).get("/b/bj/performance/mine/").content.decode()
    page = re.sub(r' data-label="[^"]*"', "", page)  # the cells' phone labels aside
    assert "<td>开户数</td>" in page and "开户数: 实际0,目标≥3,得0分(上限120)" in page
    page = english(browser(person)).get("/b/bj/performance/mine/").content.decode()
    page = re.sub(r' data-label="[^"]*"', "", page)  # the cells' phone labels aside
    assert "<td>Accounts opened</td>" in page and "Accounts opened: actual 0, target ≥ 3, scored 0 (max 120)" in page
    assert "开户数" not in page and "<td>服务质量</td>" in page  # no English name given: the name
    templates = english(browser(org.hr)).get("/b/bj/performance/templates/").content.decode()
    templates = re.sub(r' data-label="[^"]*"', "", templates)
    assert "<td>Accounts opened</td>" in templates and "开户数" not in templates
    with in_branch("bj"):
        score_id = Score.objects.get(cycle_id=cycle_id, user_id=person.pk).pk
    lines = api(person).get(BJ + f"scores/{score_id}/").json()["lines"]
    assert [(ln["name"], ln["name_en"]) for ln in lines] == [("开户数", "Accounts opened"), ("服务质量", "")]


@pytest.mark.parametrize("name_en", [["Accounts"], "A" * 101])
def test_a_bad_english_name_is_refused_and_nothing_is_written(api, org, name_en):
    from performance.models import KpiTemplate
    from tests.performance.conftest import indicator as ind

    body = {"code": "si-kpi", "name": "社保部", "department": "si", "effective_from": "2026-01-01",
            "indicators": [ind("open", "openings", 100, 3, name="开户数", name_en=name_en)]}
    r = api(org.hr).post(BJ + "templates/", body, format="json")
    assert r.status_code == 400 and r.json() == {"indicators": ["第1个指标的英文名称须为不超过 100 字的文字。"]}
    with in_branch("bj"):
        assert not KpiTemplate.objects.exists()


def test_risk_reasons_follow_the_language(org, computed):
    from performance.models import RiskFlag

    cycle_id, _scores = computed
    with in_branch("bj"):
        RiskFlag.objects.create(cycle_id=cycle_id, user_id=org.members["claims"][0].pk,
                                department=org.depts["claims"], level="medium", reasons=[
                                    {"code": "survey", "zh": "本人满意度调查平均5分(≤5)",
                                     "en": "own survey answers average 5 (≤ 5)"}])
    page = english(browser(org.boss)).get(f"/b/bj/performance/cycles/{cycle_id}/").content.decode()
    assert "own survey answers average 5 (≤ 5)" in page and "本人满意度" not in page


def test_a_score_says_what_it_is_out_of_in_both_languages(api, org):
    """An appraisal's score is read against its 满分: the weighted maximum of the template (a
    capped indicator may score up to its cap: 60% × 120 + 40% × 100 = 112), never a bare "/ 112.00"."""
    from tests.performance.conftest import indicator as ind

    api(org.hr).post(BJ + "templates/", {"code": "si-kpi", "name": "社保部", "department": "si",
                                         "effective_from": "2026-01-01",
                                         "indicators": [ind("open", "openings", 60, 3, name="开户数", formula="capped",
                                                            params={"cap": 120}),
                                                        ind("quality", "quality", 40, 95, name="服务质量")]},
                     format="json")
    person = org.members["si"][0]
    api(org.hr).post(BJ + "values/", {"period": "2026-03", "rows": [
        {"metric": "quality", "username": person.username, "value": "95"}]}, format="json")
    cycle_id = api(org.hr).post(BJ + "cycles/", {"period": "2026-03"}, format="json").json()["id"]
    with in_branch("bj"):
        services.cycle_compute(cycle_id=cycle_id)
        score = Score.objects.get(cycle_id=cycle_id, user=person)
    assert (score.total, score.max_total) == (Decimal("40.00"), Decimal("112.00"))

    url = f"/b/bj/performance/scores/{score.pk}/"
    page = browser(org.managers["si"]).get(url).content.decode()
    assert "计算得分 40.00(满分 112.00)" in page and "/ 112.00" not in page
    mine = browser(person).get("/b/bj/performance/mine/").content.decode()
    assert re.search(r'data-testid="score-total">40\.00</span>\s*<small[^>]*>满分 112\.00</small>', mine), mine

    page = english(browser(org.managers["si"])).get(url).content.decode()
    assert "Computed score 40.00 out of 112.00" in page and "/ 112.00" not in page and "满分" not in page
    mine = english(browser(person)).get("/b/bj/performance/mine/").content.decode()
    assert re.search(r'data-testid="score-total">40\.00</span>\s*<small[^>]*>out of 112\.00</small>', mine), mine
