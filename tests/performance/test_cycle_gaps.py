"""An appraisal cycle that could not be right is caught before it is: a period that has not begun
is refused, missing values are named before compute and finalise (finalising with them is a
decision, confirmed), the quarterly awards are chosen on the cycle's page, and a score in the
cycle's table says what it is out of."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from performance import services
from performance.models import AppraisalCycle, Award, Score
from tests.conftest import in_branch
from tests.factories import make_user
from tests.performance.conftest import BJ, browser, indicator

pytestmark = pytest.mark.django_db


def english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/b/bj/"})
    return client


def _cycles() -> tuple[int, int]:
    with in_branch("bj"):
        return AppraisalCycle.objects.count(), AppraisalCycle.history.count()


# ---------------------------------------------------------------------------------------------
# 1. A period that has not begun; an empty period
# ---------------------------------------------------------------------------------------------
def test_a_cycle_for_a_month_that_has_not_begun_is_refused_in_words_on_the_page_and_the_api(api, org):
    before = _cycles()
    page = browser(org.boss).post("/b/bj/performance/cycles/", {"period": "2030-01"})
    html = page.content.decode()
    assert page.status_code == 200 and "考核周期已创建" not in html
    assert "2030年1月尚未开始,不能建立考核周期" in html and "2030-01尚未" not in html

    resp = api(org.hr).post(BJ + "cycles/", {"period": "2030-01"}, format="json")
    assert resp.status_code == 400 and list(resp.json()) == ["period"]
    assert resp.json()["period"][0].startswith("2030年1月尚未开始")
    resp = api(org.hr).post(BJ + "cycles/", {"period": "2027-Q1"}, format="json")
    assert resp.status_code == 400 and resp.json()["period"][0].startswith("2027年第1季度尚未开始")

    en = english(browser(org.boss)).post("/b/bj/performance/cycles/", {"period": "2030-01"}).content.decode()
    assert "January 2030 has not begun yet" in en and "尚未开始" not in en
    assert _cycles() == before  # nothing written


def test_the_month_under_way_and_the_quarter_under_way_may_have_a_cycle(api, org):
    today = timezone.localdate()
    for period in (today.strftime("%Y-%m"), f"{today.year}-Q{(today.month - 1) // 3 + 1}"):
        resp = api(org.hr).post(BJ + "cycles/", {"period": period}, format="json")
        assert resp.status_code == 201, (period, resp.content)


def test_an_empty_period_gets_its_own_message_on_the_page_and_the_api(api, org):
    before = _cycles()
    for posted in ({"period": ""}, {"period": "   "}, {}):
        html = browser(org.hr).post("/b/bj/performance/cycles/", posted).content.decode()
        assert "请填写考核期间:月度如 2026-03,季度如 2026-Q1。" in html, posted
        resp = api(org.hr).post(BJ + "cycles/", posted, format="json")
        assert resp.status_code == 400 and resp.json() == {
            "period": ["请填写考核期间:月度如 2026-03,季度如 2026-Q1。"]}, posted
    with in_branch("bj"):
        with pytest.raises(Exception, match="请填写考核期间"):
            services.cycle_create(actor=org.hr, period="")
    assert _cycles() == before


# ---------------------------------------------------------------------------------------------
# 4. A score in the cycle's table says what it is out of
# ---------------------------------------------------------------------------------------------
def _capped_template(api, org, dept="si"):
    api(org.hr).post(BJ + "templates/", {"code": f"{dept}-kpi", "name": dept, "department": dept,
                                         "effective_from": "2026-01-01",
                                         "indicators": [indicator("open", "openings", 60, 3, name="开户数",
                                                                  formula="capped", params={"cap": 120}),
                                                        indicator("quality", "quality", 40, 95, name="服务质量")]},
                     format="json")


def test_the_cycle_table_says_what_a_score_is_out_of_in_both_languages(api, org):
    _capped_template(api, org)
    rows = [{"metric": "quality", "username": u.username, "value": "95"}
            for u in org.members["si"] + [org.managers["si"]]]
    api(org.hr).post(BJ + "values/", {"period": "2026-03", "rows": rows}, format="json")
    cycle_id = api(org.hr).post(BJ + "cycles/", {"period": "2026-03"}, format="json").json()["id"]
    with in_branch("bj"):
        services.cycle_compute(cycle_id=cycle_id)
    url = f"/b/bj/performance/cycles/{cycle_id}/"
    html = browser(org.boss).get(url).content.decode()
    cells = re.findall(r'data-testid="cycle-score-total">(.*?)</td>', html, re.S)
    assert len(cells) == 3 and all(re.fullmatch(r"<span>40\.00 <small[^>]*>满分 112\.00</small></span>", c) for c in cells), cells
    assert "/ 112.00" not in html
    en = english(browser(org.boss)).get(url).content.decode()
    assert "out of 112.00" in en and "满分" not in en and "/ 112.00" not in en


# ---------------------------------------------------------------------------------------------
# 2. Missing values named before compute and finalise; finalising with them is confirmed
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def q4(api, org):
    """2026-Q4 with a 理赔部 template on quality, whose values were entered for November only
    (a month, not the quarter): the quarter has none."""
    api(org.hr).post(BJ + "templates/", {"code": "claims-kpi", "name": "理赔部", "department": "claims",
                                         "effective_from": "2026-01-01",
                                         "indicators": [indicator("q", "quality", 100, 100, name="服务质量")]},
                     format="json")
    rows = [{"metric": "quality", "username": u.username, "value": "100"}
            for u in org.members["claims"] + [org.managers["claims"]]]
    assert api(org.hr).post(BJ + "values/", {"period": "2026-11", "rows": rows}, format="json").status_code == 200
    return api(org.hr).post(BJ + "cycles/", {"period": "2026-Q4"}, format="json").json()["id"]


def _missing_block(html: str) -> str:
    found = re.search(r'data-testid="missing-values">(.*?)</div>', html, re.S)
    return found.group(1) if found else ""


def test_missing_values_are_named_before_the_compute_in_users_words(org, q4):
    url = f"/b/bj/performance/cycles/{q4}/"
    block = _missing_block(browser(org.hr).get(url).content.decode())
    assert "3 人缺少本期数据,计算时缺少的指标按0分计" in block
    for person in org.members["claims"] + [org.managers["claims"]]:
        assert f"{person.display_name or person.username}(理赔部):质量评分" in block
    assert "季度考核只读取按季度(2026年第4季度)录入的数值,按月录入的数值不计入。" in block
    assert "quality" not in block and "2026-Q4" not in block  # no internal keys
    en = _missing_block(english(browser(org.boss)).get(url).content.decode())
    assert "3 people lack values for this period" in en and "quality score" in en and "Q4 2026" in en
    assert f"{org.managers['claims'].display_name or org.managers['claims'].username} (理赔部): quality score" in en
    # a department head (not HR, not the finaliser) does not get the list
    assert 'data-testid="missing-values"' not in browser(org.managers["claims"]).get(url).content.decode()


def test_a_computed_cycle_with_missing_values_is_finalised_only_when_that_is_confirmed(api, org, q4):
    with in_branch("bj"):
        services.cycle_compute(cycle_id=q4)
        assert sorted(Score.objects.filter(cycle_id=q4).values_list("total", flat=True)) == [Decimal("0.00")] * 3
    url = f"/b/bj/performance/cycles/{q4}/"
    html = browser(org.boss).get(url).content.decode()
    assert "3 人的得分缺少数据,缺少的指标按0分计" in _missing_block(html) and "补录后请重新计算。" in html
    assert 'data-testid="accept-missing"' in html and "缺少数据的指标按0分定稿" in html

    # the page without the second tick, and the API asked to check (accept_missing false): refused,
    # nothing changes
    refused = browser(org.boss).post(url + "finalise/", {"confirm": "1"}, follow=True).content.decode()
    assert "3人的得分缺少数据(缺少的指标按0分计算)" in refused
    resp = api(org.boss).post(BJ + f"cycles/{q4}/finalise/", {"accept_missing": False}, format="json")
    assert resp.status_code == 400 and list(resp.json()) == ["accept_missing"]
    with in_branch("bj"):
        cycle = AppraisalCycle.objects.get(pk=q4)
        assert (cycle.status, cycle.finalised_by_id) == ("computed", None)

    resp = browser(org.boss).post(url + "finalise/", {"confirm": "1", "accept_missing": "1"})
    assert resp.status_code == 302
    with in_branch("bj"):
        cycle = AppraisalCycle.objects.get(pk=q4)
        assert (cycle.status, cycle.finalised_by_id) == ("finalised", org.boss.pk)
        last = cycle.history.order_by("-history_id").first()
        assert (last.history_user_id, last.history_change_reason) == (
            org.boss.pk, "cycle finalised with values missing for 3")


def test_the_api_finalises_missing_values_with_accept_missing_and_values_for_the_quarter_clear_the_list(api, org,
                                                                                                      q4):
    rows = [{"metric": "quality", "username": u.username, "value": "100"}
            for u in org.members["claims"] + [org.managers["claims"]]]
    with in_branch("bj"):
        services.cycle_compute(cycle_id=q4)
    # entered for the quarter: the list stays until the cycle is computed again
    assert api(org.hr).post(BJ + "values/", {"period": "2026-Q4", "rows": rows}, format="json").status_code == 200
    url = f"/b/bj/performance/cycles/{q4}/"
    assert "3 人的得分缺少数据" in browser(org.hr).get(url).content.decode()
    with in_branch("bj"):
        services.cycle_compute(cycle_id=q4)
        assert set(Score.objects.filter(cycle_id=q4).values_list("total", flat=True)) == {Decimal("100.00")}
    html = browser(org.boss).get(url).content.decode()
    assert 'data-testid="missing-values"' not in html and 'data-testid="accept-missing"' not in html
    resp = api(org.boss).post(BJ + f"cycles/{q4}/finalise/")  # nothing missing: as before, no flag needed
    assert resp.status_code == 200 and resp.json()["status"] == "finalised"


@pytest.mark.parametrize("body", [{"accept_missing": True}, {}])
def test_the_api_finalises_missing_values_when_told_to_or_as_v1_always_did(api, org, q4, body):
    """The API's finalise answered 200 before missing values were checked; v1 keeps that answer
    (a script asks for the check with accept_missing false)."""
    with in_branch("bj"):
        services.cycle_compute(cycle_id=q4)
    resp = api(org.boss).post(BJ + f"cycles/{q4}/finalise/", body, format="json")
    assert resp.status_code == 200 and resp.json()["status"] == "finalised"
    with in_branch("bj"):
        last = AppraisalCycle.objects.get(pk=q4).history.order_by("-history_id").first()
        assert last.history_change_reason == "cycle finalised with values missing for 3"


# ---------------------------------------------------------------------------------------------
# 2b. Quarterly awards chosen on the cycle's page
# ---------------------------------------------------------------------------------------------
def test_the_quarterly_awards_are_chosen_on_the_cycle_page_audited_and_scoped(org, quarter):
    with in_branch("bj"):
        services.cycle_compute(cycle_id=quarter)
    url = f"/b/bj/performance/cycles/{quarter}/"
    html = browser(org.hr).get(url).content.decode()
    assert 'data-testid="awards-form"' in html and "评选季度奖项" in html
    boss_page = browser(org.boss).get(url).content.decode()
    assert 'data-testid="awards-not-chosen"' in boss_page  # before finalising, the finaliser is told

    # someone who may not choose them (a specialist heading a department): no control, 404, nothing written
    head = org.managers["cs"]
    assert 'data-testid="awards-form"' not in browser(head).get(url).content.decode()
    assert browser(head).post(url + "awards/").status_code == 404
    with in_branch("bj"):
        assert (Award.objects.count(), Award.history.count()) == (0, 0)

    # the fixture has no peer reviews (scored 0): the choice is made knowingly, with the second tick
    resp = browser(org.hr).post(url + "awards/", {"accept_missing": "1"}, follow=True)
    page = resp.content.decode()
    assert resp.status_code == 200 and "已评选季度奖项:2项。" in page
    assert "客服之星" in page and "最佳团队" in page and "重新评选季度奖项" in page
    with in_branch("bj"):
        star = Award.objects.get(kind="star")
        assert (star.title, star.department.code, star.user_id) == ("客服之星", "cs", org.members["cs"][1].pk)
        created = list(Award.history.values_list("history_type", "history_user_id", "history_change_reason"))
        assert sorted(created) == [("+", org.hr.pk, "awards chosen")] * 2

    browser(org.boss).post(url + "awards/", {"accept_missing": "1"})  # again: the earlier choice is replaced, and recorded
    with in_branch("bj"):
        assert Award.objects.count() == 2
        assert Award.history.filter(history_type="-", history_user_id=org.boss.pk).count() == 2

    browser(org.boss).post(url + "finalise/", {"confirm": "1", "accept_missing": "1"})
    html = browser(org.hr).get(url).content.decode()
    assert 'data-testid="awards-form"' not in html and "客服之星" in html
    refused = browser(org.hr).post(url + "awards/", follow=True).content.decode()
    assert "考核周期须为已计算、未定稿状态。" in refused


def test_a_monthly_cycle_has_no_awards_control(api, org):
    _capped_template(api, org)
    cycle_id = api(org.hr).post(BJ + "cycles/", {"period": "2026-03"}, format="json").json()["id"]
    with in_branch("bj"):
        services.cycle_compute(cycle_id=cycle_id)
    html = browser(org.hr).get(f"/b/bj/performance/cycles/{cycle_id}/").content.decode()
    assert 'data-testid="awards-form"' not in html and 'data-testid="awards-not-chosen"' not in html


# ---------------------------------------------------------------------------------------------
# 3. A new branch: departments created on their page; the template form says where
# ---------------------------------------------------------------------------------------------
def test_a_manager_creates_a_department_on_the_departments_page(branches):
    from performance.models import Department

    boss = make_user("d_boss", ("bj", "branch_manager"))
    staff = make_user("d_staff", ("bj", "branch_staff"))
    page = browser(boss).get("/b/bj/performance/departments/").content.decode()
    assert 'data-testid="department-new"' in page and "尚无部门。请在下方建立第一个部门" in page

    # HR staff do not place people (nor make departments) on these pages: 404, nothing written
    assert browser(staff).post("/b/bj/performance/departments/", {"name": "客服部"}).status_code == 404
    resp = browser(boss).post("/b/bj/performance/departments/", {"name": " 客服部 ", "star_title": "客服之星"})
    with in_branch("bj"):
        dept = Department.objects.get()
        assert (dept.name, dept.star_title) == ("客服部", "客服之星")
        assert dept.history.get().history_user_id == boss.pk
    assert resp.status_code == 302 and resp["Location"] == f"/b/bj/performance/departments/{dept.pk}/"
    listing = browser(boss).get("/b/bj/performance/departments/").content.decode()
    assert "客服部" in listing and dept.code not in listing  # the generated code never shows

    again = browser(boss).post("/b/bj/performance/departments/", {"name": "客服部"})
    assert again.status_code == 400 and "已有名为“客服部”的部门。" in again.content.decode()
    empty = browser(boss).post("/b/bj/performance/departments/", {"name": ""})
    assert empty.status_code == 400 and "请填写部门名称。" in empty.content.decode()
    with in_branch("bj"):
        assert Department.objects.count() == 1


def test_the_template_form_says_where_departments_are_made_when_there_are_none(branches):
    from performance.models import Department

    boss = make_user("t_boss", ("bj", "branch_manager"))
    staff = make_user("t_staff", ("bj", "branch_staff"))
    html = browser(boss).get("/b/bj/performance/templates/new/").content.decode()
    assert 'data-testid="no-departments-hint"' in html
    assert 'href="/b/bj/performance/departments/#new-department"' in html
    html = browser(staff).get("/b/bj/performance/templates/new/").content.decode()
    assert 'data-testid="no-departments-hint"' in html and "请分支机构经理在“部门成员”页建立部门。" in html
    assert 'data-testid="create-department-link"' not in html  # a link staff could not follow
    en = english(browser(boss)).get("/b/bj/performance/templates/new/").content.decode()
    assert "There are no departments yet" in en
    with in_branch("bj"):
        services.department_create(actor=boss, code="cs", name="客服部")
    assert 'data-testid="no-departments-hint"' not in browser(boss).get(
        "/b/bj/performance/templates/new/").content.decode()
    assert Department  # noqa: B018


def test_a_cycle_of_a_later_month_made_before_the_refusal_is_not_computed(api, org):
    from datetime import date

    with in_branch("bj"):  # as a cycle made before such cycles were refused
        cycle = AppraisalCycle.objects.create(kind="monthly", period="2030-01", starts_on=date(2030, 1, 1),
                                              ends_on=date(2030, 1, 31))
    resp = api(org.hr).post(BJ + f"cycles/{cycle.pk}/compute/")
    assert resp.status_code == 400 and resp.json() == {"period": ["2030年1月尚未开始,还没有可计算的数据。"]}
    page = browser(org.hr).post(f"/b/bj/performance/cycles/{cycle.pk}/compute/", follow=True).content.decode()
    assert "2030年1月尚未开始,还没有可计算的数据。" in page
    with in_branch("bj"):
        assert AppraisalCycle.objects.get(pk=cycle.pk).status == "open" and not Score.objects.exists()


def test_a_score_made_of_missing_values_raises_no_falling_score_flag(api, org, q4):
    from performance.models import RiskFlag

    people = org.members["claims"] + [org.managers["claims"]]
    rows = lambda v: [{"metric": "quality", "username": u.username, "value": v} for u in people]  # noqa: E731
    assert api(org.hr).post(BJ + "values/", {"period": "2026-Q3", "rows": rows("100")},
                            format="json").status_code == 200
    q3 = api(org.hr).post(BJ + "cycles/", {"period": "2026-Q3"}, format="json").json()["id"]
    with in_branch("bj"):
        services.cycle_compute(cycle_id=q3)
        services.cycle_compute(cycle_id=q4)  # no values for the quarter: 0.00 each, but not a fall
        assert set(Score.objects.filter(cycle_id=q4).values_list("total", flat=True)) == {Decimal("0.00")}
        assert not RiskFlag.objects.filter(cycle_id=q4).exists()
    assert api(org.hr).post(BJ + "values/", {"period": "2026-Q4", "rows": rows("50")},
                            format="json").status_code == 200
    with in_branch("bj"):
        services.cycle_compute(cycle_id=q4)  # a real fall from 100 to 50 is still flagged
        reasons = [r["zh"] for f in RiskFlag.objects.filter(cycle_id=q4) for r in f.reasons]
        assert reasons == ["绩效得分由100降至50,下降50分"] * 3


def test_the_api_lists_the_missing_values_for_hr_only(api, org, q4):
    people = sorted(u.username for u in org.members["claims"] + [org.managers["claims"]])
    resp = api(org.hr).get(BJ + f"cycles/{q4}/missing/")
    assert resp.status_code == 200
    assert sorted(r["username"] for r in resp.json()) == people
    assert {(r["department"], tuple((m["code"], m["label"]) for m in r["metrics"])) for r in resp.json()} == {
        ("claims", (("quality", "质量评分"),))}
    assert api(org.managers["claims"]).get(BJ + f"cycles/{q4}/missing/").status_code == 403  # a department head
    # a specialist, a client contact and HQ finance are refused for the role; another branch's manager
    # does not reach the cycle at all
    for user, code in ((org.members["si"][0], 403), (make_user("mv_contact", ("bj", "client_contact")), 403),
                       (make_user("mv_fin", (None, "hq_finance")), 403),
                       (make_user("mv_sh", ("sh", "branch_manager")), 404)):
        assert api(user).get(BJ + f"cycles/{q4}/missing/").status_code == code, user.username
    with in_branch("bj"):
        services.cycle_compute(cycle_id=q4)
    assert len(api(org.boss).get(BJ + f"cycles/{q4}/missing/").json()) == 3  # from the computed scores


def test_awards_from_scores_with_missing_values_take_a_second_tick_and_a_zero_is_never_a_star(api, org, q4):
    """客服之星 went to a 0.00 when the quarter's values were missing: the page asks, as finalising
    does (the API as v1 answered, unless asked to check), and a score of 0 is never a star."""
    with in_branch("bj"):
        services.cycle_compute(cycle_id=q4)
    url = f"/b/bj/performance/cycles/{q4}/"
    assert 'data-testid="awards-accept-missing"' in browser(org.hr).get(url).content.decode()
    refused = browser(org.hr).post(url + "awards/", follow=True).content.decode()
    assert "3人的得分缺少数据(缺少的指标按0分计算),不能据此评奖" in refused
    resp = api(org.hr).post(BJ + f"cycles/{q4}/awards/", {"accept_missing": False}, format="json")
    assert resp.status_code == 400 and "不能据此评奖" in resp.json()["cycle"][0]
    with in_branch("bj"):
        assert (Award.objects.count(), Award.history.count()) == (0, 0)
        assert set(Score.objects.filter(cycle_id=q4).values_list("total", flat=True)) == {Decimal("0.00")}

    chosen = browser(org.hr).post(url + "awards/", {"accept_missing": "1"}, follow=True).content.decode()
    assert "没有可评的季度奖项" in chosen  # every score is 0: nobody is crowned
    assert api(org.hr).post(BJ + f"cycles/{q4}/awards/", format="json").json() == []
    with in_branch("bj"):
        assert Award.objects.count() == 0


def test_the_cycle_table_ranks_people_within_their_department(api, org):
    """Two departments' templates: 社保部 out of 112 (a capped indicator), 理赔部 out of 100. The
    table listed everyone by raw total, 58.32 of 112 below 62.50 of 100; now by department, the
    best first within each."""
    _capped_template(api, org)
    api(org.hr).post(BJ + "templates/", {"code": "claims-kpi", "name": "理赔", "department": "claims",
                                         "effective_from": "2026-01-01",
                                         "indicators": [indicator("quality", "quality", 100, 100, name="服务质量")]},
                     format="json")
    values = {u.username: v for u, v in zip(org.members["si"] + [org.managers["si"]], ("95", "60", "80"))}
    values |= {u.username: v for u, v in zip(org.members["claims"] + [org.managers["claims"]], ("20", "50", "35"))}
    api(org.hr).post(BJ + "values/", {"period": "2026-03", "rows": [
        {"metric": "quality", "username": u, "value": v} for u, v in values.items()]}, format="json")
    cycle_id = api(org.hr).post(BJ + "cycles/", {"period": "2026-03"}, format="json").json()["id"]
    with in_branch("bj"):
        services.cycle_compute(cycle_id=cycle_id)
    html = browser(org.boss).get(f"/b/bj/performance/cycles/{cycle_id}/").content.decode()
    rows = re.findall(r'data-label="部门">(.*?)</td>.*?data-testid="cycle-score-total"><span>([\d.]+) ', html, re.S)
    departments = [d for d, _t in rows]
    assert len(rows) == 6 and departments == sorted(departments, key=departments.index)  # grouped
    for dept in set(departments):
        totals = [float(t) for d, t in rows if d == dept]
        assert totals == sorted(totals, reverse=True) and len(set(totals)) == 3, (dept, totals)
