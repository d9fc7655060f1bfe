"""Input an attacker or a careless script sends: every answer is a 400 in the contract's shape
(`{field: [msg]}` or `{"detail": "message"}`), in words, and nothing is written."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.conftest import in_branch
from tests.json_numbers import refusal

pytestmark = pytest.mark.django_db


def _counts() -> dict:
    from branches.models import Branch, User
    from clients.models import Client
    from commissions.hq.models import BranchPeriod, RuleVersion
    from commissions.models import Lead, Sale

    with in_branch("bj"):
        return {"clients": Client.objects.count(), "sales": Sale.objects.count(), "leads": Lead.objects.count(),
                "signed": Lead.objects.filter(signed_on__isnull=False).count(),
                "closed": Client.objects.filter(closed_on__isnull=False).count(),
                "periods": BranchPeriod.objects.count(), "rules": RuleVersion.objects.count(),
                "branches": Branch.objects.count(), "users": User.objects.count()}


def test_a_body_nested_thousands_deep_is_a_400_not_a_500(api, people, hq_admin, client):
    deep = '{"a":' + "[" * 50_000 + "]" * 50_000 + "}"
    before = _counts()
    for path, user in (("/api/v1/auth/token/", None), ("/api/v1/rules/", hq_admin),
                       ("/b/bj/api/v1/clients/", people["bj_staff"])):
        caller = api(user) if user else client
        r = caller.post(path, deep, content_type="application/json")
        assert r.status_code == 400, (path, r.status_code)
        assert r.json() == {"detail": "请求内容嵌套过深,无法读取。"}, path
    assert _counts() == before


def test_wrong_types_are_refused_not_stored_as_their_python_spelling(api, people, hq_admin):
    staff, before = api(people["bj_staff"]), _counts()
    r = staff.post("/b/bj/api/v1/clients/", {"name": ["x"], "headcount": 30, "opened_on": "2026-03-02",
                                              "opened_by": "bj_s1", "services": ["social_insurance"]}, format="json")
    assert r.status_code == 400 and r.json()["name"] == ["须为文本。"]
    r = staff.post("/b/bj/api/v1/clients/", {"name": "甲", "headcount": "9" * 5000, "opened_on": "2026-03-02",
                                              "opened_by": "bj_s1"}, format="json")
    assert r.status_code == 400 and r.json()["headcount"] == ["须小于等于 10000000。"]
    r = staff.post("/b/bj/api/v1/sales/", {"client": "9" * 4301, "service": "social_insurance", "period": "2026-03",
                                            "amount": "100.00", "seller": "bj_s1"}, format="json")
    assert r.status_code == 400 and r.json()["client"] == [f"须小于等于 {2**62}。"]
    r = staff.post("/b/bj/api/v1/adjustments/", {"component": "opening_reward", "percent": True,
                                                  "effective_from": "2026-03-01", "reason": "x"}, format="json")
    assert r.status_code == 400 and r.json()["percent"] == [refusal("10.00")]  # true is no percent either
    r = api(hq_admin).post("/api/v1/branches/", {"code": "zz", "name": 12, "city": ["北京"]}, format="json")
    assert r.status_code == 400 and "须为文本。" in json.dumps(r.json(), ensure_ascii=False)
    for service in (["x"], {"x": 1}):
        r = api(hq_admin).post("/api/v1/rules/", {"component": "sales_commission", "effective_from": "2099-04-01",
                                                  "new_client_months": 12, "earn_on": ["confirmed"],
                                                  "rates": [{"service": service, "new": "1", "existing": "1"}]},
                               format="json")
        assert r.status_code == 400 and "rates[0].service" in r.json() and "earn_on" in r.json(), r.json()
    assert _counts() == before


def test_a_note_must_be_text(api, people):
    proposed = api(people["bj_staff"]).post("/b/bj/api/v1/adjustments/", {
        "component": "opening_reward", "percent": "10.00", "effective_from": "2026-03-01", "reason": "旺季"},
        format="json")
    assert proposed.status_code == 201, proposed.content
    r = api(people["bj_manager"]).post(f"/b/bj/api/v1/adjustments/{proposed.json()['id']}/approve/",
                                       {"note": {"a": 1}}, format="json")
    assert r.status_code == 400 and r.json() == {"note": ["须为文本。"]}
    from commissions.models import Adjustment

    with in_branch("bj"):
        assert Adjustment.objects.get(pk=proposed.json()["id"]).status == "proposed"


def test_who_earns_what_a_lead_pays_is_checked_and_no_field_tells_whether_an_account_exists(api, people):
    staff, before = api(people["bj_staff"]), _counts()
    unknown = staff.post("/b/bj/api/v1/leads/", {"name": "x", "source": "marketing", "marketer": "nobody"},
                         format="json").json()
    manager = staff.post("/b/bj/api/v1/leads/", {"name": "x", "source": "marketing", "marketer": "bj_mgr"},
                         format="json").json()
    specialist = staff.post("/b/bj/api/v1/leads/", {"name": "x", "source": "marketing", "marketer": "bj_s1"},
                            format="json").json()
    assert unknown == {"marketer": ["nobody 不是市场人员:市场线索须记在市场人员名下。"]}
    assert manager == {"marketer": ["bj_mgr 不是市场人员:市场线索须记在市场人员名下。"]}
    assert specialist == {"marketer": ["bj_s1 不是市场人员:市场线索须记在市场人员名下。"]}
    opened = staff.post("/b/bj/api/v1/clients/", {"name": "甲", "headcount": 30, "opened_on": "2026-03-02",
                                                   "opened_by": "nobody"}, format="json").json()
    assert opened["opened_by"] == ["nobody 不是专员、市场或销售人员,不能计提成。"]
    assert _counts() == before
    lead = staff.post("/b/bj/api/v1/leads/", {"name": "x", "source": "marketing", "marketer": "bj_mkt",
                                              "created_on": "2026-03-01"},
                      format="json").json()["id"]
    r = staff.post(f"/b/bj/api/v1/leads/{lead}/sign/", {"amount": "100.00", "signed_on": "2026-03-02",
                                                         "seller": "bj_s1"}, format="json")
    assert r.status_code == 400 and r.json() == {"seller": ["bj_s1 不是销售人员:签约销售须为销售人员。"]}
    # a signing before any attribution rule would pay nothing and could never be put right
    r = staff.post(f"/b/bj/api/v1/leads/{lead}/sign/", {"amount": "100.00", "signed_on": "2001-01-01",
                                                         "seller": "bj_sales"}, format="json")
    assert r.status_code == 400 and "早于最早的市场/销售分成规则版本" in r.json()["signed_on"][0]
    assert _counts()["signed"] == before["signed"]
    ok = staff.post(f"/b/bj/api/v1/leads/{lead}/sign/", {"amount": "100.00", "signed_on": "2026-03-02",
                                                          "seller": "bj_sales"}, format="json")
    assert ok.status_code == 200
    twice = staff.post(f"/b/bj/api/v1/leads/{lead}/sign/", {"amount": "100.00", "signed_on": "2026-03-02",
                                                             "seller": "bj_sales"}, format="json")
    assert twice.status_code == 400 and twice.json() == {"detail": "该线索已于 2026年3月2日 签约。"}
    # the office's summary of a marketer answers any name outside the branch's marketers as missing
    for name in ("nobody", "bj_s1", "sh_s1"):
        assert staff.get(f"/b/bj/api/v1/leads/summary/?marketer={name}").status_code == 404, name
    assert staff.get("/b/bj/api/v1/leads/summary/?marketer=bj_mkt").status_code == 200


def test_the_month_under_way_cannot_be_closed_and_no_page_offers_it(api, people, client):
    """Closing the month in progress would lock statements still being earned and freeze HQ's rules
    and every branch's adjustments for the rest of it: refused until the month has ended."""
    from commissions.hq.models import BranchPeriod

    today = timezone.localdate()
    this_month = today.strftime("%Y-%m")
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    before = _counts()
    r = api(people["bj_manager"]).post(f"/b/bj/api/v1/periods/{this_month}/close/")
    assert r.status_code == 400 and r.json() == {
        "period": [f"期间 {today.year}年{today.month}月 尚未结束,月末之后才能关账。"]}
    assert _counts() == before
    assert not BranchPeriod.objects.filter(period=this_month).exists()
    # The pages: 关账 is offered for last month, not for this one; this month's close
    # page says why and has no form, and a form posted anyway changes nothing.
    client.force_login(people["bj_manager"])
    home = client.get("/b/bj/commissions/").content.decode()
    assert f"/statements/{this_month}/" in home and f'data-testid="close-{this_month}"' not in home
    statements = client.get(f"/b/bj/commissions/statements/{this_month}/").content.decode()
    assert f"periods/{this_month}/close/" not in statements
    assert f"periods/{last_month}/close/" in client.get(f"/b/bj/commissions/statements/{last_month}/").content.decode()
    page = client.get(f"/b/bj/commissions/periods/{this_month}/close/").content.decode()
    assert f"{today.year}年{today.month}月尚未结束,月末之后才能关账。" in page and 'name="confirm"' not in page
    client.post(f"/b/bj/commissions/periods/{this_month}/close/", {"confirm": "on"})
    assert _counts() == before and not BranchPeriod.objects.filter(period=this_month).exists()
    assert 'name="confirm"' in client.get(f"/b/bj/commissions/periods/{last_month}/close/").content.decode()


def test_a_month_not_begun_cannot_be_closed_nor_a_client_closed_in_the_future(api, people):
    before = _counts()
    this_month = timezone.localdate().strftime("%Y-%m")
    future = f"{int(this_month[:4]) + 1}-01"
    r = api(people["bj_manager"]).post(f"/b/bj/api/v1/periods/{future}/close/")
    today = timezone.localdate()
    assert r.status_code == 400 and r.json() == {
        "period": [f"期间 {int(future[:4])}年1月 尚未开始(本月为 {today.year}年{today.month}月),不能关账。"]}
    client_id = api(people["bj_staff"]).post("/b/bj/api/v1/clients/", {
        "name": "甲", "headcount": 30, "opened_on": "2026-03-02", "opened_by": "bj_s1"}, format="json").json()["id"]
    r = api(people["bj_staff"]).post(f"/b/bj/api/v1/clients/{client_id}/close/", {"closed_on": "2096-12-01"},
                                     format="json")
    assert r.status_code == 400 and "晚于今天" in r.json()["closed_on"][0]
    after = _counts()
    assert (after["periods"], after["closed"]) == (before["periods"], before["closed"])


def test_nested_errors_come_flat_and_in_chinese(api, hq_admin, people):
    admin = api(hq_admin)
    before = _counts()
    r = admin.post("/api/v1/users/", {"username": "u1", "password": "long-enough-9!", "roles": "specialist"},
                   format="json")
    assert r.status_code == 400 and list(r.json()) == ["roles"] and isinstance(r.json()["roles"][0], str)
    r = admin.post("/api/v1/users/", {"username": "u1", "password": "long-enough-9!",
                                      "roles": [{"branch": "bj", "role": "specialist"}, {"branch": "bj", "role": "god"}]},
                   format="json")
    assert r.status_code == 400 and list(r.json()) == ["roles[1].role"], r.json()
    r = admin.post("/api/v1/users/", {"username": "u1", "password": "abc"}, format="json")
    assert r.status_code == 400 and "密码太短,至少需要 8 个字符。" in r.json()["password"], r.json()
    r = admin.post("/api/v1/users/", {"username": "u\x001", "password": "long-enough-9!"}, format="json")
    assert r.status_code == 400 and r.json()["username"] == ["含有不允许的空字符(NUL)。"]
    # NUL in a person's or a branch's field is refused on that field, not as the request's.
    r = api(people["bj_staff"]).post("/b/bj/api/v1/clients/", {"name": "甲", "headcount": 30, "opened_on": "2026-03-02",
                                                               "opened_by": "bj_s1\u0000"}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["opened_by"], r.json()
    r = admin.post("/api/v1/branches/", {"code": "zz", "name": "a\u0000b", "city": "beijing"}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["name"], r.json()
    # A direction override (a name shown reversed) or a bell is refused, as everywhere else.
    r = admin.post("/api/v1/users/", {"username": "u1", "password": "long-enough-9!",
                                      "display_name": "\u202e张三\u0007"}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["display_name"], r.json()
    # A number where text is wanted is refused, not stored as "123" (nor true as "True").
    r = admin.post("/api/v1/users/", {"username": "u1", "password": "long-enough-9!", "display_name": 123,
                                      "home_branch": True}, format="json")
    assert r.status_code == 400 and r.json() == {"display_name": ["须为文本。"], "home_branch": ["须为文本。"]}, r.json()
    assert _counts() == before


def test_earner_fields_take_the_name_people_know_within_this_branch_only(api, people):
    """An office's spreadsheets name people (王小明), not accounts: an earner field takes a name of
    this branch's earner with the role; two of one name ask for the username (naming neither);
    another branch's person is not found by name (only by username, for 跨区域支援)."""
    from branches.models import User

    User.objects.filter(pk=people["bj_s1"].pk).update(display_name="王小明")
    User.objects.filter(pk=people["bj_sales"].pk).update(display_name="李销售")
    User.objects.filter(pk=people["sh_s1"].pk).update(display_name="赵上海")
    staff = api(people["bj_staff"])

    ok = staff.post("/b/bj/api/v1/clients/", {"name": "甲", "headcount": 30, "opened_on": "2026-03-02",
                                               "opened_by": " 王小明 "}, format="json")
    assert ok.status_code == 201 and ok.json()["opened_by"] == "bj_s1"
    lead = staff.post("/b/bj/api/v1/leads/", {"name": "x", "source": "sales", "owner": "李销售", "created_on": "2026-03-01"},
                      format="json")
    assert lead.status_code == 201, lead.json()
    signed = staff.post(f"/b/bj/api/v1/leads/{lead.json()['id']}/sign/",
                        {"amount": "100.00", "signed_on": "2026-03-02", "seller": "李销售"}, format="json")
    assert signed.status_code == 200, signed.json()

    before = _counts()
    other_branch = staff.post("/b/bj/api/v1/clients/", {"name": "乙", "headcount": 30, "opened_on": "2026-03-02",
                                                         "opened_by": "赵上海"}, format="json")
    assert other_branch.json() == {"opened_by": ["赵上海 不是专员、市场或销售人员,不能计提成。"]}
    wrong_role = staff.post("/b/bj/api/v1/leads/", {"name": "x", "source": "marketing", "marketer": "王小明"},
                            format="json")
    assert wrong_role.json() == {"marketer": ["王小明 不是市场人员:市场线索须记在市场人员名下。"]}
    User.objects.filter(pk=people["bj_s2"].pk).update(display_name="王小明")
    twice = staff.post("/b/bj/api/v1/clients/", {"name": "丙", "headcount": 30, "opened_on": "2026-03-02",
                                                  "opened_by": "王小明"}, format="json")
    assert twice.json() == {"opened_by": ["本分支机构有不止一位名为 王小明 的人员,请填写用户名。"]}
    by_username = staff.post("/b/bj/api/v1/clients/", {"name": "丁", "headcount": 30, "opened_on": "2026-03-02",
                                                        "opened_by": "sh_s1"}, format="json")
    assert by_username.status_code == 201  # another branch's specialist by username: 跨区域支援
    assert _counts()["clients"] == before["clients"] + 1


def test_a_lead_cannot_be_signed_before_it_existed(api, people):
    staff = api(people["bj_staff"])
    lead = staff.post("/b/bj/api/v1/leads/", {"name": "远航物流", "source": "marketing", "marketer": "bj_mkt",
                                              "created_on": "2026-03-10"}, format="json").json()["id"]
    before = _counts()

    r = staff.post(f"/b/bj/api/v1/leads/{lead}/sign/", {"amount": "120000.00", "signed_on": "2026-02-20",
                                                         "seller": "bj_sales"}, format="json")

    assert r.status_code == 400
    assert r.json() == {"signed_on": ["签约日期 2026年2月20日 早于线索日期 2026年3月10日,请核对日期。"]}
    assert _counts() == before
    ok = staff.post(f"/b/bj/api/v1/leads/{lead}/sign/", {"amount": "120000.00", "signed_on": "2026-03-10",
                                                          "seller": "bj_sales"}, format="json")
    assert ok.status_code == 200


@pytest.mark.parametrize("name", ["甲公司\n乙公司", "甲\t公司", "甲\r公司"])
def test_a_client_or_lead_name_is_one_line(api, people, name):
    """A name shows in lists, choices and file cells: a line break splits it there."""
    staff, before = api(people["bj_staff"]), _counts()

    client = staff.post("/b/bj/api/v1/clients/", {"name": name, "headcount": 30, "opened_on": "2026-03-02",
                                                   "opened_by": "bj_s1"}, format="json")
    lead = staff.post("/b/bj/api/v1/leads/", {"name": name, "source": "sales"}, format="json")

    assert client.status_code == lead.status_code == 400
    assert client.json()["name"] == lead.json()["name"] == ["须为一行文字,不能含换行或制表符。"]
    assert _counts() == before
