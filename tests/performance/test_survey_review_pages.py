"""Surveys, multi-rater reviews and linked-bonus rules on pages (SPEC §7), through the same
services as the API: who is asked, what is stored, what is refused, what each role may open."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from performance import services
from performance.models import BonusRule, Review, Score, SurveyAnswer
from tests.conftest import in_branch
from tests.factories import make_user
from tests.performance.conftest import BJ, browser, indicator
from tests.performance.test_bonuses_api import FINANCE_RULE, HR_RULE

pytestmark = pytest.mark.django_db

HOME = "/b/bj/performance/"


def english(client: Client) -> Client:
    client.post("/i18n/setlang/", {"language": "en", "next": "/b/bj/"})
    return client


@pytest.fixture
def cycle(api, org):
    resp = api(org.hr).post(BJ + "cycles/", {"period": "2026-03"}, format="json")
    assert resp.status_code == 201, resp.content
    return resp.json()["id"]


@pytest.fixture
def survey(api, org, cycle):
    """A survey about 理赔部: the other departments' members are asked."""
    resp = api(org.hr).post(BJ + f"cycles/{cycle}/surveys/", {"department": "claims", "title": "理赔服务满意度"},
                            format="json")
    assert resp.status_code == 201, resp.content
    return resp.json()["id"]


def answers() -> list[tuple[int, str, Decimal]]:
    with in_branch("bj"):
        return list(SurveyAnswer.objects.values_list("respondent_id", "answer", "points"))


# ---------------------------------------------------------------------------------------------
# Surveys (满意=10, 一般=5, 不满意=0)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("answer, points", [("满意", Decimal("10.00")), ("一般", Decimal("5.00")),
                                            ("不满意", Decimal("0.00"))])
def test_a_member_of_another_department_answers_on_the_page(org, survey, answer, points):
    person = org.members["finance"][0]
    c = browser(person)
    home = c.get(HOME).content.decode()
    assert "待填写的满意度调查" in home and f'href="/b/bj/performance/surveys/{survey}/"' in home
    page = c.get(f"/b/bj/performance/surveys/{survey}/").content.decode()
    assert page.count('type="radio" name="answer"') == 3
    assert page.index('value="满意"') < page.index('value="一般"') < page.index('value="不满意"')  # best first

    resp = c.post(f"/b/bj/performance/surveys/{survey}/", {"answer": answer})

    assert resp.status_code == 302 and resp["Location"] == HOME
    assert answers() == [(person.pk, answer, points)]
    assert f"/b/bj/performance/surveys/{survey}/" not in c.get(HOME).content.decode()  # no longer to do


def test_a_second_answer_is_refused_and_nothing_changes(org, survey):
    c = browser(org.members["finance"][0])
    assert c.post(f"/b/bj/performance/surveys/{survey}/", {"answer": "满意"}).status_code == 302
    assert "您已作答:满意。" in c.get(f"/b/bj/performance/surveys/{survey}/").content.decode()

    resp = c.post(f"/b/bj/performance/surveys/{survey}/", {"answer": "不满意"})

    assert resp.status_code == 400 and "您已回答过该调查。" in resp.content.decode()
    assert [a[1:] for a in answers()] == [("满意", Decimal("10.00"))]


def test_the_answer_given_reads_in_the_readers_language(org, survey):
    """The stored answer is the default scale's key (满意); an English reader is told what they
    answered in English ("You answered: 满意." before)."""
    c = browser(org.members["finance"][0])
    assert c.post(f"/b/bj/performance/surveys/{survey}/", {"answer": "满意"}).status_code == 302
    page = english(c).get(f"/b/bj/performance/surveys/{survey}/").content.decode()
    assert '<p data-testid="answered">You answered: Satisfied.</p>' in page
    assert [a[1] for a in answers()] == ["满意"]  # the key is stored as it was


def test_no_choice_is_refused_in_words(org, survey):
    resp = browser(org.members["finance"][0]).post(f"/b/bj/performance/surveys/{survey}/", {})
    assert resp.status_code == 400 and "请选择一项评价。" in resp.content.decode()
    assert answers() == []


@pytest.mark.parametrize("who", ["claims_member", "claims_manager", "hr_staff"])
def test_someone_not_asked_gets_404_and_writes_nothing(org, survey, who):
    # the survey is about 理赔部 (its own people are not asked); HR staff is in no department
    user = {"claims_member": org.members["claims"][0], "claims_manager": org.managers["claims"],
            "hr_staff": org.hr}[who]
    c = browser(user)
    assert c.get(f"/b/bj/performance/surveys/{survey}/").status_code == 404
    assert c.post(f"/b/bj/performance/surveys/{survey}/", {"answer": "不满意"}).status_code == 404
    assert f"/b/bj/performance/surveys/{survey}/" not in c.get(HOME).content.decode()
    assert answers() == []


def test_hr_sees_how_many_answered_not_who_answered_what(org, survey, cycle):
    for user, answer in [(org.members["finance"][0], "满意"), (org.members["cs"][1], "不满意")]:
        assert browser(user).post(f"/b/bj/performance/surveys/{survey}/", {"answer": answer}).status_code == 302
    cycle_page = browser(org.hr).get(f"/b/bj/performance/cycles/{cycle}/").content.decode()
    assert f'href="/b/bj/performance/cycles/{cycle}/surveys/"' in cycle_page

    for hr in (org.hr, org.boss):
        page = browser(hr).get(f"/b/bj/performance/cycles/{cycle}/surveys/").content.decode()
        table = page[page.index('data-testid="surveys"'):page.index("</table>")]
        assert "理赔服务满意度" in table and "理赔部" in table
        assert f'data-testid="answered-{survey}">2</td>' in table
        assert ">12</td>" in table  # 15 members, the 3 of 理赔部 are not asked
        assert "p_finance_1" not in page and "p_cs_2" not in page and "不满意" not in table


def test_hr_publishes_a_survey_on_the_page(org, cycle):
    resp = browser(org.hr).post(f"/b/bj/performance/cycles/{cycle}/surveys/", {"department": "finance",
                                                                               "title": "付款服务满意度"})
    assert resp.status_code == 302
    with in_branch("bj"):
        from performance.models import Survey

        survey = Survey.objects.get()
        assert (survey.target_department.code, survey.scale) == ("finance", {"满意": "10", "一般": "5", "不满意": "0"})
    again = browser(org.hr).post(f"/b/bj/performance/cycles/{cycle}/surveys/", {"department": "finance",
                                                                                "title": "再来一次"})
    assert again.status_code == 400 and "本周期已有该部门的调查。" in again.content.decode()
    assert 'value="再来一次"' in again.content.decode()


# ---------------------------------------------------------------------------------------------
# Multi-rater reviews (多维评价)
# ---------------------------------------------------------------------------------------------
def reviews() -> list[tuple[int, int, Decimal, str]]:
    with in_branch("bj"):
        return list(Review.objects.values_list("subject_id", "reviewer_id", "points", "comment"))


def test_a_member_of_another_department_reviews_a_colleague(org, cycle):
    reviewer, subject = org.members["finance"][0], org.members["cs"][0]
    c = browser(reviewer)
    assert f'href="/b/bj/performance/cycles/{cycle}/reviews/new/"' in c.get(HOME).content.decode()
    page = c.get(f"/b/bj/performance/cycles/{cycle}/reviews/new/").content.decode()
    assert f'<option value="{subject.pk}">' in page
    assert f'<option value="{org.members["finance"][1].pk}">' not in page  # own department not offered

    resp = c.post(f"/b/bj/performance/cycles/{cycle}/reviews/new/", {"subject": subject.pk, "points": "8.5",
                                                                     "comment": "响应及时"})

    assert resp.status_code == 302
    assert reviews() == [(subject.pk, reviewer.pk, Decimal("8.50"), "响应及时")]
    page = c.get(f"/b/bj/performance/cycles/{cycle}/reviews/new/").content.decode()
    assert f'<option value="{subject.pk}">' not in page and "8.5" in page  # reviewed once, listed as done


def test_a_review_within_the_own_department_is_refused_in_words(org, cycle):
    c = browser(org.members["cs"][1])
    resp = c.post(f"/b/bj/performance/cycles/{cycle}/reviews/new/", {"subject": org.members["cs"][0].pk,
                                                                     "points": "9", "comment": "好同事"})
    html = resp.content.decode()
    assert resp.status_code == 400 and "多维评价须由其他部门的人员作出。" in html
    assert 'value="9"' in html and "好同事" in html  # what was typed stays
    assert reviews() == []


def test_a_second_review_and_bad_points_are_refused(org, cycle):
    c = browser(org.members["finance"][0])
    url = f"/b/bj/performance/cycles/{cycle}/reviews/new/"
    subject = org.members["cs"][0].pk
    assert c.post(url, {"subject": subject, "points": "7"}).status_code == 302
    again = c.post(url, {"subject": subject, "points": "9"})
    assert again.status_code == 400 and "您已评价过此人。" in again.content.decode()
    bad = c.post(url, {"subject": org.members["cs"][1].pk, "points": "10.5"})
    assert bad.status_code == 400 and "评分须在0到10之间。" in bad.content.decode() and 'value="10.5"' in bad.content.decode()
    empty = c.post(url, {"subject": "", "points": ""})
    assert empty.status_code == 400 and "请选择被评价人。" in empty.content.decode() and "请填写评分。" in empty.content.decode()
    assert [(r[0], r[2]) for r in reviews()] == [(subject, Decimal("7.00"))]


def test_reviews_from_the_page_show_in_the_persons_own_score(api, org, cycle):
    api(org.hr).post(BJ + "templates/", {"code": "cs-kpi", "name": "客服部", "department": "cs",
                                         "effective_from": "2026-01-01",
                                         "indicators": [indicator("r", "peer_review", 100, 10, name="多维评价")]},
                     format="json")
    subject = org.members["cs"][0]
    for reviewer, points in [(org.members["finance"][0], "8"), (org.members["hr"][0], "7")]:
        resp = browser(reviewer).post(f"/b/bj/performance/cycles/{cycle}/reviews/new/",
                                      {"subject": subject.pk, "points": points})
        assert resp.status_code == 302
    with in_branch("bj"):
        services.cycle_compute(cycle_id=cycle)
        score = Score.objects.get(user_id=subject.pk)
    page = browser(subject).get(f"/b/bj/performance/scores/{score.pk}/").content.decode()
    assert "多维评价: 实际7.5,目标≥10,得75分(上限100)" in page
    assert "p_finance_1" not in page and "p_hr_1" not in page  # who reviewed is not shown


def test_a_person_in_no_department_is_told_and_nothing_is_written(org, cycle):
    c = browser(org.hr)
    page = c.get(f"/b/bj/performance/cycles/{cycle}/reviews/new/").content.decode()
    assert "只有本分支机构各部门的成员可以评价。" in page
    resp = c.post(f"/b/bj/performance/cycles/{cycle}/reviews/new/", {"subject": org.members["cs"][0].pk,
                                                                     "points": "5"})
    assert resp.status_code == 400 and "评价双方都须是本分支机构部门成员。" in resp.content.decode()
    assert reviews() == []


# ---------------------------------------------------------------------------------------------
# Linked-bonus rules (挂钩奖金规则)
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def rules(api, org):
    for rule in (FINANCE_RULE, HR_RULE):
        assert api(org.hr).post(BJ + "bonus-rules/", rule, format="json").status_code == 201


def test_hr_reads_the_rules_in_force_in_words(org, rules, cycle):
    assert 'href="/b/bj/performance/bonus-rules/"' in browser(org.hr).get(
        f"/b/bj/performance/cycles/{cycle}/").content.decode()
    for hr in (org.hr, org.boss):
        page = browser(hr).get("/b/bj/performance/bonus-rules/").content.decode()
        # SPEC §7: claims ≤ 2 days → finance 120% if payment ≤ 1 day, 100% 1–2 days, 80% over 2; miss → −10%
        for words in ("财务部随理赔部联动奖金(第1版,2026年1月1日起)", "财务部奖金随理赔部的结果:理赔部理赔处理天数目标 ≤ 2",
                      "理赔部达标时,财务部付款处理天数 ≤ 1:奖金 120%", "理赔部达标时,财务部付款处理天数 1–2:奖金 100%",
                      "理赔部达标时,财务部付款处理天数 &gt; 2:奖金 80%",
                      "理赔部未达标:财务部奖金在上述比例上扣减 10 个百分点(−10%)",
                      # HR 30% tied to the new hires' results
                      "人事部奖金挂钩社保部结果(第1版,2026年1月1日起)", "人事部奖金的 30% 挂钩社保部的结果,其余照发",
                      "新员工到岗率(%)达到 95:得 20 分", "新员工3个月业绩达标率(%)高于 80:每高1个百分点加 1 分",
                      "得 20 分时挂钩部分发放 100%,最高 150%", "2026年1月1日 起生效"):
            assert words in page, words
        for key in ("finance-claims", "hr-new-hires", "linked_factor", "tied_share", "claim_days", "None",
                    "miss_penalty", "branch_manager"):
            assert key not in page, key


def test_the_manager_adds_a_new_version_through_the_form(org, rules):
    boss = browser(org.boss)
    with in_branch("bj"):
        v1 = BonusRule.objects.get(code="finance-claims")
    form = boss.get(f"/b/bj/performance/bonus-rules/{v1.pk}/versions/new/").content.decode()
    assert 'value="1:120, 2:100"' in form and 'value="80"' in form and 'value="10"' in form

    resp = boss.post(f"/b/bj/performance/bonus-rules/{v1.pk}/versions/new/", {
        "department": "finance", "linked_department": "claims", "effective_from": "2026-02-01",
        "linked_metric": "claim_days", "linked_target": "2", "own_metric": "payment_days",
        "bands": "1:130, 2:100", "over_percent": "70", "miss_penalty_points": "15"})

    assert resp.status_code == 302 and resp["Location"] == "/b/bj/performance/bonus-rules/"
    with in_branch("bj"):
        v2 = BonusRule.objects.get(code="finance-claims", version=2)
        assert BonusRule.objects.get(pk=v1.pk).params == FINANCE_RULE["params"]  # v1 unchanged
    assert v2.params == {"linked_metric": "claim_days", "own_metric": "payment_days", "linked_target": "2",
                         "bands": [{"max": "1", "percent": "130"}, {"max": "2", "percent": "100"},
                                   {"max": None, "percent": "70"}], "miss_penalty_points": "15"}
    page = boss.get("/b/bj/performance/bonus-rules/").content.decode()
    assert "财务部随理赔部联动奖金(第2版,2026年2月1日起)" in page and "≤ 1:奖金 130%" in page


def test_bad_rule_input_keeps_what_was_typed(org, rules):
    with in_branch("bj"):
        v1 = BonusRule.objects.get(code="finance-claims")
    resp = browser(org.boss).post(f"/b/bj/performance/bonus-rules/{v1.pk}/versions/new/", {
        "department": "finance", "linked_department": "finance", "effective_from": "2026-02-01",
        "linked_metric": "claim_days", "linked_target": "2", "own_metric": "payment_days",
        "bands": "2:100, 1:120", "over_percent": "80", "miss_penalty_points": "10"})
    html = resp.content.decode()
    assert resp.status_code == 400
    assert "档位的值须从小到大排列。" in html and "挂钩部门须为另一个部门。" in html
    assert 'value="2:100, 1:120"' in html
    with in_branch("bj"):
        assert BonusRule.objects.count() == 2


# HR's 30% tied to the new hires' results, as the tied-share form takes it
TIED_SHARE_FORM = {
    "department": "hr", "linked_department": "si", "effective_from": "2026-01-01",
    "share_percent": "30", "gate_metric": "new_hire_arrival_rate", "gate_target": "95", "gate_points": "20",
    "rate_metric": "new_hire_achievement_rate", "rate_target": "80", "points_per_percent": "1",
    "full_points": "20", "cap_percent": "150"}


def test_a_new_tied_share_rule_through_the_form(org):
    resp = browser(org.boss).post("/b/bj/performance/bonus-rules/new/tied-share/", TIED_SHARE_FORM)
    assert resp.status_code == 302
    with in_branch("bj"):
        rule = BonusRule.objects.get()
    assert (rule.kind, rule.version, rule.department.code, rule.linked_department.code) == ("tied_share", 1, "hr", "si")
    assert rule.params == HR_RULE["params"]


def test_a_rule_form_reads_numbers_as_every_input_does(org):
    """挂钩比例% "1e1" was saved as 10 (the review of 2026-12-05)."""
    resp = browser(org.boss).post("/b/bj/performance/bonus-rules/new/tied-share/",
                                  {**TIED_SHARE_FORM, "share_percent": "1e1"})
    assert resp.status_code == 400 and 'value="1e1"' in resp.content.decode()
    with in_branch("bj"):
        assert not BonusRule.objects.exists()


def test_my_scores_page_lists_what_a_member_is_asked_to_do(org, survey):
    """The specialist's menu leads to 我的绩效 (/performance/mine/): the survey and the colleague
    review were only on another page nothing linked to."""
    page = browser(org.members["finance"][0]).get("/b/bj/performance/mine/").content.decode()
    assert f'href="/b/bj/performance/surveys/{survey}/"' in page and 'data-testid="reviews-to-give"' in page


# ---------------------------------------------------------------------------------------------
# Who may open what
# ---------------------------------------------------------------------------------------------
def test_who_may_open_each_page(org, survey, cycle, rules):
    with in_branch("bj"):
        rule_id = BonusRule.objects.first().pk
    contact = make_user("p_contact", ("bj", "client_contact"))
    hq = make_user("p_hq", (None, "hq_admin"))
    hr_only = [f"/b/bj/performance/cycles/{cycle}/surveys/", "/b/bj/performance/bonus-rules/",
               f"/b/bj/performance/bonus-rules/{rule_id}/versions/new/",
               "/b/bj/performance/bonus-rules/new/linked-factor/"]
    for url in hr_only:
        # a specialist — even a department manager — and a client contact: 404 like other HR pages
        for user in (org.members["finance"][0], org.managers["claims"], contact):
            assert browser(user).get(url).status_code == 404, (url, user.username)
        for user in (org.hr, org.boss, hq):
            assert browser(user).get(url).status_code == 200, (url, user.username)
    for url in (f"/b/bj/performance/surveys/{survey}/", f"/b/bj/performance/cycles/{cycle}/reviews/new/", HOME):
        assert browser(contact).get(url).status_code == 404, url
    assert browser(org.boss).get("/b/bj/performance/bonus-rules/new/no-such-kind/").status_code == 404
    # another branch's manager and staff reach none of them, nor post to them
    for role in ("branch_manager", "branch_staff"):
        outsider = make_user(f"p_sh_{role}", ("sh", role), home="sh")
        for url in hr_only + [f"/b/bj/performance/surveys/{survey}/", f"/b/bj/performance/cycles/{cycle}/reviews/new/"]:
            assert browser(outsider).get(url).status_code == 404, (url, role)
        assert browser(outsider).post(f"/b/bj/performance/surveys/{survey}/", {"answer": "满意"}).status_code == 404
    assert answers() == []
    # nothing of the rules reaches a specialist's pages
    assert "/b/bj/performance/bonus-rules/" not in browser(org.members["finance"][0]).get(HOME).content.decode()


def test_branch_staff_sees_no_scores_on_these_pages(api, org, cycle, survey):
    with in_branch("bj"):
        services.cycle_compute(cycle_id=cycle)  # no templates: no scores, but the pages still render
    for url in (HOME, f"/b/bj/performance/cycles/{cycle}/surveys/", f"/b/bj/performance/cycles/{cycle}/reviews/new/"):
        page = browser(org.hr).get(url).content.decode()
        assert "/b/bj/performance/scores/" not in page, url


# ---------------------------------------------------------------------------------------------
# English
# ---------------------------------------------------------------------------------------------
def test_pages_read_in_english(org, survey, cycle, rules):
    member = english(browser(org.members["finance"][0]))
    home = member.get(HOME).content.decode()
    assert "Surveys to answer" in home and "Multi-rater reviews" in home and "待填写" not in home
    page = member.get(f"/b/bj/performance/surveys/{survey}/").content.decode()
    assert "Satisfied" in page and "Neutral" in page and "Dissatisfied" in page and "Submit" in page
    assert "您对" not in page
    page = member.get(f"/b/bj/performance/cycles/{cycle}/reviews/new/").content.decode()
    assert "Review a colleague" in page and "Score (0–10)" in page and "评分" not in page

    page = english(browser(org.boss)).get("/b/bj/performance/bonus-rules/").content.decode()
    assert "Linked-bonus rules" in page
    assert "payment handling days ≤ 1: bonus 120%" in page and "target ≤ 2" in page
    assert "is lowered by 10 points (−10%)" in page
    assert "of its bonus tied to" in page
    for chinese in ("达标时", "扣减", "挂钩比例", "起生效", "新增版本"):
        assert chinese not in page, chinese
    page = english(browser(org.hr)).get(f"/b/bj/performance/cycles/{cycle}/surveys/").content.decode()
    assert "Answered" in page and "Asked" in page and "Publish" in page
