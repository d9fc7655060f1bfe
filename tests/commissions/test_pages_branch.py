"""Branch workspace pages (/b/<code>/commissions/…): the manager's periods and close, statements
with each line's explanation, the staff's entry forms and the CSV/XLSX import.

Roles: manager closes; staff enter data (403 for specialists); a specialist sees only their own
statements (a colleague's is 404); another branch gets 404 everywhere; anonymous → login."""
from __future__ import annotations

import io
import re
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from clients.models import Client
from commissions.hq.models import BranchPeriod, EarnerMonthRollup
from commissions.models import Adjustment, Lead, Sale, StatementLine
from tests.conftest import in_branch
from tests.factories import make_user

from .conftest import drain, open_client

pytestmark = pytest.mark.django_db

WORKSPACE = ["/b/bj/commissions/"]
PAY = ["/b/bj/commissions/statements/2026-03/", "/b/bj/commissions/statements/2026-03/bj_s1/"]
STAFF_PAGES = ["/b/bj/commissions/record/client/", "/b/bj/commissions/record/sale/", "/b/bj/commissions/leads/",
               "/b/bj/commissions/import/"]
CLOSE = "/b/bj/commissions/periods/2026-03/close/"


def _html(response) -> str:
    return response.content.decode()


@contextmanager
def max_queries(n: int):
    """django_assert_max_num_queries without django-tenants' `SET search_path` statements."""
    with CaptureQueriesContext(connection) as ctx:
        yield ctx
    real = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith("SET search_path")]
    assert len(real) <= n, f"{len(real)} queries > {n}:\n" + "\n".join(q[:160] for q in real)


def field_error(html: str, field: str) -> list[str]:
    return re.findall(rf'<p class="field-error" data-field="{field}">([^<]*)</p>', html)


@pytest.fixture
def march(api, people):
    """bj 2026-03: bj_s1 800 + 1,800, bj_s2 1,200 (opening rewards)."""
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=30)
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=150, name="乙公司")
    open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=80, name="丙公司")
    drain("bj")
    return "2026-03"


# ---------------------------------------------------------------------------------------------
# Access per role
# ---------------------------------------------------------------------------------------------
def test_role_per_page(client, people, hq_admin):
    # statements are pay: every one for the manager, one's own for an earner (another's is missing),
    # none for branch staff, who record the events (薪酬保密)
    expect = {
        "bj_manager": (200, 200, 200, (200, 200)), "bj_staff": (200, 200, 403, (403, 403)),
        "bj_s1": (200, 403, 403, (200, 200)), "bj_mkt": (200, 403, 403, (200, 404)),
        "bj_contact": (404, 404, 404, (404, 404)), "sh_manager": (404, 404, 404, (404, 404)),
        "sh_s1": (404, 404, 404, (404, 404)),
    }
    for name, (workspace, staff, close, pay) in expect.items():
        client.force_login(people[name])
        for url in WORKSPACE:
            assert client.get(url).status_code == workspace, (name, url)
        assert tuple(client.get(url).status_code for url in PAY) == pay, name
        for url in STAFF_PAGES:
            assert client.get(url).status_code == staff, (name, url)
        assert client.get(CLOSE).status_code == close, name
    client.force_login(hq_admin)
    assert all(client.get(u).status_code == 200 for u in WORKSPACE + PAY + STAFF_PAGES)
    # closing the month is the branch's own manager's: HQ admin reads it, is not offered 关账
    assert client.get(CLOSE).status_code == 403
    assert "/close/" not in client.get(WORKSPACE[0]).content.decode()
    client.logout()
    for url in WORKSPACE + PAY + STAFF_PAGES + [CLOSE]:
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/"), url


def test_branch_home_is_a_workbench_per_role(client, people):
    client.force_login(people["bj_staff"])
    html = _html(client.get("/b/bj/"))
    assert 'data-testid="wb-todos"' in html and 'data-testid="todo-statements"' in html
    assert 'href="/b/bj/commissions/"' in html and 'href="/b/bj/si/"' in html  # side menu
    assert 'data-testid="kpi-commission"' not in html  # pay totals: managers and HQ only
    assert 'data-testid="todo-adjustments"' not in html  # approving is the manager's
    client.force_login(people["bj_manager"])
    html = _html(client.get("/b/bj/"))
    assert 'data-testid="todo-adjustments"' in html and 'data-testid="kpi-commission"' in html
    client.force_login(people["bj_s1"])
    r = client.get("/b/bj/")
    assert r.status_code == 302 and r["Location"] == "/b/bj/me/"  # earners land on their phone home
    html = _html(client.get("/b/bj/me/"))
    assert "我的提成单" in html and 'data-testid="tab-bar"' in html
    assert 'href="/b/bj/commissions/record/client/"' not in html


def test_every_workbench_link_opens_for_its_role(client, people, branches):
    """Each to-do and figure on a workbench leads to a page its reader may open: a manager's
    "浮动调整待审批" once led to a missing page."""
    from branches.roles import hq_roles_of, roles_in_branch
    from branches.workbench import branch_workbench, hq_workbench

    finance = make_user("wb_finance", (None, "hq_finance"))
    admin = make_user("wb_admin", (None, "hq_admin"))
    with in_branch("bj"):
        cases = [(u, branch_workbench(u, branches["bj"], roles_in_branch(u, branches["bj"])))
                 for u in (people["bj_manager"], people["bj_staff"], admin)]
    cases += [(u, hq_workbench(u, hq_roles_of(u))[0]) for u in (admin, finance)]
    checked = set()
    for user, wb in cases:
        client.force_login(user)
        links = [t.url for t in wb.todos] + [f.url for f in wb.figures if f.url]
        assert len(links) >= 4, (user.username, links)
        for url in links:
            r = client.get(url, follow=True)
            assert r.status_code == 200, (user.username, url, r.status_code)
            checked.add((user.username, url))
    assert ("bj_mgr", "/b/bj/commissions/adjustments/") in checked
    assert ("bj_staff", "/b/bj/commissions/adjustments/") in checked


# ---------------------------------------------------------------------------------------------
# Workspace home and statements
# ---------------------------------------------------------------------------------------------
def test_manager_workspace_shows_periods_close_links_and_pending_adjustments(client, api, people, march):
    api(people["bj_staff"]).post("/b/bj/api/v1/adjustments/", {
        "component": "opening_reward", "percent": "5.00", "effective_from": "2026-01-01", "reason": "r"}, format="json")
    client.force_login(people["bj_manager"])

    html = _html(client.get("/b/bj/commissions/"))

    row = re.search(r'data-testid="period-2026-03">(.*?)</tr>', html, re.S).group(1)
    assert "2026年3月" in row and "未结算" in row
    assert re.findall(r'<td class="num[^"]*"[^>]*>([^<]*)</td>', row) == ["2", "3", "0.00", "3,800.00"]
    assert 'href="/b/bj/commissions/periods/2026-03/close/"' in row
    assert "1 项浮动调整待审批" in html and 'href="/b/bj/commissions/adjustments/"' in html

    client.force_login(people["bj_staff"])
    html = _html(client.get("/b/bj/commissions/"))
    assert "periods/2026-03/close/" not in html and "1 项浮动调整待审批" in html


def test_specialist_workspace_and_list_show_only_their_own(client, people, march):
    client.force_login(people["bj_s2"])

    home = _html(client.get("/b/bj/commissions/"))
    listing = _html(client.get("/b/bj/commissions/statements/2026-03/"))

    row = re.search(r'data-testid="period-2026-03">(.*?)</tr>', home, re.S).group(1)
    assert re.findall(r'<td class="num[^"]*"[^>]*>([^<]*)</td>', row) == ["1", "0.00", "1,200.00"]
    assert "pending-adjustments" not in home and "/close/" not in home
    assert 'data-testid="row-bj_s2"' in listing and "bj_s1" not in listing


def test_statement_list_and_drill_down_to_each_lines_explanation(client, people, march):
    client.force_login(people["bj_manager"])

    listing = _html(client.get("/b/bj/commissions/statements/2026-03/"))
    detail = client.get("/b/bj/commissions/statements/2026-03/bj_s1/")

    assert re.findall(r'data-testid="row-(\w+)">.*?<td class="num">(\d+)</td><td class="num">([^<]*)</td>', listing) == [
        ("bj_s1", "2", "2,600.00"), ("bj_s2", "1", "1,200.00")]
    assert 'data-testid="statements-total">3,800.00<' in listing
    html = _html(detail)
    assert detail.status_code == 200 and 'data-testid="statement-total">2,600.00 元<' in html
    explanations = re.findall(r'data-testid="explanation">([^<]*)<', html)
    assert len(explanations) == 2 and all(e.startswith("开户奖励 ") for e in explanations)
    assert any("开户奖励 1,800.00 = 1,800.00" in e for e in explanations)
    assert "2026年3月10日" in html  # the event date in the locale's format
    assert 'href="/b/bj/commissions/statements/2026-03/bj_s1/"' in listing


def test_every_kind_of_line_is_named_in_words_an_inquirys_adjustment_too(client, people, march):
    import datetime as dt

    from commissions import services as commission_services

    with in_branch("bj"):
        commission_services.manual_line_post(actor=people["bj_manager"], earner_id=people["bj_s1"].pk, period="2026-03",
                                             amount=Decimal("480.00"), reference="inquiry:1",
                                             event_date=dt.date(2026, 3, 20))
    client.force_login(people["bj_manager"])
    html = _html(client.get("/b/bj/commissions/statements/2026-03/bj_s1/"))
    titles = re.findall(r'<td class="wrap">([^<]*)<div class="explain"', html)
    assert titles.count("开户奖励") == 2 and "申诉调整" in titles, titles
    assert "manual_adjustment" not in html
    client.cookies["django_language"] = "en"
    html = _html(client.get("/b/bj/commissions/statements/2026-03/bj_s1/"))
    assert "manual_adjustment" not in html and "Inquiry adjustment" in html


def test_a_specialist_cannot_open_a_colleagues_statement(client, people, march):
    client.force_login(people["bj_s1"])
    assert client.get("/b/bj/commissions/statements/2026-03/bj_s1/").status_code == 200
    assert client.get("/b/bj/commissions/statements/2026-03/bj_s2/").status_code == 404
    assert client.get("/b/bj/commissions/statements/2026-03/nobody/").status_code == 404
    client.force_login(people["sh_manager"])
    assert client.get("/b/bj/commissions/statements/2026-03/bj_s1/").status_code == 404


def test_bad_period_in_the_url_is_404_and_the_picker_redirects(client, people):
    client.force_login(people["bj_manager"])
    assert client.get("/b/bj/commissions/statements/2026-13/").status_code == 404
    assert client.get("/b/bj/commissions/periods/x/close/").status_code == 404
    r = client.get("/b/bj/commissions/statements/?period=2026-02")
    assert r.status_code == 302 and r["Location"] == "/b/bj/commissions/statements/2026-02/"


# ---------------------------------------------------------------------------------------------
# Close
# ---------------------------------------------------------------------------------------------
def test_close_page_shows_what_will_be_locked_then_closes_once(client, people, march):
    client.force_login(people["bj_manager"])

    page = _html(client.get(CLOSE))
    assert 'data-testid="people-count">2<' in page and 'data-testid="line-count">3<' in page
    assert 'data-testid="close-total">3,800.00<' in page
    assert re.findall(r'<td class="num">(\d+)</td><td class="num">([^<]*)</td>', page) == [
        ("2", "2,600.00"), ("1", "1,200.00")]

    unconfirmed = _html(client.post(CLOSE, {}))
    assert field_error(unconfirmed, "confirm") == ["请勾选确认后再关账。"]
    assert not BranchPeriod.objects.filter(period="2026-03").exists()

    ok = client.post(CLOSE, {"confirm": "on"})
    assert ok.status_code == 302 and ok["Location"] == "/b/bj/commissions/statements/2026-03/"
    bp = BranchPeriod.objects.get(branch__code="bj", period="2026-03")
    assert (bp.status, bp.closed_by_id) == ("closed", people["bj_manager"].pk)
    with in_branch("bj"):
        assert StatementLine.objects.filter(period="2026-03").count() == 3

    again = client.get(CLOSE)
    assert 'data-testid="already-closed"' in _html(again) and 'name="confirm"' not in _html(again)
    refused = client.post(CLOSE, {"confirm": "on"})
    assert "期间 2026年3月 已关账。" in _html(refused) and "2026-03 已关账" not in _html(refused)
    assert BranchPeriod.objects.get(pk=bp.pk).closed_at == bp.closed_at


def test_staff_and_specialists_cannot_close(client, people, march):
    for name in ("bj_staff", "bj_s1"):
        client.force_login(people[name])
        assert client.post(CLOSE, {"confirm": "on"}).status_code == 403
    client.force_login(people["sh_manager"])
    assert client.post(CLOSE, {"confirm": "on"}).status_code == 404
    assert not BranchPeriod.objects.filter(period="2026-03").exists()


# ---------------------------------------------------------------------------------------------
# Entry forms: the API's services, errors next to fields, typed values kept, nothing saved
# ---------------------------------------------------------------------------------------------
def _clients() -> int:
    with in_branch("bj"):
        return Client.objects.count()


def test_staff_records_an_opening(client, people):
    client.force_login(people["bj_staff"])

    r = client.post("/b/bj/commissions/record/client/", {
        "name": "丁公司", "headcount": "120", "opened_on": "2026-03-05", "opened_by": "bj_s1",
        "services": ["social_insurance", "housing_fund"], "contract_no": "HT-1", "city": "beijing"})

    assert r.status_code == 302 and r["Location"] == "/b/bj/commissions/record/client/"
    with in_branch("bj"):
        c = Client.objects.get(name="丁公司")
        assert (c.headcount, str(c.opened_on), c.opened_by_id, c.services, c.contract_no) == (
            120, "2026-03-05", people["bj_s1"].pk, ["social_insurance", "housing_fund"], "HT-1")
        assert c.history.get().history_user_id == people["bj_staff"].pk
    drain("bj")
    with in_branch("bj"):
        assert StatementLine.objects.get(earner_id=people["bj_s1"].pk).amount == Decimal("1800.00")
    assert "已录入开户:丁公司" in _html(client.get(r["Location"]))


def test_opening_form_errors_are_next_to_fields_and_nothing_is_saved(client, people):
    client.force_login(people["bj_staff"])

    r = client.post("/b/bj/commissions/record/client/", {
        "name": "", "headcount": "12a", "opened_on": "2026-02-30", "opened_by": "bj_mgr",
        "services": ["social_insurance"], "contract_no": "HT-9"})

    html = _html(r)
    assert r.status_code == 200
    assert field_error(html, "name") == ["该字段是必填项。"]
    assert field_error(html, "headcount") == ["须为整数。"]
    assert field_error(html, "opened_on") == ["日历上没有这一天:2026-02-30"]
    assert field_error(html, "opened_by") == ["bj_mgr 不是专员、市场或销售人员,不能计提成。"]
    assert 'value="12a"' in html and 'value="HT-9"' in html and 'value="bj_mgr"' in html
    assert re.search(r'value="social_insurance"[^>]*checked', html)
    assert _clients() == 0


def test_specialists_cannot_record(client, people):
    client.force_login(people["bj_s1"])
    r = client.post("/b/bj/commissions/record/client/", {"name": "x", "headcount": "5", "opened_on": "2026-03-01",
                                                         "opened_by": "bj_s1"})
    assert r.status_code == 403 and _clients() == 0
    client.force_login(people["sh_staff"])
    assert client.post("/b/bj/commissions/record/client/", {}).status_code == 404


def test_staff_records_a_sale_by_client_name_and_bad_input_is_refused(client, api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", name="甲公司")
    client.force_login(people["bj_staff"])

    bad = client.post("/b/bj/commissions/record/sale/", {"client": "无此公司", "service": "social_insurance",
                                                         "period": "2026-13", "amount": "100.001", "seller": "bj_s1"})
    html = _html(bad)
    assert field_error(html, "client") == ["未知客户:无此公司。"]
    assert field_error(html, "period") == ["期间格式须为 YYYY-MM:2026-13"]
    assert field_error(html, "amount") == ["金额最多保留 2 位小数。"]
    assert 'value="100.001"' in html and 'value="无此公司"' in html
    with in_branch("bj"):
        assert Sale.objects.count() == 0

    ok = client.post("/b/bj/commissions/record/sale/", {"client": "甲公司", "service": "social_insurance",
                                                        "period": "2026-03", "amount": "1,000,000.00", "seller": "bj_s1"})
    assert ok.status_code == 302
    assert "已录入销售:甲公司,2026年3月,1,000,000.00 元。" in _html(client.get(ok["Location"]))  # its name, not its id
    with in_branch("bj"):
        sale = Sale.objects.get()
        assert (sale.client_id, sale.amount, sale.seller_id) == (cid, Decimal("1000000.00"), people["bj_s1"].pk)

    twice = client.post("/b/bj/commissions/record/sale/", {"client": str(cid), "service": "social_insurance",
                                                           "period": "2026-03", "amount": "5.00", "seller": "bj_s1"})
    assert field_error(_html(twice), "period") == ["该客户该服务 2026年3月 的销售已录入。"]
    with in_branch("bj"):
        assert Sale.objects.count() == 1


def test_leads_are_recorded_and_signed_with_errors_next_to_fields(client, people):
    client.force_login(people["bj_staff"])

    bad = client.post("/b/bj/commissions/leads/", {"name": "某线索", "source": "marketing", "marketer": "",
                                                   "created_on": "2026-03-02", "qualified": "on"})
    assert field_error(_html(bad), "marketer") == ["市场线索须填写市场人员。"]
    assert 'value="某线索"' in _html(bad)
    with in_branch("bj"):
        assert Lead.objects.count() == 0

    ok = client.post("/b/bj/commissions/leads/", {"name": "某线索", "source": "marketing", "marketer": "bj_mkt",
                                                  "created_on": "2026-03-02", "qualified": "on"})
    assert ok.status_code == 302
    with in_branch("bj"):
        lead = Lead.objects.get()
        assert (lead.source, lead.marketer_id, lead.qualified) == ("marketing", people["bj_mkt"].pk, True)
    listing = _html(client.get("/b/bj/commissions/leads/"))
    assert f'data-testid="sign-{lead.pk}"' in listing and "bj_mkt" in listing

    sign = f"/b/bj/commissions/leads/{lead.pk}/sign/"
    bad_sign = _html(client.post(sign, {"amount": "-3", "signed_on": "2026-03-20", "seller": "bj_sales"}))
    assert field_error(bad_sign, "amount") == ["金额须大于 0。"] and 'value="-3"' in bad_sign
    with in_branch("bj"):
        assert Lead.objects.get().signed_on is None

    signed = client.post(sign, {"amount": "100000.00", "signed_on": "2026-03-20", "seller": "bj_sales"})
    assert signed.status_code == 302 and signed["Location"] == "/b/bj/commissions/leads/"
    with in_branch("bj"):
        lead = Lead.objects.get()
        assert (lead.amount, str(lead.signed_on), lead.seller_id) == (Decimal("100000.00"), "2026-03-20",
                                                                      people["bj_sales"].pk)
    twice = client.post(sign, {"amount": "1.00", "signed_on": "2026-03-21", "seller": "bj_sales"})
    assert "该线索已于 2026年3月20日 签约。" in _html(twice)
    assert client.get("/b/bj/commissions/leads/999999/sign/").status_code == 404


# ---------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------
def _csv(text: str, name="clients.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_import_with_a_bad_row_imports_nothing_and_reports_every_row(client, people):
    client.force_login(people["bj_staff"])
    text = ("客户名称,员工人数,开户日期,开户人\n"
            "甲公司,30,2026-03-01,bj_s1\n"
            "乙公司,abc,2026-03-02,bj_s1\n"
            "丙公司,40,2026-03-03,nobody\n")

    r = client.post("/b/bj/commissions/import/", {"kind": "clients", "file": _csv(text)}, HTTP_HX_REQUEST="true")

    html = _html(r)
    assert r.status_code == 200 and "<html" not in html  # the HTMX partial
    assert 'data-testid="import-failed"' in html and "未导入任何数据" in html
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>', html)
    assert rows == [("3", "员工人数", "须为整数。"), ("4", "开户人", "nobody 不是专员、市场或销售人员,不能计提成。")]
    assert _clients() == 0


def test_import_xlsx_sales_all_rows(client, api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", name="甲公司",
                      services=("social_insurance", "housing_fund"))
    wb = Workbook()
    wb.active.append(["客户", "服务", "期间", "金额", "销售"])
    wb.active.append([cid, "social_insurance", "2026-03", "1000000.00", "bj_s1"])
    wb.active.append(["甲公司", "housing_fund", "2026-03", "2345.5", "bj_s1"])
    buf = io.BytesIO()
    wb.save(buf)
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(people["bj_staff"])
    r = client.post("/b/bj/commissions/import/", {"kind": "sales", "file": SimpleUploadedFile("s.xlsx", buf.getvalue())})

    html = _html(r)
    assert r.status_code == 200 and "<html" in html and 'data-testid="import-ok"' in html
    assert "已导入 2 行" in html and "金额合计 1,002,345.50 元" in html
    with in_branch("bj"):
        assert sorted(Sale.objects.values_list("amount", flat=True)) == [Decimal("2345.50"), Decimal("1000000.00")]


def test_import_form_errors_next_to_the_field(client, people):
    client.force_login(people["bj_staff"])
    missing = _html(client.post("/b/bj/commissions/import/", {"kind": "clients"}))
    wrong_type = _html(client.post("/b/bj/commissions/import/", {"kind": "clients", "file": _csv("x", "a.pdf")}))
    no_columns = _html(client.post("/b/bj/commissions/import/", {"kind": "clients", "file": _csv("名称\n甲\n")}))
    assert field_error(missing, "file") == ["该字段是必填项。"]
    assert field_error(wrong_type, "file") == ["请上传 .csv 或 .xlsx 文件。"]
    assert field_error(no_columns, "file") == ["缺少列:客户名称、员工人数、开户日期、开户人。"]
    assert _clients() == 0
    client.force_login(people["bj_s1"])
    assert client.post("/b/bj/commissions/import/", {"kind": "clients", "file": _csv("x")}).status_code == 403


# ---------------------------------------------------------------------------------------------
# Queries: no page does a query per row
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def many_lines(people):
    """40 specialists × 3 lines in bj 2026-03 (90 for bj_s1 alone), their rollup, 100 open leads."""
    from branches.models import Branch

    bj = Branch.objects.get(code="bj")
    users = [make_user(f"q{i}", ("bj", "specialist"), home="bj") for i in range(40)]
    with in_branch("bj"):
        StatementLine.objects.bulk_create(
            [StatementLine(period="2026-03", earner=u, source=f"bj:client:{i * 10 + k}", component="opening_reward",
                           source_branch=bj, event_date="2026-03-05", rule_version_id=1, base=Decimal("800.00"),
                           rate=Decimal("100.00"), adjustment_percent=Decimal("0.00"), amount=Decimal("800.00"))
             for i, u in enumerate(users) for k in range(3)]
            + [StatementLine(period="2026-03", earner=people["bj_s1"], source=f"bj:sale:{k}", component="sales_commission",
                             source_branch=bj, event_date="2026-03-01", rule_version_id=3, base=Decimal("1000.00"),
                             rate=Decimal("2.00"), adjustment_percent=Decimal("10.00"), amount=Decimal("22.00"))
               for k in range(90)])
        Lead.objects.bulk_create([Lead(name=f"线索{i}", source="marketing", marketer=people["bj_mkt"],
                                       created_on="2026-03-01") for i in range(100)])
    for m in range(1, 13):
        EarnerMonthRollup.objects.bulk_create([EarnerMonthRollup(branch=bj, period=f"2025-{m:02d}", user=u,
                                                                 commission=Decimal("1.00")) for u in users])
    return users


@pytest.mark.parametrize("url,limit", [
    ("/b/bj/commissions/", 12),
    ("/b/bj/commissions/statements/2026-03/", 12),
    ("/b/bj/commissions/statements/2026-03/bj_s1/", 13),  # + the sales awaiting confirmation or payment
    (CLOSE, 12),
    ("/b/bj/commissions/leads/", 12),
    ("/b/bj/commissions/record/client/", 10),
    ("/b/bj/commissions/record/sale/", 10),
    ("/b/bj/commissions/import/", 10),
])
def test_pages_do_not_query_per_row(client, people, many_lines, url, limit):
    client.force_login(people["bj_manager"])
    client.get(url)

    with max_queries(limit):
        r = client.get(url)

    assert r.status_code == 200
    html = _html(r)
    if "statements/2026-03/" in url and "bj_s1" not in url:
        assert html.count('data-testid="row-') == 41
    if url.endswith("bj_s1/"):
        assert html.count('data-testid="explanation"') == 90
    if url == CLOSE:
        assert 'data-testid="line-count">210<' in html
    if url.endswith("leads/"):
        assert html.count('data-testid="sign-') == 100
    if url == "/b/bj/commissions/":
        assert html.count('data-testid="period-') == 12


def test_adjustment_tables_untouched_by_these_pages(client, people):
    """The workspace links to the existing adjustment pages rather than duplicating them."""
    client.force_login(people["bj_manager"])
    html = _html(client.get("/b/bj/commissions/"))
    assert 'href="/b/bj/commissions/adjustments/"' in html
    with in_branch("bj"):
        assert Adjustment.objects.count() == 0


def test_pages_follow_the_chosen_language(client, people, march):
    """Chinese by default; dates and months in the locale's format, money always 1,234.50."""
    client.force_login(people["bj_manager"])
    client.cookies["django_language"] = "en"

    html = _html(client.get("/b/bj/commissions/statements/2026-03/bj_s1/"))

    assert "March 2026" in html and "March 10, 2026" in html and "2,600.00" in html
    assert "Opening reward 1,800.00 = 1,800.00" in html  # the engine's English explanation


def test_months_close_in_order_the_later_one_is_refused_and_changes_nothing(client, api, people, march):
    """HQ must never pay a later month while an earlier one may still change: with February's
    statements still open, March cannot be closed (page, form and API), and 关账 is offered for
    February only; once February is closed, March closes."""
    open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=10, opened_on="2026-02-16", name="丁公司")
    drain("bj")
    client.force_login(people["bj_manager"])

    home = _html(client.get("/b/bj/commissions/"))
    assert 'href="/b/bj/commissions/periods/2026-02/close/"' in home
    assert ">2026年2月 待关账<" in _html(client.get("/b/bj/"))  # the workbench's to-do, the earliest month
    assert 'href="/b/bj/commissions/periods/2026-03/close/"' not in home

    page = _html(client.get(CLOSE))
    earlier = re.search(r'data-testid="earlier-open">(.*?)</p>', page, re.S).group(1)
    assert "2026年2月尚未关账" in earlier and 'href="/b/bj/commissions/periods/2026-02/close/"' in earlier
    assert 'name="confirm"' not in page

    refused = _html(client.post(CLOSE, {"confirm": "on"}))
    assert "2026年2月 尚未关账,请先关账 2026年2月,再关账 2026年3月。" in refused
    by_api = api(people["bj_manager"]).post("/b/bj/api/v1/periods/2026-03/close/")
    assert by_api.status_code == 400
    assert by_api.json() == {"period": ["2026年2月 尚未关账,请先关账 2026年2月,再关账 2026年3月。"]}
    assert not BranchPeriod.objects.exists()

    assert api(people["bj_manager"]).post("/b/bj/api/v1/periods/2026-02/close/").status_code == 200
    home = _html(client.get("/b/bj/commissions/"))
    assert 'href="/b/bj/commissions/periods/2026-03/close/"' in home
    todo = re.search(r'data-testid="todo-close">(.*?)</li>', _html(client.get("/b/bj/")), re.S).group(1)
    assert 'href="/b/bj/commissions/periods/2026-03/close/">2026年3月 待关账<' in todo
    assert client.post(CLOSE, {"confirm": "on"}).status_code == 302
    assert sorted(BranchPeriod.objects.values_list("period", "status")) == [
        ("2026-02", "closed"), ("2026-03", "closed")]
