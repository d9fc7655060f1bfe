"""HQ: `/api/v1/si/cities/…` (per-city operating settings), `PATCH /api/v1/si/policies/<id>/`
(sources, confidence, notes) and the 城市运营设置 page."""
from __future__ import annotations

import re

import pytest
from django.test import Client as WebClient

from social_insurance.policies.models import CityPolicy, CitySetting
from tests.factories import make_user

pytestmark = pytest.mark.django_db
CITIES = "/api/v1/si/cities/"
DEFAULTS = {"configured": False, "add_cutoff_day": None, "remove_covers_leaving_month": False,
            "back_payment_months_limit": 3, "reconcile_day": 5, "file_day": 10}


@pytest.fixture
def finance(db):
    return make_user("hq_fin", (None, "hq_finance"))


def _settings():
    return sorted(CitySetting.objects.values_list("city", "add_cutoff_day", "remove_covers_leaving_month",
                                                  "back_payment_months_limit", "reconcile_day", "file_day"))


def _policy_state(pk):
    policy = CityPolicy.objects.get(pk=pk)
    return policy.confidence, policy.sources, policy.notes, CityPolicy.history.filter(id=pk).count()


# ---------------------------------------------------------------------------------------------
# Cities
# ---------------------------------------------------------------------------------------------
def test_hq_reads_every_city_with_defaults_until_set(api, hq_admin, finance):
    for user in (hq_admin, finance):
        resp = api(user).get(CITIES)
        assert resp.status_code == 200
        rows = {r["city"]: r for r in resp.json()}
        assert list(rows) == sorted(set(CityPolicy.objects.values_list("city", flat=True)))
        assert rows["beijing"] == {"city": "beijing", "name": "北京", **DEFAULTS}
        assert rows["hangzhou"]["name"] == "杭州"


def test_admin_patches_some_settings_and_the_rest_keep_their_defaults(api, hq_admin, finance):
    resp = api(hq_admin).patch(f"{CITIES}beijing/", {"add_cutoff_day": 15, "remove_covers_leaving_month": True},
                               format="json")

    assert resp.status_code == 200, resp.content
    expected = {"city": "beijing", "name": "北京", **DEFAULTS, "configured": True, "add_cutoff_day": 15,
                "remove_covers_leaving_month": True}
    assert resp.json() == expected
    assert _settings() == [("beijing", 15, True, 3, 5, 10)]
    assert CitySetting.history.filter(city="beijing").first().history_user_id == hq_admin.pk
    assert api(finance).get(f"{CITIES}beijing/").json() == expected
    assert {r["city"]: r for r in api(finance).get(CITIES).json()}["shanghai"]["configured"] is False

    cleared = api(hq_admin).patch(f"{CITIES}beijing/", {"add_cutoff_day": None, "reconcile_day": 3, "file_day": 8,
                                                         "back_payment_months_limit": 0}, format="json")
    assert cleared.status_code == 200
    assert _settings() == [("beijing", None, True, 0, 3, 8)]


@pytest.mark.parametrize("body, field", [
    ({"add_cutoff_day": 32}, "add_cutoff_day"),
    ({"add_cutoff_day": 0}, "add_cutoff_day"),
    ({"file_day": 0}, "file_day"),
    ({"file_day": 29}, "file_day"),
    ({"reconcile_day": 7, "file_day": 6}, "reconcile_day"),
    ({"file_day": 4}, "file_day"),  # before the default reconcile day (5)
    ({"reconcile_day": 12}, "reconcile_day"),  # after the default file day (10)
    ({"back_payment_months_limit": 61}, "back_payment_months_limit"),
    ({"back_payment_months_limit": -1}, "back_payment_months_limit"),
    ({"reconcile_day": True}, "reconcile_day"),
    ({"reconcile_day": "5.5"}, "reconcile_day"),
    ({"reconcile_day": None}, "reconcile_day"),
    ({"file_day": [10]}, "file_day"),
    ({"remove_covers_leaving_month": "yes"}, "remove_covers_leaving_month"),
    ({"remove_covers_leaving_month": 1}, "remove_covers_leaving_month"),
    ({"remove_covers_leaving_month": None}, "remove_covers_leaving_month"),
    ({"cutoff": 5}, "detail"),
    ({}, "detail"),
    (["add_cutoff_day"], "detail"),
])
def test_bad_settings_are_refused_and_nothing_changes(api, hq_admin, body, field):
    api(hq_admin).patch(f"{CITIES}shanghai/", {"add_cutoff_day": 20}, format="json")
    before = _settings()

    resp = api(hq_admin).patch(f"{CITIES}shanghai/", body, format="json")
    assert resp.status_code == 400
    assert list(resp.json()) == [field] and isinstance(resp.json()[field][0], str)
    resp = api(hq_admin).patch(f"{CITIES}beijing/", body, format="json")
    assert resp.status_code == 400 and list(resp.json()) == [field]
    assert _settings() == before == [("shanghai", 20, False, 3, 5, 10)]


def test_every_bad_setting_is_reported_at_once(api, hq_admin):
    resp = api(hq_admin).patch(f"{CITIES}beijing/", {"reconcile_day": True, "file_day": "x",
                                                      "remove_covers_leaving_month": "no"}, format="json")

    assert resp.status_code == 400
    assert sorted(resp.json()) == ["file_day", "reconcile_day", "remove_covers_leaving_month"]
    assert _settings() == []


def test_unknown_city_is_404(api, hq_admin, finance):
    assert api(hq_admin).patch(f"{CITIES}wuhan/", {"file_day": 9}, format="json").status_code == 404
    assert api(hq_admin).patch(f"{CITIES}wuhan/", {"file_day": 0}, format="json").status_code == 404
    assert api(finance).get(f"{CITIES}wuhan/").status_code == 404
    assert _settings() == []


def test_only_the_hq_admin_may_change_settings(api, finance, branches):
    manager = make_user("bj_mgr", ("bj", "branch_manager"), home="bj")

    assert api(finance).patch(f"{CITIES}beijing/", {"file_day": 9}, format="json").status_code == 403
    assert api(manager).patch(f"{CITIES}beijing/", {"file_day": 9}, format="json").status_code == 403
    assert api(manager).get(CITIES).status_code == 403
    assert api().get(CITIES).status_code == 401
    assert api().patch(f"{CITIES}beijing/", {"file_day": 9}, format="json").status_code == 401
    assert _settings() == []


# ---------------------------------------------------------------------------------------------
# Policy metadata
# ---------------------------------------------------------------------------------------------
def test_admin_changes_sources_confidence_and_notes_of_a_policy(api, hq_admin, finance):
    policy = CityPolicy.objects.get(city="guangzhou", year_label="2025年度")
    url = f"/api/v1/si/policies/{policy.pk}/"

    resp = api(hq_admin).patch(url, {"confidence": "medium", "sources": [" 广州市人社局通知 ", "广州市医保局通知"],
                                     "notes": "已与社保局电话核实"}, format="json")

    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["id"], body["confidence"], body["sources"], body["notes"]) == (
        policy.pk, "medium", ["广州市人社局通知", "广州市医保局通知"], "已与社保局电话核实")
    assert [i["type"] for i in body["items"]] == list(policy.items.values_list("kind", flat=True))
    record = CityPolicy.history.filter(id=policy.pk).latest("history_date")
    assert (record.history_user_id, record.confidence, record.notes) == (hq_admin.pk, "medium", "已与社保局电话核实")
    assert api(finance).get(url).json() == body

    only_notes = api(hq_admin).patch(url, {"notes": ""}, format="json").json()
    assert (only_notes["confidence"], only_notes["notes"]) == ("medium", "")


@pytest.mark.parametrize("body, field", [
    ({"confidence": "certain"}, "confidence"),
    ({"confidence": None}, "confidence"),
    ({"confidence": ["high"]}, "confidence"),
    ({"sources": []}, "sources"),
    ({"sources": "人社局"}, "sources"),
    ({"sources": ["人社局", " "]}, "sources"),
    ({"sources": ["x" * 501]}, "sources"),
    ({"sources": None}, "sources"),
    ({"notes": 5}, "notes"),
    ({"notes": None}, "notes"),
    ({"notes": "x" * 2001}, "notes"),
    ({"notes": "a\x00b"}, "notes"),
    ({"base_floor": "1.00"}, "detail"),
    ({"notes": "ok", "effective_from": "2025-01-01"}, "detail"),
    ({}, "detail"),
    (["notes"], "detail"),
])
def test_bad_metadata_is_refused_and_nothing_changes(api, hq_admin, body, field):
    policy = CityPolicy.objects.get(city="guangzhou", year_label="2025年度")
    before = _policy_state(policy.pk)

    resp = api(hq_admin).patch(f"/api/v1/si/policies/{policy.pk}/", body, format="json")

    assert resp.status_code == 400
    assert list(resp.json()) == [field] and isinstance(resp.json()[field][0], str)
    assert _policy_state(policy.pk) == before


def test_policy_patch_roles_and_unknown_policy(api, hq_admin, finance):
    policy = CityPolicy.objects.get(city="beijing", year_label="2025年度")
    before = _policy_state(policy.pk)
    url = f"/api/v1/si/policies/{policy.pk}/"

    assert api(finance).patch(url, {"notes": "财务改的"}, format="json").status_code == 403
    assert api().patch(url, {"notes": "匿名"}, format="json").status_code == 401
    assert api(hq_admin).patch("/api/v1/si/policies/999999/", {"notes": "x"}, format="json").status_code == 404
    assert api(finance).get("/api/v1/si/policies/999999/").status_code == 404
    assert _policy_state(policy.pk) == before


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------
def web(user=None):
    c = WebClient()
    if user is not None:
        c.force_login(user)
    return c


def field_error(html: str, field: str) -> list[str]:
    return re.findall(rf'<p class="field-error" data-field="{field}">([^<]*)</p>', html)


def _form(city: str, **over) -> dict:
    values = {"add_cutoff_day": "", "back_payment_months_limit": "3", "reconcile_day": "5", "file_day": "10"}
    values.update(over)
    data = {"city": city, **{f"{city}-{k}": v for k, v in values.items() if v is not None}}
    return data


def test_policies_page_links_to_the_settings_page_which_admin_edits(hq_admin):
    page = web(hq_admin)
    assert 'href="/si/cities/"' in page.get("/si/policies/").content.decode()

    html = page.get("/si/cities/").content.decode()
    assert 'data-testid="city-beijing"' in html and 'name="beijing-file_day"' in html and "默认值" in html

    resp = page.post("/si/cities/", _form("beijing", add_cutoff_day="15", remove_covers_leaving_month="on",
                                          back_payment_months_limit="6", reconcile_day="4", file_day="9"))
    assert resp.status_code == 302 and resp["Location"] == "/si/cities/#city-beijing"
    assert _settings() == [("beijing", 15, True, 6, 4, 9)]
    html = page.get("/si/cities/").content.decode()
    assert "已保存北京的设置。" in html and 'name="beijing-add_cutoff_day" value="15"' in html


def test_page_shows_errors_next_to_the_fields_and_saves_nothing(hq_admin):
    page = web(hq_admin)

    bad = page.post("/si/cities/", _form("shanghai", add_cutoff_day="40", reconcile_day="abc", file_day="0",
                                         back_payment_months_limit=""))
    html = bad.content.decode()
    assert bad.status_code == 400
    assert field_error(html, "reconcile_day") == ["须为整数。"]
    assert field_error(html, "back_payment_months_limit") == ["请填写。"]
    assert _settings() == []

    bad = page.post("/si/cities/", _form("shanghai", add_cutoff_day="40", file_day="0"))
    html = bad.content.decode()
    assert bad.status_code == 400
    assert field_error(html, "add_cutoff_day") and field_error(html, "file_day")
    assert 'name="shanghai-add_cutoff_day" value="40"' in html  # the input is kept
    assert _settings() == []

    order = page.post("/si/cities/", _form("shanghai", reconcile_day="12", file_day="10"))
    assert order.status_code == 400
    assert field_error(order.content.decode(), "reconcile_day") == ["增减员核对截止日(12 日)不能晚于申报截止日(10 日)。"]
    assert _settings() == []

    assert page.post("/si/cities/", _form("wuhan")).status_code == 404


def test_page_access_finance_reads_branch_people_and_anonymous_do_not(finance, branches):
    html = web(finance).get("/si/cities/").content.decode()
    assert 'data-testid="city-row-beijing"' in html and "<form method=\"post\" action=\"/si/cities/" not in html
    assert web(finance).post("/si/cities/", _form("beijing", file_day="9")).status_code == 403

    manager = make_user("bj_mgr", ("bj", "branch_manager"), home="bj")
    assert web(manager).get("/si/cities/").status_code == 404
    assert web(manager).post("/si/cities/", _form("beijing", file_day="9")).status_code == 404
    anonymous = web().get("/si/cities/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert _settings() == []
