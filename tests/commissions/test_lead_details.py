"""A lead's contact details (联系人, 联系电话, 渠道, 意向服务, 备注) and editing a lead after it is
saved: recorded on the page and through the API, edited by those who work it (its marketer, its
seller, the office), refused to anyone else as missing (404) and on bad input (400) with nothing
changed, every edit audited, a message on the page one lands on, and labels — never keys — shown,
in English too."""
from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from tests.conftest import in_branch
from tests.factories import make_user
from tests.platform.test_english import CJK, main_text

pytestmark = pytest.mark.django_db

DETAILS = {"contact": "王经理", "phone": "138 1234 5678", "channel": "exhibition",
           "services": ["social_insurance", "payroll_outsourcing"], "notes": "展会上留的名片,下周回访"}


@pytest.fixture
def more(people):
    return {"bj_mkt2": make_user("bj_mkt2", ("bj", "marketing"), home="bj"),
            "bj_sales2": make_user("bj_sales2", ("bj", "sales"), home="bj")}


@pytest.fixture(autouse=True)
def _chinese_again_afterwards():
    """An English page leaves English active in this thread; the other tests expect Chinese."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _login(user, language: str | None = None) -> Client:
    c = Client()
    c.force_login(user)
    if language:
        c.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return c


def _state():
    """Everything an edit could touch: the leads, their history, and the recompute marks."""
    from commissions.models import Lead, RecomputeMarker

    with in_branch("bj"):
        return (sorted(Lead.objects.values_list("pk", "name", "contact", "phone", "channel", "services", "notes",
                                                "qualified", "owner_id", "amount", "signed_on", "seller_id",
                                                "source", "marketer_id", "created_on", "stage")),
                Lead.history.count(), RecomputeMarker.objects.count())


def _lead_row(lead_id: int):
    from commissions.models import Lead

    with in_branch("bj"):
        return Lead.objects.get(pk=lead_id)


def _create(api, user, **body) -> dict:
    r = api(user).post("/b/bj/api/v1/leads/", dict({"name": "华信科技"}, **body), format="json")
    assert r.status_code == 201, r.json()
    return r.json()


def _messages(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r'<li class="msg [^"]*">(.*?)</li>', html)]


# --- recorded with the lead --------------------------------------------------------------------
def test_a_marketer_records_a_lead_with_its_details_on_the_page(people):
    mkt = _login(people["bj_mkt"])
    form = mkt.get("/b/bj/leads/new/").content.decode()
    for name in ("contact", "phone", "channel", "services", "notes"):
        assert f'name="{name}"' in form, name
    assert '<option value="exhibition">展会</option>' in form and "电话营销" in form and "老客户" in form
    assert 'value="social_insurance"' in form and "社保代缴" in form  # the clients' service choices
    assert 'type="tel"' in form

    r = mkt.post("/b/bj/leads/new/", {"name": "蓝海餐饮", "qualified": "on", "owner": "bj_sales", **DETAILS},
                 follow=True)

    assert r.status_code == 200 and r.redirect_chain[-1][0].startswith("/b/bj/leads/")
    page = r.content.decode()
    assert _messages(page) == ["已录入线索:蓝海餐饮。"]
    assert "王经理" in page and "138 1234 5678" in page and 'href="tel:13812345678"' in page
    assert "展会" in page and "社保代缴、薪酬外包" in page and "展会上留的名片" in page
    for key in ("exhibition", "social_insurance", "payroll_outsourcing", "None"):
        assert key not in re.sub(r'value="[^"]*"', "", page), key  # keys only as form values
    lead_id = int(re.search(r"/leads/(\d+)/", r.redirect_chain[-1][0]).group(1))
    lead = _lead_row(lead_id)
    assert (lead.contact, lead.phone, lead.channel, lead.services, lead.notes) == (
        "王经理", "138 1234 5678", "exhibition", ["social_insurance", "payroll_outsourcing"], "展会上留的名片,下周回访")
    with in_branch("bj"):  # one entry in the audit trail, with its details
        assert list(lead.history.values_list("history_change_reason", "contact")) == [("线索录入", "王经理")]
    listing = mkt.get("/b/bj/leads/").content.decode()
    assert "王经理" in listing and "渠道 展会" in listing


def test_the_api_records_a_lead_with_its_details_and_returns_them(api, people):
    body = _create(api, people["bj_sales"], **DETAILS)

    assert {k: body[k] for k in (*DETAILS, "channel_label", "service_labels")} == {
        **DETAILS, "channel_label": "展会", "service_labels": ["社保代缴", "薪酬外包"]}
    # a channel and services by their names too, as people write them
    body = _create(api, people["bj_mkt"], name="恒泰制造", channel="转介绍", services=["社保", "公积金"])
    assert (body["channel"], body["services"]) == ("referral", ["social_insurance", "housing_fund"])
    # all optional: a lead without them reads as empty, never as a key
    body = _create(api, people["bj_mkt"], name="远航物流")
    assert {k: body[k] for k in (*DETAILS, "channel_label", "service_labels")} == {
        "contact": "", "phone": "", "channel": None, "services": [], "notes": "", "channel_label": None,
        "service_labels": []}
    listing = api(people["bj_mkt"]).get("/b/bj/api/v1/leads/").json()
    assert {r["name"]: r["channel_label"] for r in listing} == {"恒泰制造": "转介绍", "远航物流": None}


@pytest.mark.parametrize("phone", ["13812345678", "+86 138-1234-5678", "010-12345678", "0755 1234567",
                                   "021-12345678-801", "400-123-4567"])
def test_plausible_chinese_phone_numbers_are_accepted(api, people, phone):
    assert _create(api, people["bj_mkt"], phone=phone)["phone"] == phone


def test_bad_details_refuse_the_new_lead_and_nothing_is_saved(api, people):
    before = _state()
    r = api(people["bj_mkt"]).post("/b/bj/api/v1/leads/", {
        "name": "", "phone": "12345", "channel": "tv", "services": ["social_insurance", "massage"],
        "notes": "长" * 501, "contact": "王" * 51}, format="json")

    assert r.status_code == 400
    assert sorted(r.json()) == ["channel", "contact", "name", "notes", "phone", "services"]  # every problem at once
    assert r.json()["phone"] == ["请填写手机号或固定电话(数字、+、-、空格),如 138 1234 5678 或 010-12345678:12345"]
    assert "展会" in r.json()["channel"][0] and "tv" in r.json()["channel"][0]
    for phone in ("138 1234 5678 ext", "+1 415 555 0100", "1" * 31):
        assert "phone" in api(people["bj_mkt"]).post("/b/bj/api/v1/leads/", {"name": "x", "phone": phone},
                                                     format="json").json()
    page = _login(people["bj_mkt"]).post("/b/bj/leads/new/", {"name": "蓝海餐饮", "phone": "abc-123", "contact": "李总",
                                                             "channel": "exhibition", "services": ["housing_fund"]})
    assert page.status_code == 200  # as the new-lead form answers a refusal
    html = page.content.decode()
    assert 'data-field="phone"' in html and 'value="abc-123"' in html and 'value="李总"' in html
    assert '<option value="exhibition" selected>' in html and re.search(r'value="housing_fund"[^>]*checked', html)
    assert _state() == before


# --- edited by those who work it ---------------------------------------------------------------
@pytest.mark.parametrize("who", ["bj_mkt", "bj_sales", "bj_manager", "bj_staff"])
def test_a_lead_is_edited_through_the_api_by_each_who_works_it(api, people, who):
    lead = _create(api, people["bj_mkt"], owner="bj_sales", contact="王经理")["id"]

    # 有效线索 counts in the marketer's points: the seller does not change it.
    qualified = who != "bj_sales"
    r = api(people[who]).patch(f"/b/bj/api/v1/leads/{lead}/", {
        "name": "华信科技(总部)", "phone": "010-12345678", "channel": "online", "services": ["housing_fund"],
        "notes": "需要报价", **({"qualified": False} if qualified else {})}, format="json")

    assert r.status_code == 200, r.json()
    body = r.json()
    assert (body["name"], body["contact"], body["phone"], body["channel"], body["channel_label"], body["services"],
            body["notes"], body["qualified"]) == ("华信科技(总部)", "王经理", "010-12345678", "online", "线上推广",
                                                  ["housing_fund"], "需要报价", not qualified)
    record = _lead_row(lead).history.latest()
    assert (record.history_user_id, record.history_change_reason) == (people[who].pk, "线索修改")
    with in_branch("bj"):
        changed = sorted(c.field for c in record.diff_against(record.prev_record).changes)
    assert changed == ["channel", "name", "notes", "phone"] + (["qualified"] if qualified else []) + ["services"]


def test_a_seller_does_not_change_whether_a_marketers_lead_is_qualified(api, people):
    lead = _create(api, people["bj_mkt"], owner="bj_sales")["id"]
    before = _state()
    r = api(people["bj_sales"]).patch(f"/b/bj/api/v1/leads/{lead}/", {"qualified": False, "notes": "x"},
                                      format="json")
    assert r.status_code == 400 and list(r.json()) == ["qualified"]
    assert _state() == before
    page = _login(people["bj_sales"]).get(f"/b/bj/leads/{lead}/").content.decode()
    assert 'data-testid="lead-edit-form"' in page and 'name="qualified"' not in page


@pytest.mark.parametrize("who", ["bj_mkt", "bj_sales", "bj_manager"])
def test_a_lead_is_edited_on_its_page_with_a_message(people, who):
    from commissions.models import Lead

    r = _login(people["bj_mkt"]).post("/b/bj/leads/new/", {"name": "蓝海餐饮", "owner": "bj_sales", "qualified": "on"})
    lead_id = int(re.search(r"/leads/(\d+)/", r["Location"]).group(1))
    c = _login(people[who])
    page = c.get(f"/b/bj/leads/{lead_id}/").content.decode()
    assert 'data-testid="lead-edit-form"' in page and 'value="蓝海餐饮"' in page

    r = c.post(f"/b/bj/leads/{lead_id}/", {"action": "edit", "name": "蓝海餐饮集团", "contact": "赵总",
                                           "phone": "0755-1234567", "channel": "referral",
                                           "services": ["social_insurance", "housing_fund"], "notes": "老客户介绍",
                                           "owner": "bj_sales"}, follow=True)

    assert r.status_code == 200
    html = r.content.decode()
    assert _messages(html) == ["已保存线索:蓝海餐饮集团。"]
    assert "赵总" in html and "转介绍" in html and "社保代缴、公积金代缴" in html and "老客户介绍" in html
    lead = _lead_row(lead_id)
    assert (lead.name, lead.contact, lead.phone, lead.channel, lead.services, lead.notes, lead.qualified) == (
        "蓝海餐饮集团", "赵总", "0755-1234567", "referral", ["social_insurance", "housing_fund"], "老客户介绍",
        who == "bj_sales")  # the box left unticked: no longer a qualified lead (the seller has no box)
    with in_branch("bj"):
        record = Lead.history.filter(id=lead_id).latest()
        assert (record.history_user_id, record.history_change_reason) == (people[who].pk, "线索修改")


def test_an_edit_that_changes_nothing_writes_nothing(api, people):
    lead = _create(api, people["bj_mkt"], **DETAILS)["id"]
    before = _state()
    r = api(people["bj_mkt"]).patch(f"/b/bj/api/v1/leads/{lead}/", {**DETAILS, "name": "华信科技"}, format="json")
    assert r.status_code == 200 and _state() == before


def test_a_changed_qualified_flag_recomputes_the_marketers_month(api, people):
    from commissions.models import RecomputeMarker

    lead = _create(api, people["bj_mkt"])
    with in_branch("bj"):
        marks = RecomputeMarker.objects.count()
    assert api(people["bj_sales"]).patch(f"/b/bj/api/v1/leads/{lead['id']}/", {"notes": "x"},
                                         format="json").status_code == 404  # not theirs: no owner yet
    assert api(people["bj_manager"]).patch(f"/b/bj/api/v1/leads/{lead['id']}/", {"qualified": False},
                                           format="json").status_code == 200
    with in_branch("bj"):
        assert RecomputeMarker.objects.count() == marks + 1
        mark = RecomputeMarker.objects.latest("id")
        assert (mark.period, mark.earners) == (lead["created_on"][:7], [people["bj_mkt"].pk])


# --- refused -------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["bj_mkt2", "bj_sales2", "sh_manager", "sh_staff"])
def test_someone_else_s_or_another_branch_s_lead_is_missing(api, people, more, who):
    users = {**people, **more}
    lead = _create(api, people["bj_mkt"], owner="bj_sales", **DETAILS)["id"]
    before = _state()

    for body in ({"notes": "改一下"}, {"phone": "bad"}):  # 404 whatever the input: nothing tells it exists
        assert api(users[who]).patch(f"/b/bj/api/v1/leads/{lead}/", body, format="json").status_code == 404
    assert api(users[who]).patch("/b/bj/api/v1/leads/999999/", {"notes": "x"}, format="json").status_code == 404
    page = _login(users[who]).post(f"/b/bj/leads/{lead}/", {"action": "edit", "name": "改名", "notes": "改一下"})
    assert page.status_code == 404
    assert _state() == before


def test_roles_that_do_not_work_leads_are_refused(api, people):
    lead = _create(api, people["bj_mkt"])["id"]
    before = _state()
    assert api(people["bj_s1"]).patch(f"/b/bj/api/v1/leads/{lead}/", {"notes": "x"}, format="json").status_code == 403
    assert api(people["bj_contact"]).patch(f"/b/bj/api/v1/leads/{lead}/", {"notes": "x"},
                                           format="json").status_code == 403
    assert api().patch(f"/b/bj/api/v1/leads/{lead}/", {"notes": "x"}, format="json").status_code in (401, 403)
    assert _login(people["bj_s1"]).post(f"/b/bj/leads/{lead}/", {"action": "edit", "notes": "x"}).status_code == 403
    assert _state() == before


def test_bad_edits_are_refused_with_each_field_and_nothing_changes(api, people):
    lead = _create(api, people["bj_mkt"], owner="bj_sales", **DETAILS)["id"]
    before = _state()

    r = api(people["bj_mkt"]).patch(f"/b/bj/api/v1/leads/{lead}/", {
        "name": "", "phone": "abc", "channel": "radio", "services": "massage", "notes": "长" * 501,
        "qualified": "maybe", "owner": "bj_s1"}, format="json")

    assert r.status_code == 400
    assert sorted(r.json()) == ["channel", "name", "notes", "owner", "phone", "qualified", "services"]
    assert all(isinstance(v, list) and v for v in r.json().values())
    assert _state() == before
    # On the page: 400, each message by its field, what was typed kept.
    page = _login(people["bj_mkt"]).post(f"/b/bj/leads/{lead}/", {
        "action": "edit", "name": "华信科技集团", "contact": "陈总", "phone": "12-34", "channel": "online",
        "services": ["housing_fund"], "notes": "新备注", "qualified": "on", "owner": "bj_sales"})
    assert page.status_code == 400
    html = page.content.decode()
    assert 'data-field="phone"' in html and "请填写手机号或固定电话" in html
    assert 'value="华信科技集团"' in html and 'value="陈总"' in html and 'value="12-34"' in html and "新备注" in html
    assert '<option value="online" selected>' in html and re.search(r'value="housing_fund"[^>]*checked', html)
    assert re.search(r"<details[^>]*open", html)  # the form stays open on its messages
    assert _messages(html) == []
    assert _state() == before


def test_money_and_attribution_are_not_edited_and_a_signed_lead_keeps_its_amount(api, people):
    lead = _create(api, people["bj_mkt"], owner="bj_sales")["id"]
    before = _state()
    for field, value in (("amount", "1000.00"), ("seller", "bj_sales"), ("signed_on", "2026-01-05"),
                         ("source", "sales"), ("marketer", "bj_mkt2"), ("created_on", "2020-01-01"),
                         ("stage", "intent")):
        r = api(people["bj_manager"]).patch(f"/b/bj/api/v1/leads/{lead}/", {field: value, "notes": "x"}, format="json")
        assert r.status_code == 400 and list(r.json()) == [field], (field, r.json())
    assert _state() == before

    today = timezone.localdate().isoformat()
    assert api(people["bj_sales"]).post(f"/b/bj/api/v1/leads/{lead}/sign/", {
        "amount": "50000.00", "signed_on": today}, format="json").status_code == 200
    before = _state()
    r = api(people["bj_manager"]).patch(f"/b/bj/api/v1/leads/{lead}/", {"amount": "60000.00"}, format="json")
    assert r.status_code == 400 and r.json() == {"amount": ["线索已签约,签约金额、签约日期和成交销售不能修改。"]}
    r = api(people["bj_manager"]).patch(f"/b/bj/api/v1/leads/{lead}/", {"owner": "bj_mkt"}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["owner"]
    assert _state() == before
    # What the lead reads back may be sent back unchanged; the rest of a signed lead stays editable.
    body = api(people["bj_sales"]).get(f"/b/bj/api/v1/leads/{lead}/").json()
    r = api(people["bj_sales"]).patch(f"/b/bj/api/v1/leads/{lead}/", {**body, "notes": "合同已归档"}, format="json")
    assert r.status_code == 200, r.json()
    assert (r.json()["notes"], r.json()["amount"], r.json()["signed_on"]) == ("合同已归档", "50000.00", today)
    page = _login(people["bj_sales"]).get(f"/b/bj/leads/{lead}/").content.decode()
    assert 'data-testid="lead-edit-form"' in page and 'name="amount"' not in page and 'name="owner"' not in page


def test_the_seller_changes_as_the_assignment_rules_allow(api, people, more):
    lead = _create(api, people["bj_mkt"])["id"]
    mkt = api(people["bj_mkt"])
    page = _login(people["bj_mkt"]).get(f"/b/bj/leads/{lead}/").content.decode()
    assert 'name="owner"' in page  # the marketer hands an unassigned lead to a seller
    r = mkt.patch(f"/b/bj/api/v1/leads/{lead}/", {"owner": "bj_sales"}, format="json")
    assert r.status_code == 200 and r.json()["owner"] == "bj_sales"
    before = _state()
    r = mkt.patch(f"/b/bj/api/v1/leads/{lead}/", {"owner": "bj_sales2"}, format="json")
    assert r.status_code == 400 and r.json() == {"owner": ["只有经理或人事/运营可以改派跟进销售。"]}
    r = api(people["bj_sales"]).patch(f"/b/bj/api/v1/leads/{lead}/", {"owner": "bj_sales2"}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["owner"]
    r = api(people["bj_manager"]).patch(f"/b/bj/api/v1/leads/{lead}/", {"owner": None}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["owner"]  # handed on, never emptied
    assert _state() == before
    assert 'name="owner"' not in _login(people["bj_sales"]).get(f"/b/bj/leads/{lead}/").content.decode()
    r = api(people["bj_manager"]).patch(f"/b/bj/api/v1/leads/{lead}/", {"owner": "bj_sales2"}, format="json")
    assert r.status_code == 200 and r.json()["owner"] == "bj_sales2"
    assert api(people["bj_sales"]).get(f"/b/bj/api/v1/leads/{lead}/").status_code == 404  # no longer theirs


# --- messages ------------------------------------------------------------------------------------
def test_signing_on_the_page_shows_a_message(people):
    r = _login(people["bj_sales"]).post("/b/bj/leads/new/", {"name": "博雅教育"})
    lead_id = int(re.search(r"/leads/(\d+)/", r["Location"]).group(1))
    r = _login(people["bj_sales"]).post(f"/b/bj/leads/{lead_id}/sign/", {
        "amount": "30000.00", "signed_on": timezone.localdate().isoformat()}, follow=True)
    assert r.status_code == 200 and _messages(r.content.decode()) == ["已签约,提成将在几秒内更新。"]


# --- English --------------------------------------------------------------------------------------
def test_channel_and_details_read_in_english(api, people):
    lead = _create(api, people["bj_mkt"], name="Blue Sea Catering", contact="Mr Wang", phone="13812345678",
                   channel="exhibition", services=["social_insurance"], notes="Met at the fair")["id"]
    c = _login(people["bj_mkt"], "en")

    page = c.get(f"/b/bj/leads/{lead}/").content.decode()

    assert "Trade show" in page and "Channel" in page and "Services of interest" in page
    # one source, with ASCII punctuation (it read "Sources" over "Marketing lead(Marketing …)")
    source = re.search(r'<dt class="muted">([^<]*)</dt><dd data-testid="lead-source">([^<]*)</dd>', page)
    assert source.groups() == ("Source", f"Marketing lead (marketer: {people['bj_mkt'].label})")
    chinese = _login(people["bj_mkt"]).get(f"/b/bj/leads/{lead}/").content.decode()
    source = re.search(r'<dt class="muted">([^<]*)</dt><dd data-testid="lead-source">([^<]*)</dd>', chinese)
    assert source.groups() == ("来源", f"市场线索(市场 {people['bj_mkt'].label})")
    assert "Edit lead" in page and "Save changes" in page
    assert CJK.findall(main_text(page)) == []  # every label of the page and its edit form translated
    assert "展会" not in page
    form = c.get("/b/bj/leads/new/").content.decode()
    assert '<option value="telemarketing">Telemarketing</option>' in form and CJK.findall(main_text(form)) == []
    r = c.post(f"/b/bj/leads/{lead}/", {"action": "edit", "name": "Blue Sea Catering", "phone": "12345"})
    assert r.status_code == 400 and "Enter a mobile or landline number" in r.content.decode()
    assert CJK.findall(main_text(r.content.decode())) == []
    r = c.post(f"/b/bj/leads/{lead}/", {"action": "edit", "name": "Blue Sea Catering", "channel": "referral"},
               follow=True)
    assert _messages(r.content.decode()) == ["Lead saved: Blue Sea Catering."] and "Referral" in r.content.decode()
    listing = c.get("/b/bj/leads/").content.decode()
    assert "Trade show" not in listing and "Referral" in listing and CJK.findall(main_text(listing)) == []


def test_the_branch_schema_documents_the_edit_and_the_new_fields(client, people):
    client.force_login(people["bj_manager"])
    schema = client.get("/b/bj/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    path = next(p for p in schema["paths"] if re.fullmatch(r"/b/bj/api/v1/leads/\{lead_id\}/", p))
    assert {"get", "patch"} <= set(schema["paths"][path])
    components = schema["components"]["schemas"]
    for name in ("LeadCreateIn", "PatchedLeadEditIn"):
        assert {"contact", "phone", "channel", "services", "notes"} <= set(components[name]["properties"]), name
    assert {"name", "source"} <= set(components["LeadCreateIn"]["required"])  # as before: the rest optional
