"""Recording events: roles, other branches, and bad input (specific 400, nothing saved)."""
from __future__ import annotations

import pytest

from tests.conftest import in_branch
from tests.json_numbers import NUMBERS, N, post_json, refusal

from .conftest import open_client

pytestmark = pytest.mark.django_db

GOOD_CLIENT = {"name": "甲公司", "headcount": 30, "opened_on": "2026-03-10", "opened_by": "bj_s1",
               "services": ["social_insurance", "housing_fund"]}


def _counts():
    from clients.models import Client
    from commissions.models import Lead, RecomputeMarker, Sale

    with in_branch("bj"):
        return (Client.objects.count(), Sale.objects.count(), Lead.objects.count(), RecomputeMarker.objects.count())


def test_client_created_with_marker_in_same_transaction(api, people):
    r = api(people["bj_staff"]).post("/b/bj/api/v1/clients/", GOOD_CLIENT, format="json")

    assert r.status_code == 201
    body = r.json()
    assert {k: body[k] for k in ("name", "headcount", "opened_on", "opened_by", "services")} == GOOD_CLIENT
    from commissions.models import RecomputeMarker

    with in_branch("bj"):
        # the opening month (the anniversary month is marked too once it has begun)
        assert sorted(RecomputeMarker.objects.values_list("period", flat=True)) == ["2026-03"]


def test_cross_branch_opening_marks_the_home_branch(api, people):
    r = api(people["sh_staff"]).post("/b/sh/api/v1/clients/", dict(GOOD_CLIENT, opened_by="bj_s1"), format="json")
    assert r.status_code == 201
    from commissions.models import RecomputeMarker

    with in_branch("bj"):
        assert RecomputeMarker.objects.filter(period="2026-03").count() == 1
    with in_branch("sh"):
        assert RecomputeMarker.objects.count() == 0


@pytest.mark.parametrize("role", ["bj_s1", "bj_contact", "bj_mkt"])
def test_lower_roles_cannot_record_events(api, people, role):
    before = _counts()
    client = api(people[role])
    assert client.post("/b/bj/api/v1/clients/", GOOD_CLIENT, format="json").status_code == 403
    assert client.post("/b/bj/api/v1/sales/", {"client": 1, "service": "social_insurance", "period": "2026-03",
                                                "amount": "1.00", "seller": "bj_s1"}, format="json").status_code == 403
    # a marketer records leads, but only their own marketing leads (tests/commissions/test_leads_worked.py)
    expected = 400 if role == "bj_mkt" else 403
    assert client.post("/b/bj/api/v1/leads/", {"name": "x", "source": "sales"}, format="json").status_code == expected
    assert _counts() == before


def test_other_branch_user_gets_404_and_nothing_written(api, people):
    before = _counts()
    assert api(people["sh_staff"]).post("/b/bj/api/v1/clients/", GOOD_CLIENT, format="json").status_code == 404
    assert api(people["sh_manager"]).post("/b/bj/api/v1/leads/", {"name": "x", "source": "sales"},
                                          format="json").status_code == 404
    assert _counts() == before


def test_a_client_of_another_branch_is_unknown_here(api, people):
    cid = open_client(api, people["sh_staff"], "sh", opened_by="sh_s1")
    r = api(people["bj_staff"]).post("/b/bj/api/v1/clients/%d/close/" % cid, {"closed_on": "2026-04-01"}, format="json")
    assert r.status_code == 404


@pytest.mark.parametrize("change, field", [
    ({"opened_by": "ghost"}, "opened_by"),
    ({"opened_by": "bj_staff"}, "opened_by"),  # not an earner
    ({"headcount": 0}, "headcount"),
    ({"headcount": -5}, "headcount"),
    ({"headcount": "12.5"}, "headcount"),
    ({"opened_on": "2026-02-30"}, "opened_on"),
    ({"opened_on": "10/03/2026"}, "opened_on"),
    ({"name": ""}, "name"),
    ({"services": ["cleaning"]}, "services"),
])
def test_bad_client_input_400_nothing_saved(api, people, change, field):
    before = _counts()
    r = api(people["bj_staff"]).post("/b/bj/api/v1/clients/", dict(GOOD_CLIENT, **change), format="json")
    assert r.status_code == 400
    assert list(r.json()) == [field]
    assert _counts() == before


def test_close_before_opening_refused(api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1")
    staff = api(people["bj_staff"])
    r = staff.post(f"/b/bj/api/v1/clients/{cid}/close/", {"closed_on": "2026-03-09"}, format="json")
    assert r.status_code == 400 and "closed_on" in r.json()
    assert staff.post(f"/b/bj/api/v1/clients/{cid}/close/", {"closed_on": "2026-03-10"}, format="json").status_code == 200
    r = staff.post(f"/b/bj/api/v1/clients/{cid}/close/", {"closed_on": "2026-04-10"}, format="json")
    assert r.status_code == 400
    from clients.models import Client

    with in_branch("bj"):
        assert str(Client.objects.get(pk=cid).closed_on) == "2026-03-10"


@pytest.mark.parametrize("change, field", [
    ({"amount": "100.001"}, "amount"),
    ({"amount": "-100.00"}, "amount"),
    ({"amount": "0"}, "amount"),
    ({"amount": "abc"}, "amount"),
    ({"period": "2026-13"}, "period"),
    ({"period": "2026-3"}, "period"),
    ({"period": "2026-02"}, "period"),  # before the opening month
    ({"service": "cleaning"}, "service"),
    ({"seller": "ghost"}, "seller"),
    ({"client": 999999}, "client"),
])
def test_bad_sale_input_400_nothing_saved(api, people, change, field):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1")
    before = _counts()
    body = dict({"client": cid, "service": "social_insurance", "period": "2026-03", "amount": "1000.00",
                 "seller": "bj_s1"}, **change)
    r = api(people["bj_staff"]).post("/b/bj/api/v1/sales/", body, format="json")
    assert r.status_code == 400
    assert list(r.json()) == [field]
    assert _counts() == before


def test_sale_unique_per_client_service_period(api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", services=("social_insurance", "housing_fund"))
    body = {"client": cid, "service": "social_insurance", "period": "2026-03", "amount": "1000.00", "seller": "bj_s1"}
    staff = api(people["bj_staff"])
    assert staff.post("/b/bj/api/v1/sales/", body, format="json").status_code == 201
    before = _counts()
    r = staff.post("/b/bj/api/v1/sales/", body, format="json")
    assert r.status_code == 400 and list(r.json()) == ["period"]
    assert _counts() == before
    assert staff.post("/b/bj/api/v1/sales/", dict(body, service="housing_fund"), format="json").status_code == 201


def test_sale_after_client_closed_refused(api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1")
    api(people["bj_staff"]).post(f"/b/bj/api/v1/clients/{cid}/close/", {"closed_on": "2026-04-15"}, format="json")
    body = {"client": cid, "service": "social_insurance", "amount": "1000.00", "seller": "bj_s1"}
    assert api(people["bj_staff"]).post("/b/bj/api/v1/sales/", dict(body, period="2026-04"), format="json").status_code == 201
    assert api(people["bj_staff"]).post("/b/bj/api/v1/sales/", dict(body, period="2026-05"), format="json").status_code == 400


def test_lead_validation_and_double_signing(api, people):
    staff = api(people["bj_staff"])
    before = _counts()
    assert list(staff.post("/b/bj/api/v1/leads/", {"name": "x", "source": "marketing"}, format="json").json()) == ["marketer"]
    assert list(staff.post("/b/bj/api/v1/leads/", {"name": "x", "source": "tv"}, format="json").json()) == ["source"]
    assert _counts() == before
    lead = staff.post("/b/bj/api/v1/leads/", {"name": "x", "source": "marketing", "marketer": "bj_mkt",
                                              "created_on": "2026-03-01"}, format="json").json()["id"]
    sign = {"amount": "5000.00", "signed_on": "2026-03-02", "seller": "bj_sales"}
    r = staff.post(f"/b/bj/api/v1/leads/{lead}/sign/", dict(sign, amount="1.234"), format="json")
    assert r.status_code == 400 and list(r.json()) == ["amount"]
    assert staff.post(f"/b/bj/api/v1/leads/{lead}/sign/", sign, format="json").status_code == 200
    assert staff.post(f"/b/bj/api/v1/leads/{lead}/sign/", sign, format="json").status_code == 400
    assert staff.post("/b/bj/api/v1/leads/99999/sign/", sign, format="json").status_code == 404


# Money sent as a JSON number (API.md: money is a decimal string): refused in words, nothing saved.
@pytest.mark.parametrize("literal", NUMBERS)
def test_a_sale_amount_sent_as_a_json_number_is_refused_and_nothing_saved(api, people, literal):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1")
    before = _counts()
    body = {"client": cid, "service": "social_insurance", "period": "2026-03", "amount": N, "seller": "bj_s1"}

    r = post_json(api(people["bj_staff"]), "/b/bj/api/v1/sales/", body, literal)

    assert r.status_code == 400
    assert r.json() == {"amount": [refusal()]}
    assert _counts() == before
    r = post_json(api(people["bj_staff"]), "/b/bj/api/v1/sales/", body, '"1234.50"')
    assert r.status_code == 201 and r.json()["amount"] == "1234.50"


@pytest.mark.parametrize("literal", NUMBERS)
def test_a_signing_amount_sent_as_a_json_number_is_refused_and_the_lead_stays_open(api, people, literal):
    from commissions.models import Lead

    staff = api(people["bj_staff"])
    lead = staff.post("/b/bj/api/v1/leads/", {"name": "x", "source": "marketing", "marketer": "bj_mkt",
                                              "created_on": "2026-03-01"}, format="json").json()["id"]
    before = _counts()
    body = {"amount": N, "signed_on": "2026-03-02", "seller": "bj_sales"}

    r = post_json(staff, f"/b/bj/api/v1/leads/{lead}/sign/", body, literal)

    assert r.status_code == 400
    assert r.json() == {"amount": [refusal()]}
    assert _counts() == before
    with in_branch("bj"):
        assert Lead.objects.filter(pk=lead, amount=None, signed_on=None, seller=None).exists()
    r = post_json(staff, f"/b/bj/api/v1/leads/{lead}/sign/", body, '"5000.00"')
    assert r.status_code == 200 and r.json()["amount"] == "5000.00"


@pytest.mark.parametrize("literal", ["30", "12.5", "1e2", "true"])
def test_a_service_fee_sent_as_a_json_number_is_refused_and_nothing_saved(api, people, literal):
    from clients.models import Client

    staff = api(people["bj_staff"])
    before = _counts()
    # headcount stays a JSON number (API.md), the fee is a decimal string
    r = post_json(staff, "/b/bj/api/v1/clients/", dict(GOOD_CLIENT, fee_social_insurance=N), literal)
    assert r.status_code == 400
    assert r.json() == {"fee_social_insurance": [refusal()]}
    assert _counts() == before

    cid = open_client(api, people["bj_staff"], opened_by="bj_s1")
    r = post_json(staff, f"/b/bj/api/v1/clients/{cid}/service-fees/", {"fee_social_insurance": N}, literal)
    assert r.status_code == 400
    assert r.json() == {"fee_social_insurance": [refusal()]}
    with in_branch("bj"):
        assert Client.objects.get(pk=cid).fee_social_insurance == 0
    r = post_json(staff, f"/b/bj/api/v1/clients/{cid}/service-fees/", {"fee_social_insurance": N}, '"30.00"')
    assert r.status_code == 200 and r.json()["fee_social_insurance"] == "30.00"
