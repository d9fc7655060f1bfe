"""Who reads what an award or a linked bonus comes to: an award (title, winner, department) is
recognition for every insider, its score or average only for those who read the scores it is made
of (as `…/scores/`); linked-bonus amounts are department pay, for managers and HQ only."""
from __future__ import annotations

import pytest

from performance.models import AppraisalCycle, Award, BonusLine
from tests.conftest import in_branch
from tests.factories import make_user
from tests.performance.conftest import BJ, browser

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org):
    """One of each role besides the organisation's own (specialists, branch staff, the manager)."""
    return {
        "marketing": make_user("p_mkt", ("bj", "marketing")),
        "sales": make_user("p_sales", ("bj", "sales")),
        "hq_finance": make_user("p_hqfin", (None, "hq_finance")),
        "hq_admin": make_user("p_hqadm", (None, "hq_admin")),
    }


@pytest.fixture
def awarded(api, org, quarter):
    from performance import services

    with in_branch("bj"):
        services.cycle_compute(cycle_id=quarter)
    assert api(org.boss).post(BJ + f"cycles/{quarter}/awards/").status_code == 200
    # names people read (the factory's display name is the username)
    org.members["cs"][1].display_name = "王芳"
    org.members["cs"][1].save(update_fields=["display_name"])
    return quarter


# no reviews: quality × 60% only → 客服部 54, 57, 48 (p_cs_2 the star); 理赔部 60, 60, 60 (best team)
STAR_SEEN = {"kind": "star", "title": "客服之星", "department": "cs", "department_name": "客服部",
             "username": "p_cs_2", "display_name": "王芳", "score": "57.00", "explanation": "客服部本季度最高得分57"}
BEST_SEEN = {"kind": "best_team", "title": "最佳团队", "department": "claims", "department_name": "理赔部",
             "username": None, "display_name": None, "score": "60.00", "explanation": "理赔部本季度平均得分60,为各部门最高"}
STAR_HIDDEN = {**STAR_SEEN, "score": None, "explanation": "客服部本季度得分最高"}
BEST_HIDDEN = {**BEST_SEEN, "score": None, "explanation": "理赔部本季度平均得分为各部门最高"}


def who(org, people, key):
    return {"specialist": org.members["si"][0], "branch_staff": org.hr, "branch_manager": org.boss,
            "cs_head": org.managers["cs"], "claims_head": org.managers["claims"], "winner": org.members["cs"][1],
            **people}[key]


@pytest.mark.parametrize("reader, star, best", [
    ("specialist", STAR_HIDDEN, BEST_HIDDEN),
    ("marketing", STAR_HIDDEN, BEST_HIDDEN),
    ("sales", STAR_HIDDEN, BEST_HIDDEN),
    ("branch_staff", STAR_HIDDEN, BEST_HIDDEN),
    ("hq_finance", STAR_HIDDEN, BEST_HIDDEN),
    ("branch_manager", STAR_SEEN, BEST_SEEN),
    ("hq_admin", STAR_SEEN, BEST_SEEN),
    # a department head reads their department's scores (…/scores/), so its star's score or average
    ("cs_head", STAR_SEEN, BEST_HIDDEN),
    ("claims_head", STAR_HIDDEN, BEST_SEEN),
    ("winner", STAR_SEEN, BEST_HIDDEN),  # their own score
])
def test_award_scores_in_the_api_only_for_who_reads_those_scores(api, org, people, awarded, reader, star, best):
    resp = api(who(org, people, reader)).get(BJ + f"cycles/{awarded}/awards/")
    assert resp.status_code == 200, resp.content
    assert {a["kind"]: a for a in resp.json()} == {"star": star, "best_team": best}


def test_choosing_awards_as_branch_staff_answers_without_the_scores(api, org, awarded):
    resp = api(org.hr).post(BJ + f"cycles/{awarded}/awards/")
    assert resp.status_code == 200
    assert {a["kind"]: (a["score"], a["explanation"]) for a in resp.json()} == {
        "star": (None, "客服部本季度得分最高"), "best_team": (None, "理赔部本季度平均得分为各部门最高")}
    with in_branch("bj"):
        assert Award.objects.count() == 2


@pytest.mark.parametrize("reader, figures", [
    ("specialist", False), ("marketing", False), ("sales", False), ("branch_staff", False), ("hq_finance", False),
    ("branch_manager", True), ("hq_admin", True),
])
def test_award_scores_on_the_cycle_page_only_for_who_reads_them(org, people, awarded, reader, figures):
    page = browser(who(org, people, reader)).get(f"/b/bj/performance/cycles/{awarded}/")
    assert page.status_code == 200
    html = page.content.decode()
    awards = html[html.index("季度奖项"):]
    awards = awards[:awards.index("</ul>")]
    if figures:
        assert "客服之星: 王芳,客服部本季度最高得分 57" in awards
        assert "最佳团队: 理赔部本季度平均得分 60,为各部门最高" in awards
    else:
        assert "客服之星: 王芳,客服部本季度得分最高" in awards
        assert "最佳团队: 理赔部本季度平均得分为各部门最高" in awards
        assert "57" not in awards and "60" not in awards and "p_cs_2" not in awards
    assert "cs" not in awards and "claims" not in awards  # departments by name


def test_award_on_an_english_page_without_figures(org, awarded):
    c = browser(org.members["si"][0])
    c.post("/i18n/setlang/", {"language": "en", "next": "/b/bj/"})
    html = c.get(f"/b/bj/performance/cycles/{awarded}/").content.decode()
    assert "王芳, the highest score in 客服部 this quarter" in html
    assert "理赔部 had the highest average score of all departments this quarter" in html


# ---------------------------------------------------------------------------------------------
# Linked bonuses (联动奖金): department pay
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def bonus_cycle(api, org):
    from tests.performance.test_bonuses_api import FINANCE_RULE, HR_RULE

    hr = api(org.hr)
    cycle_id = hr.post(BJ + "cycles/", {"period": "2026-03"}, format="json").json()["id"]
    for rule in (FINANCE_RULE, HR_RULE):
        assert hr.post(BJ + "bonus-rules/", rule, format="json").status_code == 201
    for dept, amount in (("finance", "10000.00"), ("hr", "8000.00")):
        hr.post(BJ + f"cycles/{cycle_id}/bonus-bases/", {"department": dept, "amount": amount}, format="json")
    hr.post(BJ + "values/", {"period": "2026-03", "rows": [
        {"metric": "payment_days", "department": "finance", "value": "0.9"},
        {"metric": "claim_days", "department": "claims", "value": "1.8"},
        {"metric": "new_hire_arrival_rate", "department": "si", "value": "96"},
        {"metric": "new_hire_achievement_rate", "department": "si", "value": "85"}]}, format="json")
    resp = hr.post(BJ + f"cycles/{cycle_id}/bonuses/")  # HR staff run them …
    assert resp.status_code == 200
    # … and are not told what they come to
    assert [(x["department_name"], x["amount"], x["factor"], x["base_amount"], x["inputs"], x["pay_hidden"])
            for x in resp.json()] == [("财务部", None, None, None, {}, True), ("人事部", None, None, None, {}, True)]
    assert {x["explanation_zh"] for x in resp.json()} == {"联动奖金金额属薪酬保密,仅经理和总部可见。"}
    with in_branch("bj"):
        assert sorted(BonusLine.objects.values_list("amount", flat=True)) == [8600, 12000]
    return cycle_id


@pytest.mark.parametrize("reader, status, amounts", [
    ("branch_staff", 200, [None, None]),
    ("branch_manager", 200, ["12000.00", "8600.00"]),
    ("hq_admin", 200, ["12000.00", "8600.00"]),
    ("hq_finance", 200, ["12000.00", "8600.00"]),
    ("specialist", 403, None), ("cs_head", 403, None), ("marketing", 403, None), ("sales", 403, None),
])
def test_bonus_amounts_in_the_api_only_for_managers_and_hq(api, org, people, bonus_cycle, reader, status, amounts):
    resp = api(who(org, people, reader)).get(BJ + f"cycles/{bonus_cycle}/bonuses/")
    assert resp.status_code == status
    if amounts is not None:
        assert [x["amount"] for x in resp.json()] == amounts


@pytest.mark.parametrize("reader, shown", [
    ("specialist", False), ("marketing", False), ("sales", False), ("branch_staff", False), ("cs_head", False),
    ("branch_manager", True), ("hq_admin", True), ("hq_finance", True),
])
def test_bonus_amounts_on_the_cycle_page_only_for_managers_and_hq(org, people, bonus_cycle, reader, shown):
    resp = browser(who(org, people, reader)).get(f"/b/bj/performance/cycles/{bonus_cycle}/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert ("联动奖金" in html) is shown
    assert ("12,000.00" in html and "8,600.00" in html) is shown
    if not shown:
        assert "12,000" not in html and "8,600" not in html and "10,000.00" not in html


# ---------------------------------------------------------------------------------------------
# Compute: what is bound to fail is refused at once, and changes nothing
# ---------------------------------------------------------------------------------------------
def test_computing_a_finalised_cycle_is_refused_at_once_and_queues_nothing(api, org, bonus_cycle,
                                                                          django_capture_on_commit_callbacks):
    from branches.jobs import _redis, pending_key
    from performance import services

    with in_branch("bj"):
        services.cycle_compute(cycle_id=bonus_cycle)
    assert api(org.boss).post(BJ + f"cycles/{bonus_cycle}/finalise/").status_code == 200
    with in_branch("bj"):
        before = AppraisalCycle.objects.values().get(pk=bonus_cycle)
        key = pending_key(_schema(), services.CYCLE_COMPUTE_JOB, services.cycle_job_key(bonus_cycle))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resp = api(org.hr).post(BJ + f"cycles/{bonus_cycle}/compute/")
        page = browser(org.hr).post(f"/b/bj/performance/cycles/{bonus_cycle}/compute/", follow=True)
    assert resp.status_code == 400 and resp.json() == {"status": ["该考核周期已定稿,不能重新计算。"]}
    assert "该考核周期已定稿,不能重新计算。" in page.content.decode()
    assert callbacks == [] and _redis().get(key) is None  # nothing queued, no pending job to join
    with in_branch("bj"):
        assert AppraisalCycle.objects.values().get(pk=bonus_cycle) == before
    # a cycle that does not exist: 404, as before
    assert api(org.hr).post(BJ + "cycles/999999/compute/").status_code == 404


def test_a_compute_accepted_before_the_cycle_was_finalised_ends_quietly(api, org, bonus_cycle):
    from performance import services, tasks

    with in_branch("bj"):
        services.cycle_compute(cycle_id=bonus_cycle)
    assert api(org.boss).post(BJ + f"cycles/{bonus_cycle}/finalise/").status_code == 200
    with in_branch("bj"):
        result = tasks.compute_cycle.apply(args=[bonus_cycle]).get()
        assert result == {"cycle_id": bonus_cycle, "skipped": "finalised"}
        assert AppraisalCycle.objects.get(pk=bonus_cycle).status == "finalised"


def _schema() -> str:
    from django.db import connection

    return connection.schema_name
