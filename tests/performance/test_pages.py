"""Server-rendered pages: HR, managers and people see what they may, through the same services."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from performance import services
from performance.models import AppraisalCycle, Score
from tests.conftest import in_branch
from tests.performance.conftest import BJ, indicator

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


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
    resp = browser(org.boss).post(f"/b/bj/performance/cycles/{cycle_id}/finalise/")
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
    assert "50.00" in page  # 2 / 4 days × 100
    assert "理赔时效: 实际4,目标≤2,得50分" in page
