"""A record's id in a form field or a query that is not a record's id ("abc", "²", "1.5", digits
past bigint): read by the core's id parser, answered with a message or as missing, never a 500,
and nothing changes."""
from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from tests.commissions.conftest import people  # noqa: F401  (fixture)
from tests.conftest import in_branch

pytestmark = pytest.mark.django_db

NOT_IDS = ["abc", "²", "1.5", "", "-3", "9" * 30]


@pytest.fixture(autouse=True)
def _chinese_again_afterwards():
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _login(user, language: str | None = None) -> Client:
    c = Client(raise_request_exception=False)
    c.force_login(user)
    if language:
        c.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return c


def _disputed_lead(people) -> int:
    r = _login(people["bj_mkt"]).post("/b/bj/leads/new/", {"name": "恒泰制造", "owner": "bj_sales"})
    lead_id = int(re.search(r"/leads/(\d+)/", r["Location"]).group(1))
    assert _login(people["bj_sales"]).post(f"/b/bj/leads/{lead_id}/", {
        "action": "dispute", "reason": "老客户转介绍"}).status_code == 302
    return lead_id


def _disputes():
    from commissions.models import Lead, LeadDispute

    with in_branch("bj"):
        return (sorted(LeadDispute.objects.values_list("pk", "status", "decision_note")),
                sorted(Lead.objects.values_list("pk", "source", "marketer_id", "owner_id")), Lead.history.count())


@pytest.mark.parametrize("dispute", NOT_IDS)
def test_a_decision_on_a_dispute_id_that_is_not_one_says_so_and_changes_nothing(people, dispute):
    lead_id = _disputed_lead(people)
    before = _disputes()
    manager = _login(people["bj_manager"])
    r = manager.post(f"/b/bj/leads/{lead_id}/", {"action": "decide", "dispute": dispute, "upheld": "true",
                                                 "note": "x"}, follow=True)
    assert r.status_code == 200 and r.redirect_chain == [(f"/b/bj/leads/{lead_id}/", 302)]
    assert "请选择要裁决的争议。" in r.content.decode()
    assert _disputes() == before
    r = _login(people["bj_manager"], "en").post(f"/b/bj/leads/{lead_id}/", {
        "action": "decide", "dispute": dispute, "upheld": "true", "note": "x"}, follow=True)
    assert "Choose the dispute to decide." in r.content.decode()
    assert _disputes() == before


def test_revoking_a_role_by_a_membership_id_that_is_not_one_is_missing(people, hq_admin):
    from branches.models import BranchMembership

    memberships = sorted(BranchMembership.objects.values_list("pk", "user_id", "role"))
    hq = _login(hq_admin)
    for membership in ("abc", "²", "1.5", "9" * 30):
        r = hq.post(f"/people/{people['bj_s1'].pk}/", {"action": "revoke", "membership": membership})
        assert r.status_code == 404, (membership, r.status_code)
    assert sorted(BranchMembership.objects.values_list("pk", "user_id", "role")) == memberships


@pytest.mark.parametrize("adjustment", ["abc", "²", "1.5", "9" * 30])
def test_the_planning_page_replays_no_proposal_for_an_id_that_is_not_one(people, adjustment):
    r = _login(people["bj_manager"]).get(f"/b/bj/commissions/adjustments/planning/?adjustment={adjustment}")
    assert r.status_code == 404


@pytest.mark.parametrize("employee", ["abc", "²", "9" * 30])
def test_the_landing_sentence_of_an_employee_id_that_is_not_one_is_missing(people, employee):
    r = _login(people["bj_staff"]).get(f"/b/bj/si/employees/lands-in/?employee={employee}&end_date=2026-03-31")
    assert r.status_code == 404
