"""The contract's conventions (API.md) where DRF's defaults differ: every refusal in one of the
two shapes (`{"field": [...]}` or `{"detail": "..."}`, never `non_field_errors`), in the reader's
language (not the JSON decoder's English), and a method an endpoint does not have is 405, not
a refusal that reads like a matter of roles. Each refusal changes nothing."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from branches.models import Branch, User
from tests.factories import TEST_PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_a_failed_sign_in_answers_detail_not_non_field_errors(api, branches):
    make_user("conv.user", ("bj", "specialist"))
    bad = api().post("/api/v1/auth/token/", {"username": "conv.user", "password": "wrong"}, format="json")
    assert bad.status_code == 400
    body = bad.json()
    assert list(body) == ["detail"] and isinstance(body["detail"], str) and "无法使用提供的认证信息登录" in body["detail"]


@pytest.mark.parametrize("url, body", [("/api/v1/users/", []), ("/api/v1/rules/", [])])
def test_a_body_that_is_not_an_object_answers_detail(api, hq_admin, branches, url, body):
    users = User.objects.count()
    r = api(hq_admin).post(url, body, format="json")
    assert r.status_code == 400 and list(r.json()) == ["detail"] and isinstance(r.json()["detail"], str), r.json()
    assert User.objects.count() == users


@pytest.mark.parametrize("raw", ["{", "NaN", '{"client": NaN}', "not json"])
def test_malformed_json_is_refused_in_chinese_and_english(api, hq_admin, branches, raw):
    r = api(hq_admin).post("/api/v1/branches/", raw, content_type="application/json")
    assert r.status_code == 400
    assert r.json() == {"detail": "请求体不是有效的 JSON(也不能含 NaN 或 Infinity)。"}
    english = api(hq_admin)
    english.cookies["django_language"] = "en"  # what the language menu sets
    r = english.post("/api/v1/branches/", raw, content_type="application/json")
    assert r.json() == {"detail": "The request body is not valid JSON (NaN and Infinity are not allowed either)."}
    assert not Branch.objects.filter(code="client").exists()


def test_a_session_write_without_its_csrf_token_says_so_in_the_readers_words(branches):
    make_user("conv.mgr", ("bj", "branch_manager"))
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="conv.mgr", password=TEST_PASSWORD)
    r = client.post("/b/bj/api/v1/adjustments/", {"component": "opening_reward", "percent": "5.00",
                                                   "effective_from": "2027-01-01", "reason": "试"}, format="json")
    assert r.status_code == 403
    assert r.json()["detail"].startswith("请求缺少有效的 CSRF 令牌") and "CSRF Failed" not in r.json()["detail"]


@pytest.mark.parametrize("method, url, user", [
    ("put", "/api/v1/branches/", "hq"), ("put", "/api/v1/rules/", "hq"), ("delete", "/api/v1/users/", "hq"),
    ("patch", "/b/bj/api/v1/adjustments/", "manager"), ("get", "/b/bj/api/v1/sales/", "manager"),
    ("put", "/b/bj/api/v1/recompute/", "manager"),
])
def test_a_method_the_endpoint_does_not_have_is_405(api, hq_admin, branches, method, url, user):
    caller = hq_admin if user == "hq" else make_user("conv.m405", ("bj", "branch_manager"))
    r = getattr(api(caller), method)(url, {}, format="json")
    assert r.status_code == 405, (r.status_code, r.content)
    assert "方法" in r.json()["detail"]


PYTHON_SPELLINGS = ("None", "True", "False", "['", "{'", "Decimal(")


@pytest.mark.parametrize("who, url, body, fields", [
    ("staff", "/b/bj/api/v1/sales/", {}, {"client", "service", "period", "amount", "seller"}),
    ("staff", "/b/bj/api/v1/sales/", {"client": 1, "service": ["social_insurance"], "period": True, "amount": [1],
                                      "seller": "x"}, {"service", "period", "amount"}),
    ("staff", "/b/bj/api/v1/adjustments/", {"component": None, "percent": "5.00", "effective_from": True,
                                            "reason": "x"}, {"component", "effective_from"}),
    ("staff", "/b/bj/api/v1/adjustments/", {"component": {"a": 1}, "percent": "5.00",
                                            "effective_from": {"a": 1}, "reason": "x"}, {"component", "effective_from"}),
    ("hq", "/api/v1/rules/", {}, {"component", "effective_from"}),
    ("hq", "/api/v1/rules/", {"component": ["opening_reward"], "effective_from": False}, {"component", "effective_from"}),
])
def test_a_missing_or_mistyped_value_is_named_in_words_not_in_pythons_spelling(api, hq_admin, branches, who, url, body,
                                                                              fields):
    caller = hq_admin if who == "hq" else make_user("conv.staff", ("bj", "branch_staff"))
    r = api(caller).post(url, body, format="json")
    assert r.status_code == 400, r.content
    errors = r.json()
    assert fields <= set(errors), errors
    for field in fields:
        text = " ".join(errors[field])
        assert not any(p in text for p in PYTHON_SPELLINGS), (field, text)
    if body == {} or ("component" in body and body["component"] is None):  # nothing given: says it is required
        assert "必填" in " ".join(errors["component" if "component" in fields else "service"]), errors


def test_a_method_a_branch_endpoint_lacks_tells_outsiders_nothing(api, branches):
    """405 is for a caller who may see the branch: anonymous callers and outsiders get what an
    unknown branch code gets (401 / 404), without an `Allow` header that would tell them apart."""
    outsider = make_user("conv.sh", ("sh", "branch_manager"))
    for method in ("put", "delete"):
        for caller, status in ((api(), 401), (api(outsider), 404)):
            real = getattr(caller, method)("/b/bj/api/v1/statements/", {}, format="json")
            unknown = getattr(caller, method)("/b/zz-none/api/v1/statements/", {}, format="json")
            assert (real.status_code, real.json()) == (unknown.status_code, unknown.json()), method
            assert real.status_code == status and not real.has_header("Allow") and not unknown.has_header("Allow")
    insider = api(make_user("conv.bjm", ("bj", "branch_manager")))
    assert insider.put("/b/bj/api/v1/statements/", {}, format="json").status_code == 405


def test_a_service_is_accepted_by_the_name_a_refusal_lists_in_english_too(api, branches):
    from tests.commissions.conftest import open_client

    staff = make_user("conv.staff2", ("bj", "branch_staff"))
    make_user("conv.s1", ("bj", "specialist"))
    client = api(staff)
    client.cookies["django_language"] = "en"
    refused = client.post("/b/bj/api/v1/sales/", {"service": "tv"}, format="json").json()["service"][0]
    assert refused.startswith("Unknown service: tv (one of: Social insurance filing, Housing fund filing, ")
    cid = open_client(api, staff, opened_by="conv.s1")
    r = client.post("/b/bj/api/v1/sales/", {"client": cid, "service": "Social insurance filing", "period": "2026-03",
                                            "amount": "1000.00", "seller": "conv.s1"}, format="json")
    assert r.status_code == 201, r.json()
