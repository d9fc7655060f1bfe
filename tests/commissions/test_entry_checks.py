"""Entry checks a careful office makes: nothing dated after today, one record per company in a
branch (统一社会信用代码, else the normalised name), a sale only for a contracted service — on
the API, the pages and the imports alike; every refusal changes nothing."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone

from tests.conftest import in_branch

from .conftest import open_client

pytestmark = pytest.mark.django_db

CODE = "91110108MA01ABCDEN"  # check character per GB 32100-2015
OTHER_CODE = "91310000132200821H"


def _state():
    """Everything an entry could write in Beijing: rows, markers, history, client services."""
    from clients.models import Client
    from commissions.models import Lead, RecomputeMarker, Sale

    with in_branch("bj"):
        return (Client.objects.count(), Sale.objects.count(), Lead.objects.count(), RecomputeMarker.objects.count(),
                Client.history.count(), Lead.history.count(),
                sorted((c.pk, tuple(c.services)) for c in Client.objects.all()))


def _tomorrow() -> str:
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


def _next_month() -> str:
    d = timezone.localdate().replace(day=28) + dt.timedelta(days=5)
    return d.strftime("%Y-%m")


def _client(**change):
    return dict({"name": "北京华信科技", "headcount": 30, "opened_on": "2026-03-10", "opened_by": "bj_s1",
                 "services": ["social_insurance"]}, **change)


# --- dates no later than today --------------------------------------------------------------
def test_an_opening_dated_after_today_is_refused_and_no_period_appears(api, people):
    before = _state()
    r = api(people["bj_staff"]).post("/b/bj/api/v1/clients/", _client(opened_on="2027-01-15"), format="json")
    assert r.status_code == 400
    assert list(r.json()) == ["opened_on"]
    assert "晚于今天" in r.json()["opened_on"][0]
    assert _state() == before
    from commissions.models import RecomputeMarker

    with in_branch("bj"):
        assert not RecomputeMarker.objects.filter(period="2027-01").exists()


def test_today_is_accepted(api, people):
    r = api(people["bj_staff"]).post("/b/bj/api/v1/clients/", _client(opened_on=timezone.localdate().isoformat()),
                                     format="json")
    assert r.status_code == 201, r.json()


def test_a_sale_for_a_later_month_and_a_signing_tomorrow_are_refused(api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1")
    staff = api(people["bj_staff"])
    lead = staff.post("/b/bj/api/v1/leads/", {"name": "线索甲", "source": "sales"}, format="json").json()["id"]
    before = _state()
    r = staff.post("/b/bj/api/v1/sales/", {"client": cid, "service": "social_insurance", "period": _next_month(),
                                           "amount": "1000.00", "seller": "bj_s1"}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["period"] and "晚于本月" in r.json()["period"][0]
    r = staff.post(f"/b/bj/api/v1/leads/{lead}/sign/", {"amount": "5000.00", "signed_on": _tomorrow(),
                                                        "seller": "bj_sales"}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["signed_on"]
    r = staff.post("/b/bj/api/v1/leads/", {"name": "线索乙", "source": "sales", "created_on": _tomorrow()},
                   format="json")
    assert r.status_code == 400 and list(r.json()) == ["created_on"]
    assert _state() == before


# --- one record per company ------------------------------------------------------------------
@pytest.mark.parametrize("first_name, second", [
    ("北京华信科技", "北京华信科技"), ("北京华信科技", "  北京华信科技 "), ("ABC(北京)华信", "ＡＢＣ（北京）华信"),
    ("ABC(北京)华信", "abc(北京)华信"), ("华信 科技", "华信   科技"),
])
def test_the_same_name_again_is_refused_naming_the_first(api, people, first_name, second):
    staff = api(people["bj_staff"])
    first = open_client(api, people["bj_staff"], opened_by="bj_s1", name=first_name)
    before = _state()
    r = staff.post("/b/bj/api/v1/clients/", _client(name=second, opened_by="bj_s2"), format="json")
    assert r.status_code == 400
    assert list(r.json()) == ["name"]
    assert first_name in r.json()["name"][0] and f"客户编号 {first}" in r.json()["name"][0]
    assert _state() == before


def test_a_longer_legal_name_is_another_record(api, people):
    open_client(api, people["bj_staff"], opened_by="bj_s1", name="北京华信科技")
    r = api(people["bj_staff"]).post("/b/bj/api/v1/clients/", _client(name="北京华信科技有限公司"), format="json")
    assert r.status_code == 201


def test_the_same_credit_code_under_another_name_is_refused(api, people):
    staff = api(people["bj_staff"])
    first = staff.post("/b/bj/api/v1/clients/", _client(credit_code=CODE), format="json").json()["id"]
    before = _state()
    r = staff.post("/b/bj/api/v1/clients/", _client(name="华信(北京)", credit_code=CODE.lower()), format="json")
    assert r.status_code == 400 and list(r.json()) == ["credit_code"]
    assert f"客户编号 {first}" in r.json()["credit_code"][0]
    assert _state() == before
    # two different codes are two companies, even under one name
    r = staff.post("/b/bj/api/v1/clients/", _client(credit_code=OTHER_CODE), format="json")
    assert r.status_code == 201, r.json()


def test_a_code_given_later_does_not_slip_past_a_record_without_one(api, people):
    first = open_client(api, people["bj_staff"], opened_by="bj_s1", name="北京华信科技")
    before = _state()
    r = api(people["bj_staff"]).post("/b/bj/api/v1/clients/", _client(credit_code=CODE), format="json")
    assert r.status_code == 400 and f"客户编号 {first}" in r.json()["name"][0]
    assert _state() == before


@pytest.mark.parametrize("code, words", [
    ("91110108MA01ABCDE", "18 位"), ("91110108MA01ABCDEX", "校验位"), ("91110108MA01ABCDIN", "无效字符"),
])
def test_a_wrong_credit_code_is_refused(api, people, code, words):
    before = _state()
    r = api(people["bj_staff"]).post("/b/bj/api/v1/clients/", _client(credit_code=code), format="json")
    assert r.status_code == 400 and list(r.json()) == ["credit_code"] and words in r.json()["credit_code"][0]
    assert _state() == before


def test_full_width_credit_code_is_normalised(api, people):
    full = "".join(chr(ord(c) + 0xFEE0) for c in CODE)
    r = api(people["bj_staff"]).post("/b/bj/api/v1/clients/", _client(credit_code=full), format="json")
    assert r.status_code == 201 and r.json()["credit_code"] == CODE


def test_another_branch_may_have_the_same_company(api, people):
    open_client(api, people["bj_staff"], opened_by="bj_s1", name="北京华信科技")
    open_client(api, people["sh_staff"], "sh", opened_by="sh_s1", name="北京华信科技")


def test_an_import_with_a_company_twice_imports_nothing(api, people):
    open_client(api, people["bj_staff"], opened_by="bj_s1", name="北京华信科技")
    before = _state()
    csv = "客户名称,员工人数,开户日期,开户人,服务\n新客户甲,10,2026-03-01,bj_s1,social_insurance\n北京华信科技 ,10,2026-03-01,bj_s2,social_insurance\n"
    f = io.BytesIO(csv.encode()); f.name = "clients.csv"
    r = api(people["bj_staff"]).post("/b/bj/api/v1/clients/import/", {"file": f}, format="multipart")
    assert r.status_code == 400
    report = r.json()
    assert report["imported"] == 0
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(3, "name")]
    assert _state() == before


# --- a sale only for a contracted service ----------------------------------------------------
def test_a_sale_for_a_service_not_contracted_is_refused(api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1")  # social_insurance only
    before = _state()
    body = {"client": cid, "service": "payroll_outsourcing", "period": "2026-03", "amount": "1000.00",
            "seller": "bj_s1"}
    r = api(people["bj_staff"]).post("/b/bj/api/v1/sales/", body, format="json")
    assert r.status_code == 400 and list(r.json()) == ["service"]
    assert "未签约薪酬外包" in r.json()["service"][0] and "社保代缴" in r.json()["service"][0]
    assert _state() == before


def test_a_sale_that_adds_the_service_says_so_and_is_audited(api, people):
    from clients.models import Client

    cid = open_client(api, people["bj_staff"], opened_by="bj_s1")
    body = {"client": cid, "service": "payroll_outsourcing", "period": "2026-03", "amount": "1000.00",
            "seller": "bj_s1", "add_service": True}
    r = api(people["bj_staff"]).post("/b/bj/api/v1/sales/", body, format="json")
    assert r.status_code == 201, r.json()
    with in_branch("bj"):
        client = Client.objects.get(pk=cid)
        assert client.services == ["social_insurance", "payroll_outsourcing"]
        last = client.history.latest()
        assert last.history_user_id == people["bj_staff"].pk and "新增服务" in last.history_change_reason


def test_the_sale_form_refuses_an_uncontracted_service_and_offers_to_add_it(api, client, people):
    from commissions.models import Sale

    cid = open_client(api, people["bj_staff"], opened_by="bj_s1")
    client.force_login(people["bj_staff"])
    form = {"client": str(cid), "service": "housing_fund", "period": "2026-03", "amount": "1000.00", "seller": "bj_s1"}
    before = _state()
    r = client.post("/b/bj/commissions/record/sale/", form)
    assert r.status_code == 200 and "未签约公积金代缴" in r.content.decode()
    assert _state() == before
    r = client.post("/b/bj/commissions/record/sale/", dict(form, add_service="on"))
    assert r.status_code == 302
    with in_branch("bj"):
        assert Sale.objects.filter(client_id=cid, service="housing_fund").count() == 1


def test_the_client_form_links_to_the_record_already_there(api, client, people):
    first = open_client(api, people["bj_staff"], opened_by="bj_s1", name="北京华信科技")
    client.force_login(people["bj_staff"])
    before = _state()
    r = client.post("/b/bj/commissions/record/client/", {
        "name": "北京华信科技", "headcount": "20", "opened_on": "2026-03-10", "opened_by": "bj_s2",
        "services": ["social_insurance"]})
    page = r.content.decode()
    assert r.status_code == 200 and f'href="/b/bj/clients/{first}/"' in page
    assert _state() == before



def test_a_sales_import_adds_a_service_only_when_the_row_says_so(api, people):
    from commissions.models import Sale

    cid = open_client(api, people["bj_staff"], opened_by="bj_s1")  # social_insurance only
    before = _state()
    csv = f"客户,服务,期间,金额,销售\n{cid},social_insurance,2026-03,10.00,bj_s1\n{cid},housing_fund,2026-03,20.00,bj_s1\n"
    f = io.BytesIO(csv.encode()); f.name = "s.csv"
    r = api(people["bj_staff"]).post("/b/bj/api/v1/sales/import/", {"file": f}, format="multipart")
    assert r.status_code == 400 and [(e["row"], e["column"]) for e in r.json()["errors"]] == [(3, "service")]
    assert _state() == before
    csv = f"客户,服务,期间,金额,销售,新增服务\n{cid},social_insurance,2026-03,10.00,bj_s1,\n{cid},housing_fund,2026-03,20.00,bj_s1,是\n"
    f = io.BytesIO(csv.encode()); f.name = "s.csv"
    r = api(people["bj_staff"]).post("/b/bj/api/v1/sales/import/", {"file": f}, format="multipart")
    assert r.status_code == 201, r.json()
    with in_branch("bj"):
        assert Sale.objects.filter(client_id=cid).count() == 2


def test_a_later_month_is_named_in_words_in_either_language(api, people):
    """"2027年1月晚于本月(2026年12月)" / "January 2027 is after this month (December 2026)",
    never the keys 2027-01 and 2026-12."""
    from django.utils import translation

    from hrsaas.core.formatting import format_period
    from hrsaas.core.inputs import Errors, parse_period

    cid = open_client(api, people["bj_staff"], opened_by="bj_s1")
    later = _next_month()
    r = api(people["bj_staff"]).post("/b/bj/api/v1/sales/", {"client": cid, "service": "social_insurance",
                                                              "period": later, "amount": "1000.00",
                                                              "seller": "bj_s1"}, format="json")
    today = timezone.localdate()
    words = f"{int(later[:4])}年{int(later[5:])}月晚于本月({today.year}年{today.month}月)"
    assert r.status_code == 400 and r.json()["period"][0].startswith(words), r.json()
    assert later not in r.json()["period"][0]
    with translation.override("en"):
        errors = Errors()
        parse_period({"period": later}, "period", errors, not_after_this_month=True)
        message = errors.errors["period"][0]
        assert message.startswith(f"{format_period(later)} is after this month ({format_period(today.strftime('%Y-%m'))})")
        assert re.match(r"[A-Z][a-z]+ \d{4} is after this month \([A-Z][a-z]+ \d{4}\)", message), message


def test_a_sale_before_the_opening_month_or_after_the_closing_names_them_in_words(api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1")  # opened 2026-03-10
    staff = api(people["bj_staff"])
    sale = {"client": cid, "service": "social_insurance", "amount": "1000.00", "seller": "bj_s1"}
    r = staff.post("/b/bj/api/v1/sales/", {**sale, "period": "2026-02"}, format="json")
    assert r.status_code == 400 and r.json() == {"period": ["销售期间早于客户开户月份 2026年3月。"]}
    assert staff.post(f"/b/bj/api/v1/clients/{cid}/close/", {"closed_on": "2026-05-20"},
                      format="json").status_code == 200
    r = staff.post("/b/bj/api/v1/sales/", {**sale, "period": "2026-06"}, format="json")
    assert r.status_code == 400 and "2026-05-20" not in r.json()["period"][0], r.json()
    assert r.json()["period"][0].startswith("客户已于 2026年5月20日 终止")
