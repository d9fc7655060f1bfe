"""客户管理 pages (/b/<code>/clients/…): list with search, filters, sort, pages and export;
detail; 开户 and edit forms; 终止.

Roles: manager, staff and HQ admin read and write; a specialist reads the clients they opened
(403 on writes); a client contact, marketing and another branch's people get 404."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from clients.models import Client
from commissions.models import RecomputeMarker, Sale
from social_insurance.models import ClientContact, FeeStatement
from tests.conftest import in_branch
from tests.factories import make_user
from tests.social_insurance.helpers import add_employee

pytestmark = pytest.mark.django_db
LIST = "/b/bj/clients/"


def web(user) -> WebClient:
    c = WebClient()
    c.force_login(user)
    return c


def html_of(response) -> str:
    return response.content.decode()


@contextmanager
def max_queries(n: int):
    """At most n queries (django-tenants' `SET search_path` statements not counted)."""
    with CaptureQueriesContext(connection) as ctx:
        yield
    real = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith("SET search_path")]
    assert len(real) <= n, f"{len(real)} queries > {n}:\n" + "\n".join(q[:160] for q in real)


def field_error(html: str, field: str) -> list[str]:
    return re.findall(rf'<p class="field-error" data-field="{field}">([^<]*)</p>', html)


def visible(html: str) -> str:
    """The page's text as people read it (tags and attribute values left out)."""
    return re.sub(r"<[^>]+>", " ", html)


def rows_of(html: str) -> list[str]:
    """The client names of the list's rows, in order."""
    return re.findall(r'<tr data-testid="client-row">\s*<td[^>]*><a href="[^"]*">([^<]*)</a>', html)


@pytest.fixture
def people(branches):
    return {
        "manager": make_user("bj_mgr", ("bj", "branch_manager"), home="bj"),
        "staff": make_user("bj_staff", ("bj", "branch_staff"), home="bj"),
        "s1": make_user("bj_s1", ("bj", "specialist"), home="bj"),
        "s2": make_user("bj_s2", ("bj", "specialist"), home="bj"),
        "mkt": make_user("bj_mkt", ("bj", "marketing"), home="bj"),
        "contact": make_user("bj_contact", ("bj", "client_contact"), home="bj"),
        "sh_staff": make_user("sh_staff", ("sh", "branch_staff"), home="sh"),
    }


def _client(name, opener, *, headcount=30, opened_on="2026-01-10", services=("social_insurance",), grade="normal",
            closed_on=None, contract_no=""):
    return Client.objects.create(name=name, headcount=headcount, opened_on=dt.date.fromisoformat(opened_on),
                                 opened_by=opener, services=list(services), grade=grade, contract_no=contract_no,
                                 closed_on=dt.date.fromisoformat(closed_on) if closed_on else None)


@pytest.fixture
def book(people):
    """bj: 甲 (s1, VIP, 社保+公积金), 乙 (s2, 薪酬外包, closed), 丙 (s1); sh: 上海丁."""
    people["s1"].display_name = "王小明"
    people["s1"].save()
    with in_branch("bj"):
        a = _client("甲科技有限公司", people["s1"], headcount=120, services=("social_insurance", "housing_fund"),
                    grade="vip", contract_no="HT-2026-001", opened_on="2026-01-10")
        b = _client("乙贸易有限公司", people["s2"], headcount=40, services=("payroll_outsourcing",),
                    opened_on="2025-05-01", closed_on="2025-11-30")
        c = _client("丙咨询有限公司", people["s1"], headcount=60, opened_on="2026-02-01")
        ClientContact.objects.create(user=people["contact"], client=a)
    with in_branch("sh"):
        _client("上海丁公司", people["sh_staff"])
    return {"a": a, "b": b, "c": c}


# ---------------------------------------------------------------------------------------------
# Who may open what
# ---------------------------------------------------------------------------------------------
def test_each_role_reaches_the_pages_it_is_declared_for(people, book, hq_admin):
    a = book["a"]
    pages = [LIST, f"{LIST}{a.pk}/", f"{LIST}new/", f"{LIST}{a.pk}/edit/"]
    expect = {
        "manager": (200, 200, 200, 200), "staff": (200, 200, 200, 200), "s1": (200, 200, 403, 403),
        "s2": (200, 404, 403, 403), "mkt": (404, 404, 404, 404), "contact": (404, 404, 404, 404),
        "sh_staff": (404, 404, 404, 404),
    }
    checked = 0
    for name, codes in expect.items():
        page = web(people[name])
        for url, code in zip(pages, codes):
            assert page.get(url).status_code == code, (name, url)
            checked += 1
    assert checked == 28
    admin = web(hq_admin)
    assert [admin.get(u).status_code for u in pages] == [200, 200, 200, 200]
    anonymous = WebClient().get(LIST)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


def test_a_specialist_lists_only_the_clients_they_opened(people, book):
    html = html_of(web(people["s1"]).get(LIST))
    assert sorted(rows_of(html)) == sorted(["甲科技有限公司", "丙咨询有限公司"])
    assert 'data-testid="client-new"' not in html


def test_a_client_contact_cannot_close_or_edit(people, book):
    a = book["a"]
    assert web(people["contact"]).post(f"{LIST}{a.pk}/close/", {"closed_on": "2026-03-01"}).status_code == 404
    assert web(people["s1"]).post(f"{LIST}{a.pk}/close/", {"closed_on": "2026-03-01", "confirm": "on"}).status_code == 403
    with in_branch("bj"):
        assert Client.objects.get(pk=a.pk).closed_on is None


# ---------------------------------------------------------------------------------------------
# List: search, filters, sort, pages, in the users' words
# ---------------------------------------------------------------------------------------------
def test_list_shows_labels_names_and_local_dates(people, book):
    html = html_of(web(people["staff"]).get(LIST))

    assert rows_of(html) == ["丙咨询有限公司", "甲科技有限公司", "乙贸易有限公司"]  # by name (pinyin)
    row = re.search(r'<tr data-testid="client-row">(?:(?!</tr>).)*甲科技(?:(?!</tr>).)*</tr>', html, re.S).group(0)
    assert "社保代缴、公积金代缴" in row and "VIP" in row and "王小明" in row and "2026年1月10日" in row
    assert "在服" in row and "HT-2026-001" in row
    text = visible(html)
    assert "social_insurance" not in text and "bj_s1" not in text and "vip" not in text and "None" not in text
    assert "上海丁公司" not in html  # another branch's clients never appear
    assert "共 3 家客户" in html


def test_services_read_in_one_order_whatever_order_they_were_ticked_in(people, book):
    with in_branch("bj"):
        _client("丁物流有限公司", people["s1"], services=("payroll_outsourcing", "housing_fund", "social_insurance"))
    html = html_of(web(people["staff"]).get(LIST))
    row = re.search(r'<tr data-testid="client-row">(?:(?!</tr>).)*丁物流(?:(?!</tr>).)*</tr>', html, re.S).group(0)
    assert "社保代缴、公积金代缴、薪酬外包" in row


@pytest.mark.parametrize("query, expected", [
    ("q=甲科技", ["甲科技有限公司"]),
    ("q=HT-2026", ["甲科技有限公司"]),
    ("status=active", ["丙咨询有限公司", "甲科技有限公司"]),
    ("status=closed", ["乙贸易有限公司"]),
    ("grade=vip", ["甲科技有限公司"]),
    ("grade=normal", ["丙咨询有限公司", "乙贸易有限公司"]),
    ("service=payroll_outsourcing", ["乙贸易有限公司"]),
    ("service=housing_fund&status=active", ["甲科技有限公司"]),
    ("sort=-headcount", ["甲科技有限公司", "丙咨询有限公司", "乙贸易有限公司"]),
    ("sort=opened_on", ["乙贸易有限公司", "甲科技有限公司", "丙咨询有限公司"]),
    # by name in pinyin order (bing, jia, yi), as a Chinese spreadsheet sorts: not by code point
    # (丙 U+4E19, 乙 U+4E59, 甲 U+7532)
    ("sort=name", ["丙咨询有限公司", "甲科技有限公司", "乙贸易有限公司"]),
    ("sort=-name", ["乙贸易有限公司", "甲科技有限公司", "丙咨询有限公司"]),
    ("status=nonsense&grade=gold", ["丙咨询有限公司", "甲科技有限公司", "乙贸易有限公司"]),
    ("q=没有这家", []),
])
def test_list_search_filters_and_sort(people, book, query, expected):
    html = html_of(web(people["staff"]).get(f"{LIST}?{query}"))
    assert rows_of(html) == expected


def test_list_filters_by_opener(people, book):
    s1 = people["s1"].pk
    html = html_of(web(people["manager"]).get(f"{LIST}?opener={s1}&sort=name"))
    assert rows_of(html) == ["丙咨询有限公司", "甲科技有限公司"]
    assert f'<option value="{s1}" selected>王小明</option>' in html


def test_list_paginates_twenty_a_page_and_keeps_the_filters(people):
    with in_branch("bj"):
        for n in range(45):
            _client(f"客户{n:02d}", people["s1"], grade="vip" if n % 3 == 0 else "normal")
    page = web(people["staff"])

    with max_queries(12):  # bounded, whatever the number of clients
        first = html_of(page.get(f"{LIST}?grade=normal"))
    second = html_of(page.get(f"{LIST}?grade=normal&page=2"))

    assert "共 30 家客户" in first and "第 1 / 2 页" in first
    assert 'href="?grade=normal&amp;page=2"' in first
    assert len(rows_of(first)) == 20 and len(rows_of(second)) == 10
    assert not set(rows_of(first)) & set(rows_of(second))


def test_htmx_filter_request_gets_the_page_with_the_results(people, book):
    response = web(people["staff"]).get(f"{LIST}?grade=vip", HTTP_HX_REQUEST="true")
    html = html_of(response)
    assert response.status_code == 200 and 'id="results"' in html and rows_of(html) == ["甲科技有限公司"]


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------
def test_csv_export_has_chinese_headers_labels_and_the_filter(people, book):
    with in_branch("bj"):
        _client("=HYPERLINK(\"http://x\")", people["s1"])
    response = web(people["staff"]).get(f"{LIST}?status=active&format=csv")

    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["客户名称", "合同编号", "员工人数", "参保人数", "服务", "客户等级", "开户人", "开户日期", "状态",
                       "终止日期", "参保城市"]
    assert len(rows) == 1 + 3
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["甲科技有限公司"][4:9] == ["社保代缴、公积金代缴", "VIP", "王小明", "2026-01-10", "在服"]
    assert "'=HYPERLINK(\"http://x\")" in by_name  # a formula is written as text
    assert "乙贸易有限公司" not in by_name


def test_xlsx_export_keeps_numbers_and_dates_and_runs_no_formula(people, book):
    with in_branch("bj"):
        add_employee(book["a"], 1, "9000", "2025-06-01", actor=people["staff"])
        _client("=1+2", people["s1"], grade="vip")
    response = web(people["manager"]).get(f"{LIST}?grade=vip&format=xlsx")

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "客户名称" and len(rows) == 3
    assert rows[2][0] == "甲科技有限公司" and rows[2][2] == 120 and rows[2][3] == 1
    assert rows[2][7] == dt.datetime(2026, 1, 10)
    assert rows[1][0] == "'=1+2" and sheet["A2"].data_type == "s"  # text, not a formula


def test_a_specialist_exports_only_their_own_clients(people, book):
    text = web(people["s2"]).get(f"{LIST}?format=csv").content.decode("utf-8-sig")
    assert [r[0] for r in csv.reader(io.StringIO(text))][1:] == ["乙贸易有限公司"]


# ---------------------------------------------------------------------------------------------
# Detail
# ---------------------------------------------------------------------------------------------
def test_detail_shows_opening_sales_statements_and_insured_count(people, book):
    a = book["a"]
    with in_branch("bj"):
        Sale.objects.create(client=a, client_opened_on=a.opened_on, service="housing_fund", period="2026-02",
                            amount=Decimal("123456.50"), seller=people["s1"])
        FeeStatement.objects.create(period="2026-02", client=a, employee_count=2, employer_total=Decimal("4321.10"),
                                    employee_total=Decimal("1000.00"), total=Decimal("5321.10"))
        add_employee(a, 1, "9000", "2025-06-01", actor=people["staff"])
        add_employee(a, 2, "9000", "2025-06-01", end="2025-09-30", actor=people["staff"])

    html = html_of(web(people["staff"]).get(f"{LIST}{a.pk}/"))

    assert "甲科技有限公司" in html and "王小明" in html and "社保代缴、公积金代缴" in html and "HT-2026-001" in html
    sales = re.search(r'data-testid="client-sales">(.*?)</table>', html, re.S).group(1)
    assert "2026年2月" in sales and "公积金代缴" in sales and "123,456.50" in sales
    statements = re.search(r'data-testid="client-statements">(.*?)</table>', html, re.S).group(1)
    assert "5,321.10" in statements and "待客户确认" in statements
    assert re.search(r'data-testid="insured-count">1 ', html) and "历史共 2 人" in html
    assert "housing_fund" not in visible(html) and "issued" not in visible(html)


def test_a_specialist_reads_their_clients_page_without_its_fee_statements(people, book):
    """Fee statements are the office's (and the client's): with one insured person a month's
    total is that person's wage. The opener reads the rest of the page."""
    a = book["a"]
    with in_branch("bj"):
        FeeStatement.objects.create(period="2026-02", client=a, employee_count=1, employer_total=Decimal("4321.10"),
                                    employee_total=Decimal("1000.00"), total=Decimal("5321.10"))
    html = html_of(web(people["s1"]).get(f"{LIST}{a.pk}/"))
    assert "甲科技有限公司" in html and 'data-testid="client-sales"' in html
    assert 'data-testid="client-statements"' not in html
    assert "5,321.10" not in html and "4,321.10" not in html
    assert 'data-testid="client-statements"' in html_of(web(people["manager"]).get(f"{LIST}{a.pk}/"))


def test_an_account_speaking_for_a_company_of_another_branch_needs_the_second_tick(people, book):
    """Its link lives in the other branch's schema: the page said nothing and one click linked it
    (the review of 2026-12-06). The other company is not named to this office."""
    two = make_user("two_branch_contact", ("bj", "client_contact"), ("sh", "client_contact"), home="bj")
    with in_branch("sh"):
        ClientContact.objects.create(user=two, client=Client.objects.get(name="上海丁公司"))
    c, staff = book["c"], web(people["staff"])
    form = re.search(r'data-testid="client-contact-form">(.*?)</form>', html_of(staff.get(f"{LIST}{c.pk}/")), re.S).group(1)
    assert 'data-testid="client-contact-also"' in form and "其他分支机构的客户" in form and "上海丁公司" not in form
    refused = visible(html_of(staff.post(f"{LIST}{c.pk}/contacts/", {"contact": two.pk}, follow=True)))
    assert "已是其他分支机构的客户的联系人" in refused and "上海丁公司" not in refused
    with in_branch("bj"):
        assert not ClientContact.objects.filter(user=two).exists()
    done = html_of(staff.post(f"{LIST}{c.pk}/contacts/", {"contact": two.pk, "also": "1"}, follow=True))
    assert "已关联联系人" in done
    with in_branch("bj"):
        assert ClientContact.objects.filter(user=two, client=c).exists()


def test_the_office_links_a_client_contact_who_then_reads_that_company_too(people, book):
    """客户联系人: HQ creates the account with the role; the branch office links it to a company on
    the client page. Before, the contact sees none of that company's statements; after, it does —
    audited; unlinking closes it again. A wrong account, a repeat or a closed client is refused
    with its reason and nothing is written."""
    from social_insurance.models import FeeStatement

    b, c = book["b"], book["c"]  # the contact speaks for 甲 (the fixture); 丙 is open, 乙 closed
    with in_branch("bj"):
        st = FeeStatement.objects.create(period="2026-02", client=c, employee_count=1, employer_total=Decimal("100.00"),
                                         employee_total=Decimal("50.00"), total=Decimal("150.00"))
    contact, staff = web(people["contact"]), web(people["staff"])
    assert contact.get(f"/b/bj/si/statements/{st.pk}/").status_code == 404
    people["contact"].display_name = "甲公司联系人"
    people["contact"].save()

    page = html_of(staff.get(f"{LIST}{c.pk}/"))
    form = re.search(r'data-testid="client-contact-form">(.*?)</form>', page, re.S).group(1)
    assert f'value="{people["contact"].pk}"' in form and f'value="{people["s1"].pk}"' not in form  # contacts only
    # each choice says whom it already speaks for, and its sign-in name where another has the same name
    assert "甲公司联系人" in form and "已关联" in form and "甲科技有限公司" in form
    assert people["contact"].username not in form
    namesake = make_user("bj_contact_b", ("bj", "client_contact"), home="bj")
    namesake.display_name = people["contact"].display_name = "同名联系人"
    namesake.save()
    people["contact"].save()
    form = re.search(r'data-testid="client-contact-form">(.*?)</form>',
                     html_of(staff.get(f"{LIST}{c.pk}/")), re.S).group(1)
    assert "bj_contact_b" in form and people["contact"].username in form
    for bad in ("", "abc", str(people["s1"].pk), str(people["sh_staff"].pk), "999999"):
        r = html_of(staff.post(f"{LIST}{c.pk}/contacts/", {"contact": bad}, follow=True))
        assert "请选择本分支机构的客户联系人账号" in r or "必填" in r or "整数" in r, (bad, visible(r)[:300])
    with in_branch("bj"):
        assert list(ClientContact.objects.values_list("client_id", flat=True)) == [book["a"].pk]

    # The account speaks for 甲 already: one click would open 甲's and 丙's data to each other's
    # contact — the office ticks that it is one group's contact, or nothing is linked.
    assert 'data-testid="client-contact-also"' in form
    one_click = html_of(staff.post(f"{LIST}{c.pk}/contacts/", {"contact": people["contact"].pk}, follow=True))
    assert ("同名联系人 已是甲科技有限公司的联系人:关联后,其将同时看到甲科技有限公司和丙咨询有限公司的费用明细表、回款与参保人员。"
            in visible(one_click)), visible(one_click)[:400]
    with in_branch("bj"):
        assert list(ClientContact.objects.values_list("client_id", flat=True)) == [book["a"].pk]
    done = html_of(staff.post(f"{LIST}{c.pk}/contacts/", {"contact": people["contact"].pk, "also": "1"}, follow=True))
    assert "已关联联系人" in done and 'data-testid="client-contact"' in done
    again = html_of(staff.post(f"{LIST}{c.pk}/contacts/", {"contact": people["contact"].pk, "also": "1"}, follow=True))
    assert "已是该客户的联系人" in again
    with in_branch("bj"):
        assert ClientContact.objects.filter(user=people["contact"], client=c).count() == 1
        linked = ClientContact.history.get(client_id=c.pk)
        assert linked.history_user == people["staff"] and linked.history_change_reason == "client contact linked"
    # HQ's audit trail says which account was linked to which client, by whom
    from branches.audit import history_rows

    with in_branch("bj"):
        made = next(r for r in history_rows(ClientContact) if r["action"] == "created" and
                    {"field": "client", "before": None, "after": c.pk} in r["changes"])
    assert made["user_id"] == people["staff"].pk
    assert {"field": "user", "before": None, "after": people["contact"].pk} in made["changes"]
    assert contact.get(f"/b/bj/si/statements/{st.pk}/").status_code == 200
    assert "丙咨询有限公司" in html_of(contact.get("/b/bj/"))

    # a specialist reads the client page but links nobody; a client contact reaches none of it
    assert web(people["s1"]).post(f"{LIST}{c.pk}/contacts/", {"contact": people["contact"].pk}).status_code == 403
    assert contact.post(f"{LIST}{c.pk}/contacts/{people['contact'].pk}/remove/").status_code == 404
    # another branch's office reaches neither action; unlinking someone not linked is 404, nothing changes
    sh = web(people["sh_staff"])
    assert sh.post(f"{LIST}{c.pk}/contacts/", {"contact": people["contact"].pk}).status_code == 404
    assert sh.post(f"{LIST}{c.pk}/contacts/{people['contact'].pk}/remove/").status_code == 404
    assert staff.post(f"{LIST}{c.pk}/contacts/{people['s1'].pk}/remove/").status_code == 404
    with in_branch("bj"):
        assert ClientContact.objects.filter(client=c, user=people["contact"]).exists()

    gone = html_of(staff.post(f"{LIST}{c.pk}/contacts/{people['contact'].pk}/remove/", follow=True))
    assert f"已取消 {people['contact'].display_name} 的关联" in gone
    assert contact.get(f"/b/bj/si/statements/{st.pk}/").status_code == 404
    with in_branch("bj"):
        assert ClientContact.history.filter(client_id=c.pk, history_type="-").count() == 1
        removed = next(r for r in history_rows(ClientContact) if r["action"] == "deleted")
    assert {"field": "client", "before": c.pk, "after": None} in removed["changes"]
    closed = html_of(staff.post(f"{LIST}{b.pk}/contacts/", {"contact": people["contact"].pk}, follow=True))
    assert "已终止服务" in closed
    with in_branch("bj"):
        assert list(ClientContact.objects.values_list("client_id", flat=True)) == [book["a"].pk]


# ---------------------------------------------------------------------------------------------
# Create, edit, close
# ---------------------------------------------------------------------------------------------
def test_create_form_opens_a_client_with_chinese_services_and_the_opener_by_name(people):
    page = web(people["staff"])
    form = html_of(page.get(f"{LIST}new/"))
    assert '<option value="bj_s1">bj_s1 · 社保专员</option>' in form and "社保代缴" in form

    response = page.post(f"{LIST}new/", {
        "name": "新开户公司", "headcount": "５１", "opened_on": "2026-03-10", "opened_by": "bj_s1",
        "services": ["social_insurance", "payroll_outsourcing"], "grade": "vip", "contract_no": "HT-9", "city": "beijing"})

    with in_branch("bj"):
        client = Client.objects.get(name="新开户公司")
        assert (client.headcount, client.grade, client.services, client.opened_by_id, client.city) == (
            51, "vip", ["social_insurance", "payroll_outsourcing"], people["s1"].pk, "beijing")
        assert RecomputeMarker.objects.filter(period="2026-03").exists()  # the opener's commission follows
        assert client.history.first().history_user_id == people["staff"].pk
    assert response.status_code == 302 and response["Location"] == f"{LIST}{client.pk}/"


def test_create_form_refuses_bad_input_with_messages_and_writes_nothing(people):
    response = web(people["staff"]).post(f"{LIST}new/", {
        "name": "", "headcount": "0", "opened_on": "2026-02-30", "opened_by": "", "services": ["bogus"], "grade": "gold"})

    html = html_of(response)
    assert response.status_code == 400
    assert field_error(html, "name") and field_error(html, "opened_by")
    assert field_error(html, "headcount") == ["须大于等于 1。"]
    assert field_error(html, "opened_on")
    assert field_error(html, "services") and field_error(html, "grade")
    with in_branch("bj"):
        assert not Client.objects.exists()
        assert not RecomputeMarker.objects.exists()


def test_create_form_refuses_a_company_the_branch_already_has_on_its_name_field(people, book):
    """The same company twice would pay two opening rewards: refused on the form (it was a 500)."""
    with in_branch("bj"):
        before = Client.objects.count()
    response = web(people["staff"]).post(f"{LIST}new/", {
        "name": " 甲科技有限公司 ", "headcount": "60", "opened_on": "2026-03-10", "opened_by": "bj_s1",
        "services": ["social_insurance"], "grade": "normal"})

    assert response.status_code == 400
    assert field_error(html_of(response), "name") == [
        f"本分支机构已有同一客户(名称相同):甲科技有限公司(客户编号 {book['a'].pk}),不能重复录入。"]
    with in_branch("bj"):
        assert Client.objects.count() == before
        assert not RecomputeMarker.objects.exists()


def test_edit_changes_details_and_records_the_headcount_history(people, book):
    a = book["a"]
    page = web(people["staff"])
    response = page.post(f"{LIST}{a.pk}/edit/", {
        "name": "甲科技(集团)有限公司", "headcount": "150", "services": ["social_insurance"], "grade": "normal",
        "contract_no": "HT-2026-001B", "city": ""})
    assert response.status_code == 302

    with in_branch("bj"):
        a.refresh_from_db()
        assert (a.name, a.headcount, a.services, a.grade) == ("甲科技(集团)有限公司", 150, ["social_insurance"], "normal")
        assert a.opened_by_id == people["s1"].pk and a.opened_on == dt.date(2026, 1, 10)  # the 开户 event stays
        assert RecomputeMarker.objects.filter(period="2026-01").exists()  # new headcount tier → recompute
    html = html_of(page.get(f"{LIST}{a.pk}/"))
    history = re.search(r'data-testid="headcount-history">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r'<td class="num"[^>]*>(\d+)</td>', history) == ["120", "150"]
    assert "bj_staff" in history  # who changed it (the test user has no other name)


def test_edit_with_bad_input_changes_nothing(people, book):
    a = book["a"]
    response = web(people["staff"]).post(f"{LIST}{a.pk}/edit/", {
        "name": "改名", "headcount": "abc", "services": ["social_insurance"], "grade": "vip"})
    assert response.status_code == 400 and field_error(html_of(response), "headcount") == ["须为整数。"]
    with in_branch("bj"):
        a.refresh_from_db()
        assert a.name == "甲科技有限公司" and a.headcount == 120
        assert a.history.count() == 1


def test_a_closed_client_cannot_be_edited(people, book):
    b = book["b"]
    response = web(people["staff"]).post(f"{LIST}{b.pk}/edit/", {
        "name": "乙", "headcount": "41", "services": [], "grade": "normal"})
    assert response.status_code == 400 and "客户已于 2025年11月30日 终止,不能修改。" in html_of(response)
    with in_branch("bj"):
        assert Client.objects.get(pk=b.pk).headcount == 40


def test_close_a_client_and_refuse_a_date_before_the_opening(people, book):
    c = book["c"]
    page = web(people["manager"])

    unconfirmed = page.post(f"{LIST}{c.pk}/close/", {"closed_on": "2026-03-31"}, follow=True)
    assert "请勾选“确认终止”后再提交。" in html_of(unconfirmed)
    bad = page.post(f"{LIST}{c.pk}/close/", {"closed_on": "2025-12-31", "confirm": "on"}, follow=True)
    assert "终止日期不能早于开户日期 2026年2月1日。" in html_of(bad)
    with in_branch("bj"):
        assert Client.objects.get(pk=c.pk).closed_on is None

    ok = page.post(f"{LIST}{c.pk}/close/", {"closed_on": "2026-03-31", "confirm": "on"}, follow=True)
    html = html_of(ok)
    assert "已终止服务:丙咨询有限公司" in html and "2026年3月31日 终止" in html
    with in_branch("bj"):
        assert Client.objects.get(pk=c.pk).closed_on == dt.date(2026, 3, 31)


def test_pages_speak_english_when_switched(people, book):
    from django.conf import settings

    page = web(people["staff"])
    page.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = html_of(page.get(f"{LIST}?q=nothing-like-this"))
    assert 'data-testid="clients-title">Clients<' in html and "No client matches." in html and "0 clients" in html
    employees = html_of(page.get("/b/bj/si/employees/"))
    assert "This month's joiners and leavers list is reconciled by" in employees
