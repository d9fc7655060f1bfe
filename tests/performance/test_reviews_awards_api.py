"""Multi-rater reviews across departments, quarterly awards, the OpenAPI schema."""
from __future__ import annotations

import pytest

from performance import services
from performance.models import Award, Review
from tests.conftest import in_branch
from tests.performance.conftest import BJ

pytestmark = pytest.mark.django_db


def test_reviews_from_other_departments_feed_the_peer_review_indicator(api, org, quarter):
    subject = org.members["cs"][0]
    for reviewer, points in [(org.members["finance"][0], "8"), (org.members["hr"][0], "7")]:
        r = api(reviewer).post(BJ + f"cycles/{quarter}/reviews/", {"subject": subject.username, "points": points},
                               format="json")
        assert r.status_code == 201, r.content
    with in_branch("bj"):
        services.cycle_compute(cycle_id=quarter)
    score = api(subject).get(BJ + "my-scores/").json()[0]
    lines = {ln["indicator"]: ln for ln in score["lines"]}
    assert (lines["r"]["actual"], lines["r"]["raw_score"], lines["r"]["weighted"]) == ("7.50", "75.00", "30.00")
    assert score["total"] == "84.00"  # 90 × 60% + 75 × 40%


@pytest.mark.parametrize("reviewer_dept, points, field", [
    ("cs", "8", "subject"),       # same department
    ("finance", "10.5", "points"),
    ("finance", "-1", "points"),
])
def test_bad_reviews_are_refused(api, org, quarter, reviewer_dept, points, field):
    reviewer = org.members[reviewer_dept][1]
    r = api(reviewer).post(BJ + f"cycles/{quarter}/reviews/", {"subject": org.members["cs"][0].username,
                                                               "points": points}, format="json")
    assert r.status_code == 400 and r.json()[field]
    with in_branch("bj"):
        assert Review.objects.count() == 0


def test_quarterly_awards_star_and_best_team(api, org, quarter):
    with in_branch("bj"):
        services.cycle_compute(cycle_id=quarter)
    resp = api(org.boss).post(BJ + f"cycles/{quarter}/awards/")  # the scores are the manager's to read
    assert resp.status_code == 200, resp.content
    awards = {a["kind"]: a for a in resp.json()}
    # no reviews: quality × 60% only → cs: 54, 57, 48; claims: 60, 60, 60
    assert (awards["star"]["title"], awards["star"]["username"], awards["star"]["score"]) == ("客服之星", "p_cs_2", "57.00")
    assert (awards["best_team"]["department"], awards["best_team"]["score"]) == ("claims", "60.00")
    assert "平均得分60" in awards["best_team"]["explanation"]
    api(org.hr).post(BJ + f"cycles/{quarter}/awards/")  # choosing again replaces
    with in_branch("bj"):
        assert Award.objects.count() == 2


def test_awards_only_for_computed_quarterly_cycles(api, org, quarter):
    monthly = api(org.hr).post(BJ + "cycles/", {"period": "2026-03"}, format="json").json()["id"]
    assert api(org.hr).post(BJ + f"cycles/{monthly}/awards/").json() == {"cycle": ["评奖只针对季度考核周期。"]}
    assert api(org.hr).post(BJ + f"cycles/{quarter}/awards/").status_code == 400  # not computed yet
    with in_branch("bj"):
        assert Award.objects.count() == 0


def test_performance_endpoints_are_in_the_openapi_schema(api, org):
    resp = api(org.hr).get("/b/bj/api/v1/schema/?format=json")
    assert resp.status_code == 200
    paths = set(resp.json()["paths"])
    for p in ["templates/", "templates/{code}/versions/", "values/", "cycles/", "cycles/{cycle_id}/compute/",
              "cycles/{cycle_id}/finalise/", "scores/{score_id}/adjust/", "bonus-rules/", "cycles/{cycle_id}/bonuses/",
              "surveys/{survey_id}/answers/", "cycles/{cycle_id}/awards/", "cycles/{cycle_id}/risk-flags/",
              "my-scores/"]:
        assert any(path.endswith("/api/v1/performance/" + p) for path in paths), p
