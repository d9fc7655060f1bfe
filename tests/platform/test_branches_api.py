"""Branch creation, deactivation and the HQ people API, through the real API and schemas."""
from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import schema_exists

from branches.models import Branch, BranchMembership, Domain, User
from tests.factories import TEST_PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_hq_admin_creates_a_branch_with_a_migrated_schema(api, hq_admin):
    resp = api(hq_admin).post("/api/v1/branches/", {"code": "sz-nanshan", "name": "深圳南山", "city": "shenzhen"}, format="json")

    assert resp.status_code == 201, resp.content
    assert resp.json() == {"code": "sz-nanshan", "name": "深圳南山", "city": "shenzhen", "active": True}
    branch = Branch.objects.get(code="sz-nanshan")
    assert branch.schema_name == "br_sz_nanshan"
    assert schema_exists("br_sz_nanshan")
    assert Domain.objects.get(tenant=branch).domain == "sz-nanshan"
    with connection.cursor() as cur:
        cur.execute("select count(*) from information_schema.tables where table_schema = %s and table_name = 'clients_client'", ["br_sz_nanshan"])
        assert cur.fetchone()[0] == 1
    # The creation is in HQ's audit trail with its author.
    record = Branch.history.filter(code="sz-nanshan").latest("history_date")
    assert record.history_user_id == hq_admin.pk


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"code": "Beijing", "name": "x"}, "code"),
        ({"code": "1abc", "name": "x"}, "code"),
        ({"code": "a", "name": "x"}, "code"),
        ({"code": "ab_c", "name": "x"}, "code"),
        ({"code": "a" * 32, "name": "x"}, "code"),
        ({"code": "hq", "name": "x"}, "code"),
        ({"code": "ok-code", "name": ""}, "name"),
        ({"name": "no code"}, "code"),
        ({"code": "ok-code", "name": "x", "city": "atlantis"}, "city"),  # no policy: months of nothing
    ],
)
def test_bad_branch_input_is_refused_and_nothing_is_made(api, hq_admin, payload, field):
    before = Branch.objects.count()

    resp = api(hq_admin).post("/api/v1/branches/", payload, format="json")

    assert resp.status_code == 400
    assert field in resp.json() and resp.json()[field][0]
    assert Branch.objects.count() == before
    if payload.get("code"):
        assert not schema_exists(Branch.schema_for_code(payload["code"]))


def test_duplicate_code_is_refused_with_a_clear_message(api, hq_admin, branches):
    resp = api(hq_admin).post("/api/v1/branches/", {"code": "bj", "name": "又一个北京"}, format="json")

    assert resp.status_code == 400
    assert "已被使用" in resp.json()["code"][0]
    assert Branch.objects.filter(code="bj").count() == 1


@pytest.mark.parametrize("role", ["hq_finance", None])
def test_only_hq_admins_create_branches(api, branches, role):
    user = make_user(None, *([(None, role)] if role else [("bj", "branch_manager")]))

    resp = api(user).post("/api/v1/branches/", {"code": "nope", "name": "x"}, format="json")

    assert resp.status_code == 403
    assert not Branch.objects.filter(code="nope").exists()


def test_branch_list_is_for_hq_only(api, hq_admin, branches):
    finance = make_user("fin", (None, "hq_finance"))
    manager = make_user("mgr", ("bj", "branch_manager"))

    assert [b["code"] for b in api(hq_admin).get("/api/v1/branches/").json()] == ["bj", "gz", "sh"]
    assert api(finance).get("/api/v1/branches/").status_code == 200
    assert api(manager).get("/api/v1/branches/").status_code == 403
    assert api().get("/api/v1/branches/").status_code == 401


def test_deactivated_branch_keeps_data_read_only(api, hq_admin, branches):
    manager = make_user("mgr-bj", ("bj", "branch_manager"))
    resp = api(hq_admin).post("/api/v1/branches/bj/deactivate/", {"reason": "合并"}, format="json")
    assert resp.status_code == 200 and resp.json()["active"] is False

    client = api(manager)
    assert client.get("/b/bj/api/v1/schema/").status_code == 200
    resp = client.post("/b/bj/api/v1/notifications/read/", {}, format="json")
    assert resp.status_code == 403
    assert "只读" in resp.json()["detail"]
    assert schema_exists("br_bj")
    # The pages say so before anything is typed, and a refused form is the app's own page.
    from django.test import Client

    page = Client()
    page.force_login(manager)
    assert 'data-testid="branch-read-only"' in page.get("/b/bj/clients/").content.decode()
    refused = page.post("/b/bj/clients/new/", {"name": "新客户"})
    assert refused.status_code == 403 and "该分支机构已停用,数据只读。" in refused.content.decode()
    assert "返回首页" in refused.content.decode()  # the app's page, a way back, not a bare line

    assert api(hq_admin).post("/api/v1/branches/bj/activate/").json()["active"] is True


def test_deactivating_needs_hq_admin_and_an_existing_branch(api, hq_admin, branches):
    manager = make_user("mgr-sh", ("sh", "branch_manager"))
    assert api(manager).post("/api/v1/branches/sh/deactivate/").status_code == 403
    assert Branch.objects.get(code="sh").active is True
    assert api(hq_admin).post("/api/v1/branches/nowhere/deactivate/").status_code == 404


def test_hq_admin_creates_a_user_with_roles_in_several_branches(api, hq_admin, branches):
    payload = {
        "username": "wang.li", "password": "S3cure-pass-2026", "display_name": "王丽",
        "home_branch": "bj",
        "roles": [{"branch": "bj", "role": "specialist"}, {"branch": "sh", "role": "specialist"},
                  {"branch": None, "role": "hq_finance"}],
    }

    resp = api(hq_admin).post("/api/v1/users/", payload, format="json")

    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["username"] == "wang.li" and body["home_branch"] == "bj"
    assert sorted((r["branch"] or "", r["role"]) for r in body["roles"]) == [
        ("", "hq_finance"), ("bj", "specialist"), ("sh", "specialist")]
    assert "password" not in body
    assert User.objects.get(username="wang.li").check_password("S3cure-pass-2026")


@pytest.mark.parametrize(
    "change, field",
    [
        ({"roles": [{"branch": "bj", "role": "boss"}]}, "roles[0].role"),
        ({"roles": [{"branch": "nowhere", "role": "specialist"}]}, "roles"),
        ({"roles": [{"branch": None, "role": "specialist"}]}, "roles"),
        ({"roles": [{"branch": "bj", "role": "hq_admin"}]}, "roles"),
        ({"home_branch": "nowhere"}, "home_branch"),
        ({"password": "123"}, "password"),
        ({"username": "has space"}, "username"),
        ({"username": "hqadmin"}, "username"),
        ({"username": "ｈｑadmin"}, "username"),  # full-width: the same name (NFKC), a look-alike
        ({"username": "HQadmin"}, "username"),
        ({"username": "bj.\u0455\u0031"}, "username"),  # Cyrillic "ѕ": looks exactly like bj.s1
        ({"username": "张伟"}, "username"),  # a name belongs in display_name
    ],
)
def test_bad_user_input_is_refused_and_nothing_is_saved(api, hq_admin, branches, change, field):
    payload = {"username": "new.person", "password": "S3cure-pass-2026", "roles": []} | change
    users_before, memberships_before = User.objects.count(), BranchMembership.objects.count()

    resp = api(hq_admin).post("/api/v1/users/", payload, format="json")

    assert resp.status_code == 400
    assert field in resp.json(), resp.json()
    assert (User.objects.count(), BranchMembership.objects.count()) == (users_before, memberships_before)


def test_only_hq_admins_manage_users(api, branches):
    manager = make_user("mgr-gz", ("gz", "branch_manager"))
    resp = api(manager).post("/api/v1/users/", {"username": "x", "password": "S3cure-pass-2026"}, format="json")
    assert resp.status_code == 403
    assert not User.objects.filter(username="x").exists()
    assert api(manager).get("/api/v1/users/").status_code == 403


def test_token_login_and_throttling(api, branches):
    make_user("token.user", ("bj", "specialist"))
    client = api()

    resp = client.post("/api/v1/auth/token/", {"username": "token.user", "password": TEST_PASSWORD}, format="json")
    assert resp.status_code == 200
    token = resp.json()["token"]
    assert api().get("/b/bj/api/v1/notifications/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200

    bad = client.post("/api/v1/auth/token/", {"username": "token.user", "password": "wrong"}, format="json")
    assert bad.status_code == 400 and "token" not in bad.json()


def test_audit_trail_is_queryable_by_hq_only(api, hq_admin, branches):
    api(hq_admin).post("/api/v1/branches/bj/deactivate/", {"reason": "整顿"}, format="json")

    rows = api(hq_admin).get("/api/v1/audit/?model=branches.Branch").json()
    change = next(r for r in rows if r["action"] == "changed" and r["reason"] == "整顿")
    assert change["user_id"] == hq_admin.pk
    assert {"field": "active", "before": True, "after": False} in change["changes"]

    manager = make_user("mgr-audit", ("bj", "branch_manager"))
    assert api(manager).get("/api/v1/audit/").status_code == 403
    assert api(hq_admin).get("/api/v1/audit/?model=nope.Nope").status_code == 400


def test_deactivating_on_the_page_asks_for_a_confirmation(hq_admin, branches):
    from django.test import Client

    from branches.models import Branch

    page = Client()
    page.force_login(hq_admin)
    assert 'data-testid="deactivate-bj"' in page.get("/branches/").content.decode()
    refused = page.post("/branches/bj/toggle/", {"reason": "合并"}, follow=True).content.decode()
    assert "请勾选确认后再停用" in refused and Branch.objects.get(code="bj").active
    page.post("/branches/bj/toggle/", {"reason": "合并", "confirm": "1"})
    assert not Branch.objects.get(code="bj").active
    page.post("/branches/bj/toggle/")  # re-activating needs no box
    assert Branch.objects.get(code="bj").active


def test_a_branchs_city_is_one_with_a_policy_named_in_the_readers_words(api, hq_admin):
    refused = api(hq_admin).post("/api/v1/branches/", {"code": "hz-x", "name": "杭州二", "city": "atlantis"},
                                 format="json")
    assert refused.status_code == 400
    message = refused.json()["city"][0]
    assert message.startswith("未知城市:atlantis(可选:") and "北京" in message and "beijing" not in message

    by_name = api(hq_admin).post("/api/v1/branches/", {"code": "hz-y", "name": "杭州三", "city": "杭州"}, format="json")
    assert by_name.status_code == 201 and by_name.json()["city"] == "hangzhou"
