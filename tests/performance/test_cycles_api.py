"""Appraisal cycles through the API: compute, surveys, review/adjust with audit, finalise, scope."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from branches.jobs import job_started
from performance import services
from performance.models import AppraisalCycle, RiskFlag, Score, ScoreLine, SurveyAnswer
from tests.conftest import in_branch
from tests.factories import make_user
from tests.performance.conftest import BJ, indicator

pytestmark = pytest.mark.django_db


def compute(client, cycle_id, capture):
    """POST compute (202 + one task queued on commit), then do here what the task does: mark the
    job started (so the next request queues a new one) and run the service."""
    with capture(execute=False) as callbacks:
        resp = client.post(BJ + f"cycles/{cycle_id}/compute/")
    assert resp.status_code == 202, resp.content
    assert resp.json()["task_id"] and len(callbacks) == 1
    with in_branch("bj"):
        job_started(kind=services.CYCLE_COMPUTE_JOB, period=services.cycle_job_key(cycle_id),
                    task_id=resp.json()["task_id"])
        return services.cycle_compute(cycle_id=cycle_id)


def test_repeated_compute_requests_queue_one_job_and_a_flood_is_refused(api, org, claims_cycle,
                                                                       django_capture_on_commit_callbacks):
    hr = api(org.hr)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ids = [hr.post(BJ + f"cycles/{claims_cycle}/compute/") for _ in range(3)]
    assert [r.status_code for r in ids] == [202, 202, 202]
    assert len({r.json()["task_id"] for r in ids}) == 1 and len(callbacks) == 1  # joined, not queued again
    # once that job has started (its first step), a request queues a new one
    with in_branch("bj"):
        job_started(kind=services.CYCLE_COMPUTE_JOB, period=services.cycle_job_key(claims_cycle),
                    task_id=ids[0].json()["task_id"])
    result = compute(hr, claims_cycle, django_capture_on_commit_callbacks)
    assert result["scores"] == 3
    # 10 requests a minute per person and branch, then a 429 in words that changes nothing
    for _ in range(6):
        assert hr.post(BJ + f"cycles/{claims_cycle}/compute/").status_code == 202
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refused = hr.post(BJ + f"cycles/{claims_cycle}/compute/")
    assert refused.status_code == 429 and "请求过于频繁" in refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0 and callbacks == []


@pytest.fixture
def claims_cycle(api, org):
    """理赔部 template (claim days ≤ 2: 50%, survey: 50%) and a March cycle with claim days 1.5."""
    hr = api(org.hr)
    resp = hr.post(BJ + "templates/", {
        "code": "claims-kpi", "name": "理赔部考核", "department": "claims", "effective_from": "2026-01-01",
        "indicators": [indicator("days", "claim_days", 50, 2, direction="lower", name="理赔时效"),
                       indicator("survey", "survey_score", 50, 10, name="满意度")]}, format="json")
    assert resp.status_code == 201, resp.content
    resp = hr.post(BJ + "values/", {"period": "2026-03", "rows": [
        {"metric": "claim_days", "department": "claims", "value": "1.50"}]}, format="json")
    assert resp.status_code == 200, resp.content
    resp = hr.post(BJ + "cycles/", {"period": "2026-03"}, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["kind"] == "monthly" and resp.json()["ends_on"] == "2026-03-31"
    return resp.json()["id"]


def answer_survey(api, org, cycle_id, answers):
    resp = api(org.hr).post(BJ + f"cycles/{cycle_id}/surveys/", {"department": "claims", "title": "理赔服务满意度"},
                            format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["scale"] == {"满意": "10", "一般": "5", "不满意": "0"}
    survey_id = resp.json()["id"]
    respondents = [org.members["finance"][0], org.members["cs"][0], org.members["hr"][0], org.members["si"][0]]
    for user, answer in zip(respondents, answers):
        r = api(user).post(BJ + f"surveys/{survey_id}/answers/", {"answer": answer}, format="json")
        assert r.status_code == 201, r.content
    return survey_id


def my_score(api, user):
    resp = api(user).get(BJ + "my-scores/")
    assert resp.status_code == 200
    return resp.json()[0]


def test_survey_answers_10_5_0_are_averaged_into_the_department_indicator(api, org, claims_cycle,
                                                                          django_capture_on_commit_callbacks):
    answer_survey(api, org, claims_cycle, ["满意", "一般", "不满意"])

    result = compute(api(org.hr), claims_cycle, django_capture_on_commit_callbacks)

    assert result["scores"] == 3 and result["lines"] == 6  # manager + 2 members of 理赔部
    score = my_score(api, org.members["claims"][1])
    lines = {ln["indicator"]: ln for ln in score["lines"]}
    assert (lines["survey"]["actual"], lines["survey"]["raw_score"], lines["survey"]["weighted"]) == ("5.00", "50.00", "25.00")
    assert (lines["days"]["actual"], lines["days"]["raw_score"], lines["days"]["weighted"]) == ("1.50", "100.00", "50.00")
    assert score["total"] == "75.00" and score["computed_total"] == "75.00"
    assert "满意度: 实际5" in lines["survey"]["explanation"]


def test_a_configured_scale_and_two_answers(api, org, claims_cycle, django_capture_on_commit_callbacks):
    resp = api(org.hr).post(BJ + f"cycles/{claims_cycle}/surveys/", {
        "department": "claims", "title": "x", "scale": {"很好": 10, "好": 8, "差": 2}}, format="json")
    sid = resp.json()["id"]
    api(org.members["cs"][0]).post(BJ + f"surveys/{sid}/answers/", {"answer": "好"}, format="json")
    api(org.members["hr"][0]).post(BJ + f"surveys/{sid}/answers/", {"answer": "差"}, format="json")
    compute(api(org.hr), claims_cycle, django_capture_on_commit_callbacks)
    lines = {ln["indicator"]: ln for ln in my_score(api, org.members["claims"][0])["lines"]}
    assert lines["survey"]["actual"] == "5.00"


@pytest.mark.parametrize("who, answer, field", [
    ("claims", "满意", "answer"),   # own department may not rate itself
    ("cs", "非常满意", "answer"),   # not on the scale
])
def test_bad_survey_answers_are_refused(api, org, claims_cycle, who, answer, field):
    resp = api(org.hr).post(BJ + f"cycles/{claims_cycle}/surveys/", {"department": "claims", "title": "x"}, format="json")
    with in_branch("bj"):
        before = SurveyAnswer.objects.count()
    r = api(org.members[who][0]).post(BJ + f"surveys/{resp.json()['id']}/answers/", {"answer": answer}, format="json")
    assert r.status_code == 400 and r.json()[field]
    with in_branch("bj"):
        assert SurveyAnswer.objects.count() == before


@pytest.fixture
def computed(api, org, claims_cycle, django_capture_on_commit_callbacks):
    answer_survey(api, org, claims_cycle, ["满意", "满意", "满意"])
    compute(api(org.hr), claims_cycle, django_capture_on_commit_callbacks)
    with in_branch("bj"):
        return {s.user_id: s.pk for s in Score.objects.filter(cycle_id=claims_cycle)}


def test_manager_adjusts_own_department_score_with_a_note_and_it_is_audited(api, org, claims_cycle, computed):
    target = org.members["claims"][0]
    resp = api(org.managers["claims"]).post(BJ + f"scores/{computed[target.pk]}/adjust/",
                                            {"total": "92.50", "note": "客户表扬三次"}, format="json")
    assert resp.status_code == 200, resp.content
    assert (resp.json()["total"], resp.json()["computed_total"], resp.json()["adjusted"]) == ("92.50", "100.00", True)
    with in_branch("bj"):
        record = Score.history.filter(id=computed[target.pk]).latest("history_date")
        assert record.history_user_id == org.managers["claims"].pk
        assert record.history_change_reason == "adjusted: 客户表扬三次"
        assert record.total == Decimal("92.50")


def test_recompute_keeps_the_adjustment_and_does_not_duplicate(api, org, claims_cycle, computed,
                                                               django_capture_on_commit_callbacks):
    target = org.members["claims"][0]
    api(org.managers["claims"]).post(BJ + f"scores/{computed[target.pk]}/adjust/", {"total": "90", "note": "n"},
                                     format="json")
    compute(api(org.hr), claims_cycle, django_capture_on_commit_callbacks)
    with in_branch("bj"):
        assert Score.objects.filter(cycle_id=claims_cycle).count() == 3
        assert ScoreLine.objects.filter(score__cycle_id=claims_cycle).count() == 6
        assert Score.objects.get(pk=computed[target.pk]).total == Decimal("90.00")


def test_nightly_recompute_takes_late_values_into_cycles_under_review(api, org, claims_cycle, computed):
    from performance import tasks

    hr = api(org.hr)
    adjusted = org.members["claims"][0]
    api(org.managers["claims"]).post(BJ + f"scores/{computed[adjusted.pk]}/adjust/", {"total": "90", "note": "n"},
                                     format="json")
    # April: a cycle nobody has computed yet; March's claim days corrected late from 1.5 to 3 (over the target).
    assert hr.post(BJ + "cycles/", {"period": "2026-04"}, format="json").status_code == 201
    assert hr.post(BJ + "values/", {"period": "2026-03", "rows": [
        {"metric": "claim_days", "department": "claims", "value": "3.00"}]}, format="json").status_code == 200
    with in_branch("bj"):
        other = Score.objects.get(cycle_id=claims_cycle, user=org.members["claims"][1])
        assert other.total == Decimal("100.00")
        assert tasks.recompute_computed_cycles() == 1
        other.refresh_from_db()
        assert other.total < Decimal("100.00")  # the late value reached the score
        assert Score.objects.get(pk=computed[adjusted.pk]).total == Decimal("90.00")  # the adjustment stays
        assert not Score.objects.filter(cycle__period="2026-04").exists()
        services.cycle_finalise(actor=org.boss, cycle_id=claims_cycle)
        assert tasks.recompute_computed_cycles() == 0  # finalised: never recomputed


@pytest.mark.parametrize("body, field", [
    ({"total": "100.01", "note": "x"}, "total"),   # above the template's maximum (100)
    ({"total": "-1", "note": "x"}, "total"),
    ({"total": "80.123", "note": "x"}, "total"),   # over-precise
    ({"total": "80", "note": " "}, "note"),
])
def test_scores_outside_their_range_are_refused(api, org, computed, body, field):
    target = org.members["claims"][0]
    resp = api(org.managers["claims"]).post(BJ + f"scores/{computed[target.pk]}/adjust/", body, format="json")
    assert resp.status_code == 400 and resp.json()[field]
    with in_branch("bj"):
        s = Score.objects.get(pk=computed[target.pk])
        assert (s.total, s.adjusted, Score.history.filter(id=s.pk).count()) == (Decimal("100.00"), False, 0)


def test_a_manager_cannot_see_or_adjust_another_department(api, org, computed):
    cs_manager = api(org.managers["cs"])
    claims_score = computed[org.members["claims"][0].pk]
    cycle_id = api(org.hr).get(BJ + "cycles/").json()[0]["id"]

    assert cs_manager.get(BJ + f"cycles/{cycle_id}/scores/").json() == []
    assert cs_manager.get(BJ + f"scores/{claims_score}/").status_code == 404
    resp = cs_manager.post(BJ + f"scores/{claims_score}/adjust/", {"total": "10", "note": "x"}, format="json")
    assert resp.status_code == 404
    # a member sees their own score but may not adjust it, nor see a colleague's
    member = api(org.members["claims"][0])
    assert member.get(BJ + f"scores/{claims_score}/").status_code == 200
    assert member.post(BJ + f"scores/{claims_score}/adjust/", {"total": "10", "note": "x"}, format="json").status_code == 403
    assert member.get(BJ + f"scores/{computed[org.members['claims'][1].pk]}/").status_code == 404
    # the claims manager sees exactly their department
    names = {s["username"] for s in api(org.managers["claims"]).get(BJ + f"cycles/{cycle_id}/scores/").json()}
    assert names == {"p_claims_mgr", "p_claims_1", "p_claims_2"}
    with in_branch("bj"):
        s = Score.objects.get(pk=claims_score)
        assert (s.total, s.adjusted) == (Decimal("100.00"), False)


def test_another_branch_gets_404_for_everything(api, org, computed):
    stranger = make_user("p_gz_mgr", ("gz", "branch_manager"))
    claims_score = computed[org.members["claims"][0].pk]
    client = api(stranger)
    assert client.get(BJ + "cycles/").status_code == 404
    assert client.get(BJ + f"scores/{claims_score}/").status_code == 404
    assert client.post(BJ + f"scores/{claims_score}/adjust/", {"total": "1", "note": "x"}, format="json").status_code == 404
    assert client.post(BJ + "cycles/", {"period": "2026-04"}, format="json").status_code == 404
    # and in its own branch the bj scores simply do not exist
    assert client.get(f"/b/gz/api/v1/performance/scores/{claims_score}/").status_code == 404
    with in_branch("bj"):
        assert AppraisalCycle.objects.count() == 1
        assert Score.objects.get(pk=claims_score).adjusted is False


def test_finalising_twice_is_refused_and_changes_nothing(api, org, claims_cycle, computed):
    boss = api(org.boss)
    assert api(org.hr).post(BJ + f"cycles/{claims_cycle}/finalise/").status_code == 403  # branch staff: no
    resp = boss.post(BJ + f"cycles/{claims_cycle}/finalise/")
    assert resp.status_code == 200 and resp.json()["status"] == "finalised"
    with in_branch("bj"):
        first = AppraisalCycle.objects.get(pk=claims_cycle)
        history = AppraisalCycle.history.filter(id=claims_cycle).count()

    resp = boss.post(BJ + f"cycles/{claims_cycle}/finalise/")
    assert resp.status_code == 400
    assert resp.json() == {"status": ["该考核周期已定稿,不能重复定稿。"]}
    with in_branch("bj"):
        again = AppraisalCycle.objects.get(pk=claims_cycle)
        assert (again.finalised_at, again.finalised_by_id) == (first.finalised_at, org.boss.pk)
        assert AppraisalCycle.history.filter(id=claims_cycle).count() == history
    # nor may a finalised cycle be adjusted or recomputed
    target = computed[org.members["claims"][0].pk]
    r = api(org.managers["claims"]).post(BJ + f"scores/{target}/adjust/", {"total": "1", "note": "x"}, format="json")
    assert r.status_code == 400 and "已定稿" in r.json()["status"][0]
    assert api(org.hr).post(BJ + f"cycles/{claims_cycle}/compute/").status_code == 400


def test_finalising_an_uncomputed_cycle_is_refused(api, org, claims_cycle):
    resp = api(org.boss).post(BJ + f"cycles/{claims_cycle}/finalise/")
    assert resp.status_code == 400 and "尚未计算" in resp.json()["status"][0]


@pytest.mark.parametrize("body, field", [
    ({"period": "2026-13"}, "period"),
    ({"period": "2026-Q5"}, "period"),
])
def test_bad_cycles_are_refused(api, org, body, field):
    resp = api(org.hr).post(BJ + "cycles/", body, format="json")
    assert resp.status_code == 400 and resp.json()[field]
    with in_branch("bj"):
        assert AppraisalCycle.objects.count() == 0


def test_openings_are_read_from_clients_and_seasonal_variant_applies(api, org, django_capture_on_commit_callbacks):
    from clients.models import Client

    hr = api(org.hr)
    hr.post(BJ + "templates/", {"code": "si-kpi", "name": "社保部", "department": "si", "effective_from": "2026-01-01",
                                "indicators": [indicator("open", "openings", 100, 4)]}, format="json")
    r = hr.post(BJ + "templates/si-kpi/versions/", {
        "season": "peak", "season_label": "开门红", "months": [1, 2, 3], "effective_from": "2026-01-01",
        "indicators": [indicator("open", "openings", 100, 8, formula="capped", params={"cap": 120})]}, format="json")
    assert r.status_code == 201, r.content
    person = org.members["si"][0]
    with in_branch("bj"):
        for n, day in enumerate([date(2026, 3, 2), date(2026, 3, 31), date(2026, 4, 1)]):
            Client.objects.create(name=f"c{n}", headcount=10, opened_on=day, opened_by_id=person.pk)
    march = hr.post(BJ + "cycles/", {"period": "2026-03"}, format="json").json()["id"]
    april = hr.post(BJ + "cycles/", {"period": "2026-04"}, format="json").json()["id"]
    compute(hr, march, django_capture_on_commit_callbacks)
    compute(hr, april, django_capture_on_commit_callbacks)
    scores = {s["cycle"]: s for s in my_score_list(api, person)}
    assert scores["2026-03"]["total"] == "25.00"   # 开门红: 2 of 8
    assert scores["2026-04"]["total"] == "25.00"   # all-year: 1 of 4
    assert scores["2026-03"]["lines"][0]["target"] == "8.00"
    assert scores["2026-04"]["lines"][0]["target"] == "4.00"


def my_score_list(api, user):
    return api(user).get(BJ + "my-scores/").json()


def test_attrition_flags_are_explained_per_person(api, org, django_capture_on_commit_callbacks):
    hr = api(org.hr)
    hr.post(BJ + "templates/", {"code": "cs-kpi", "name": "客服部", "department": "cs", "effective_from": "2026-01-01",
                                "indicators": [indicator("q", "quality", 100, 100)]}, format="json")
    person = org.members["cs"][0]
    hr.post(BJ + "values/", {"period": "2026-02", "rows": [{"metric": "quality", "username": person.username,
                                                            "value": "90"}]}, format="json")
    hr.post(BJ + "values/", {"period": "2026-03", "rows": [
        {"metric": "quality", "username": person.username, "value": "75"},
        {"metric": "attendance_anomalies", "username": person.username, "value": "4"}]}, format="json")
    feb = hr.post(BJ + "cycles/", {"period": "2026-02"}, format="json").json()["id"]
    mar = hr.post(BJ + "cycles/", {"period": "2026-03"}, format="json").json()["id"]
    compute(hr, feb, django_capture_on_commit_callbacks)
    compute(hr, mar, django_capture_on_commit_callbacks)

    flags = api(org.managers["cs"]).get(BJ + f"cycles/{mar}/risk-flags/").json()
    mine = [f for f in flags if f["username"] == person.username]
    assert mine[0]["level"] == "high"
    assert [r["zh"] for r in mine[0]["reasons"]] == ["本期考勤异常4次(≥3)", "绩效得分由90降至75,下降15分"]
    # another department's manager does not see them
    assert api(org.managers["claims"]).get(BJ + f"cycles/{mar}/risk-flags/").json() == []
    with in_branch("bj"):
        assert RiskFlag.objects.filter(cycle_id=mar).count() >= 1


def test_out_of_range_values_are_refused(api, org):
    from performance.models import EnteredValue

    resp = api(org.hr).post(BJ + "values/", {"period": "2026-03", "rows": [
        {"metric": "claim_days", "department": "claims", "value": "1"},
        {"metric": "new_hire_arrival_rate", "department": "hr", "value": "101"}]}, format="json")
    assert resp.status_code == 400 and "0到100" in resp.json()["row 2"][0]
    resp = api(org.hr).post(BJ + "values/", {"period": "2026-03", "rows": [
        {"metric": "survey_score", "department": "claims", "value": "1"}]}, format="json")
    assert resp.status_code == 400
    with in_branch("bj"):
        assert EnteredValue.objects.count() == 0


def test_hq_audit_trail_shows_the_adjustment_with_before_and_after(api, org, computed, hq_admin):
    target = computed[org.members["claims"][0].pk]
    api(org.managers["claims"]).post(BJ + f"scores/{target}/adjust/", {"total": "88", "note": "复核"}, format="json")
    rows = api(hq_admin).get("/api/v1/audit/?model=performance.Score&branch=bj").json()
    assert rows[0]["user_id"] == org.managers["claims"].pk and rows[0]["reason"] == "adjusted: 复核"
    assert rows[0]["object_id"] == str(target) and rows[0]["branch"] == "bj"
    changes = {c["field"]: (c["before"], c["after"]) for c in rows[0]["changes"]}
    assert changes["total"] == ("100.00", "88.00") and changes["adjust_note"] == ("", "复核")


def test_the_database_refuses_to_change_a_finalised_cycles_scores(api, org, claims_cycle, computed):
    from django.db import DatabaseError, transaction

    api(org.boss).post(BJ + f"cycles/{claims_cycle}/finalise/")
    with in_branch("bj"):
        with pytest.raises(DatabaseError, match="frozen"), transaction.atomic():
            Score.objects.filter(cycle_id=claims_cycle).update(total=Decimal("1.00"))
        assert set(Score.objects.filter(cycle_id=claims_cycle).values_list("total", flat=True)) == {Decimal("100.00")}


def test_a_kpi_on_commission_shows_the_amount_only_to_the_person_managers_and_hq(api, org,
                                                                                 django_capture_on_commit_callbacks):
    """Colleagues' pay is for managers and HQ (薪酬保密): HR staff and a department head see the
    total, not the line's commission, score or weighted score (score × the template's target gives
    the amount back), and only those who read pay may set a KPI on it (HR choosing the target could
    turn any score into an amount)."""
    from django.test import Client as WebClient

    from performance.models import KpiTemplate

    hr = api(org.hr)
    template = {"code": "claims-pay", "name": "理赔部考核", "department": "claims", "effective_from": "2026-01-01",
                "indicators": [indicator("pay", "commission", 100, 1000, name="提成额")]}
    refused = hr.post(BJ + "templates/", template, format="json")
    assert refused.status_code == 400 and "提成类指标只能由分公司经理或总部设定" in str(refused.json())
    with in_branch("bj"):
        assert not KpiTemplate.objects.filter(code="claims-pay").exists()
    # … nor through a points formula's gate (its note named the value: "commission=876.54达标")
    gated = {**template, "indicators": [indicator("q", "claim_days", 100, 2, formula="points", params={
        "gate_metric": "commission", "gate_target": "500", "gate_points": "20", "points_per_percent": "1",
        "max": "100"})]}
    refused = hr.post(BJ + "templates/", gated, format="json")
    assert refused.status_code == 400 and "提成类指标只能由分公司经理或总部设定" in str(refused.json())
    r = api(org.boss).post(BJ + "templates/", template, format="json")
    assert r.status_code == 201, r.content
    person = org.members["claims"][0]
    # commission figures are entered by those who read pay, not by HR
    values = {"period": "2026-03", "rows": [{"metric": "commission", "username": person.username, "value": "876.54"}]}
    refused = hr.post(BJ + "values/", values, format="json")
    assert refused.status_code == 400 and "提成数据只能由分公司经理或总部录入" in str(refused.json())
    r = api(org.boss).post(BJ + "values/", values, format="json")
    assert r.status_code == 200, r.content
    cycle_id = hr.post(BJ + "cycles/", {"period": "2026-03"}, format="json").json()["id"]
    compute(hr, cycle_id, django_capture_on_commit_callbacks)
    with in_branch("bj"):
        score_id = Score.objects.get(cycle_id=cycle_id, user=person).pk

    def line(user):
        body = api(user).get(BJ + f"scores/{score_id}/")
        assert body.status_code == 200, (user.username, body.content)
        return body.json()["lines"][0]

    # HR staff run the appraisal but read no one's score (scores are for managers and HQ).
    assert api(org.hr).get(BJ + f"scores/{score_id}/").status_code == 404
    for reader in (org.managers["claims"],):
        hidden = line(reader)
        assert (hidden["actual"], hidden["target"], hidden["raw_score"], hidden["weighted"]) == (None,) * 4
        assert "876.54" not in str(hidden) and "87.65" not in str(hidden) and "薪酬保密" in hidden["explanation"]
        page = WebClient()
        page.force_login(reader)
        html = page.get(f"/b/bj/performance/scores/{score_id}/").content.decode()
        assert "876.54" not in html and "薪酬保密" in html and "None" not in html
    for reader in (org.boss, person):
        assert line(reader)["actual"] == "876.54"


def test_a_branch_managers_score_is_adjusted_by_hq_not_by_those_who_report_to_them(
        api, org, claims_cycle, django_capture_on_commit_callbacks):
    """HR staff could set the branch manager's appraisal to 0 (found by an attack review)."""
    with in_branch("bj"):
        services.member_set(actor=org.hr, department=org.depts["claims"], user=org.boss, role="member")
    answer_survey(api, org, claims_cycle, ["满意", "满意", "满意"])
    compute(api(org.hr), claims_cycle, django_capture_on_commit_callbacks)
    with in_branch("bj"):
        boss_score = Score.objects.get(cycle_id=claims_cycle, user=org.boss).pk
        colleague = Score.objects.get(cycle_id=claims_cycle, user=org.members["claims"][1]).pk
        before = Score.objects.get(pk=boss_score).total

    refused = api(org.managers["claims"]).post(BJ + f"scores/{boss_score}/adjust/", {"total": "0", "note": "x"},
                                               format="json")
    assert refused.status_code == 403
    # HR staff neither read nor adjust anyone's score (the review of 2026-12-05 saw a staff
    # adjustment shown to the person as "经理调整").
    for score in (boss_score, colleague):
        assert api(org.hr).post(BJ + f"scores/{score}/adjust/", {"total": "0", "note": "x"},
                                format="json").status_code == 404
    assert api(org.managers["claims"]).post(BJ + f"scores/{colleague}/adjust/", {"total": "90", "note": "复核"},
                                            format="json").status_code == 200  # the department head adjusts theirs
    with in_branch("bj"):
        assert Score.objects.get(pk=boss_score).total == before
    admin = make_user("p_hq_admin", (None, "hq_admin"))
    assert api(admin).post(BJ + f"scores/{boss_score}/adjust/", {"total": "95", "note": "总部复核"},
                           format="json").status_code == 200
    with in_branch("bj"):
        assert Score.objects.get(pk=boss_score).total == Decimal("95.00")

