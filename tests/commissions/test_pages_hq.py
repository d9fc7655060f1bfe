"""HQ console pages: the dashboard (payouts per branch and month, trends, comparison, company
leaderboard), finance's locked periods with "paid", and the payroll files (CSV and XLSX).
HQ admin and HQ finance read; only finance marks paid; branch people get 404, anonymous the
login page. Each page costs a fixed number of queries however many rows it shows."""
from __future__ import annotations

from urllib.parse import quote

import csv
import datetime as dt
import io
import json
import re
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from branches.models import Branch
from commissions.hq.models import BranchPeriod, EarnerMonthRollup
from hrsaas.core.formatting import format_period as period_label
from tests.conftest import in_branch, off_site_assets
from tests.factories import make_user

from .conftest import drain, open_client

pytestmark = pytest.mark.django_db

PAGES = ["/commissions/dashboard/", "/commissions/dashboard/?month=2026-03&metric=openings", "/commissions/finance/"]


@pytest.fixture
def finance(db):
    return make_user("hq_fin", (None, "hq_finance"))


def _html(response) -> str:
    return response.content.decode()


@contextmanager
def max_queries(n: int):
    """Like django_assert_max_num_queries, counting statements that read or write data:
    django-tenants sends a `SET search_path` before most queries, which would double the
    count without saying anything about the page."""
    with CaptureQueriesContext(connection) as ctx:
        yield ctx
    real = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith("SET search_path")]
    assert len(real) <= n, f"{len(real)} queries > {n}:\n" + "\n".join(q[:160] for q in real)


def _rollup(branch_code: str, period: str, user, *, openings=0, sales="0", commission="0"):
    return EarnerMonthRollup.objects.create(
        branch=Branch.objects.get(code=branch_code), period=period, user=user, openings=openings,
        sales_amount=Decimal(sales), commission=Decimal(commission))


def _close(code: str, period: str, user):
    return BranchPeriod.objects.create(branch=Branch.objects.get(code=code), period=period, status="closed",
                                       closed_by=user)


# ---------------------------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------------------------
def test_hq_admin_and_finance_read_branch_people_get_404_anonymous_login(client, hq_admin, finance, people):
    for user in (hq_admin, finance):
        client.force_login(user)
        for url in PAGES:
            assert client.get(url).status_code == 200, (user, url)
    for user in (people["bj_manager"], people["bj_staff"], people["bj_s1"]):
        client.force_login(user)
        for url in PAGES + ["/commissions/payroll/2026-03/csv/", "/commissions/payroll/2026-03/bj/xlsx/"]:
            assert client.get(url).status_code == 404, (user, url)
        assert client.post("/commissions/finance/bj/2026-03/paid/").status_code == 404
    client.logout()
    for url in PAGES:
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_hq_home_links_the_console(client, finance):
    client.force_login(finance)
    html = _html(client.get("/"))
    assert 'href="/commissions/dashboard/"' in html and 'href="/commissions/finance/"' in html
    # Finance's menu: the console, not the rule editor (rules are HQ admin's)
    assert 'href="/commissions/rules/"' not in html


# ---------------------------------------------------------------------------------------------
# Dashboard
# ---------------------------------------------------------------------------------------------
def test_dashboard_payouts_comparison_trends_and_leaderboard(client, hq_admin, people):
    _rollup("bj", "2026-03", people["bj_s1"], openings=3, sales="1000000.00", commission="1234567.50")
    _rollup("bj", "2026-03", people["bj_s2"], openings=1, sales="200000.00", commission="800.00")
    _rollup("bj", "2026-02", people["bj_s1"], openings=2, sales="300000.00", commission="2000.00")
    _rollup("sh", "2026-03", people["sh_s1"], openings=2, sales="50000.25", commission="3000.10")
    _close("bj", "2026-02", people["bj_manager"])
    client.force_login(hq_admin)

    html = _html(client.get("/commissions/dashboard/?month=2026-03&metric=commission"))

    assert 'data-testid="payout-bj-2026-03">1,235,367.50<' in html
    assert re.search(r'data-testid="payout-bj-2026-02">2,000.00<br><span class="pill status-closed">已关账</span>', html)
    assert 'data-testid="payout-sh-2026-03">3,000.10<' in html
    assert 'data-testid="payout-gz-2026-03">0.00<' in html
    assert 'data-testid="grand-total">1,240,367.60<' in html
    assert 'data-testid="month-total">1,238,367.60<' in html
    bj_row = re.search(r'data-testid="comparison-bj">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num"[^>]*>([^<]*)</td>', bj_row) == [
        "4", "1,200,000.00", "1,235,367.50", "2", "617,683.75", "99.76%"]
    assert "2026年3月" in html and "2026年2月" in html  # periods in the locale's format
    board = re.search(r'data-testid="leaderboard">(.*?)</table>', html, re.S).group(1)
    assert [r[0] for r in re.findall(r"<tr><td[^>]*>(\d+)</td><td[^>]*>([^<]*)</td>", board)] == ["1", "2", "3"]
    assert board.index("bj_s1") < board.index("sh_s1") < board.index("bj_s2")
    charts = json.loads(re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert charts["periods"] == ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    bj = next(s for s in charts["openings"] if s["label"] == "北京分公司")
    assert bj["data"] == ["0", "0", "0", "0", "2", "4"]
    assert "/static/vendor/chart-4.6.1.umd.min.js" in html and off_site_assets(html) == []


def test_dashboard_says_the_amounts_are_due_and_how_much_is_paid(client, finance, people):
    _rollup("bj", "2026-02", people["bj_s1"], commission="2000.00")
    _rollup("bj", "2026-03", people["bj_s1"], commission="800.00")
    _rollup("sh", "2026-03", people["sh_s1"], commission="300.00")
    BranchPeriod.objects.create(branch=Branch.objects.get(code="bj"), period="2026-02", status="paid",
                                closed_by=people["bj_manager"])
    client.force_login(finance)

    html = _html(client.get("/commissions/dashboard/?month=2026-03"))

    assert '<h2 data-testid="payouts-title">应发提成:分支机构 × 月份</h2>' in html
    assert "<h3>应发提成(元)</h3>" in html and "提成发放" not in html
    assert 'data-testid="payout-bj-2026-03">800.00<br><span class="pill status-open">未结算</span>' in html
    assert 'data-testid="payout-bj-2026-02">2,000.00<br><span class="pill status-paid">已发放</span>' in html
    assert 'data-testid="grand-total">3,100.00<' in html
    paid_row = re.search(r"<tr><th>其中已发放</th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r'<th class="num"[^>]*>([^<]*)</th>', paid_row) == [
        "0.00", "0.00", "0.00", "0.00", "2,000.00", "0.00", "2,000.00"]


def test_dashboard_leaderboard_by_openings(client, finance, people):
    _rollup("bj", "2026-03", people["bj_s1"], openings=1, commission="800.00")
    _rollup("sh", "2026-03", people["sh_s1"], openings=3, commission="100.00")
    client.force_login(finance)

    html = _html(client.get("/commissions/dashboard/?month=2026-03&metric=openings"))

    board = re.search(r'data-testid="leaderboard">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r'<td class="num"[^>]*>([^<]*)</td>', board) == ["3", "—", "1", "2"]


def test_dashboard_leaderboard_tells_namesakes_of_one_branch_apart_by_sign_in_name(client, finance, people):
    """The board's branch column tells 张伟 of 北京 from 张伟 of 上海; two of one branch get their
    sign-in names as well; a name no one else has stays alone."""
    for key, name in (("bj_s1", "张伟"), ("bj_s2", "张伟"), ("sh_s1", "张伟"), ("bj_mkt", "李娜")):
        people[key].display_name = name
        people[key].save(update_fields=["display_name"])
    for key, openings in (("bj_s1", 4), ("sh_s1", 3), ("bj_s2", 2), ("bj_mkt", 1)):
        _rollup(key[:2], "2026-03", people[key], openings=openings)
    client.force_login(finance)
    html = _html(client.get("/commissions/dashboard/?month=2026-03&metric=openings"))
    board = re.search(r'data-testid="leaderboard">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r"<tr><td[^>]*>\d+</td><td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td>", board) == [
        ("张伟(bj_s1)", "北京分公司"), ("张伟", "上海分公司"), ("张伟(bj_s2)", "北京分公司"), ("李娜", "北京分公司")]
    client.cookies["django_language"] = "en"
    english = _html(client.get("/commissions/dashboard/?month=2026-03&metric=openings"))
    assert "张伟 (bj_s1)" in english and "张伟 (bj_s2)" in english


def test_dashboard_queries_do_not_grow_with_rows(client, hq_admin):
    users = [make_user(f"dash{i}", ("bj", "specialist"), home="bj") for i in range(40)]
    rows = []
    for code in ("bj", "sh", "gz"):
        branch = Branch.objects.get(code=code)
        for month in range(1, 7):
            rows += [EarnerMonthRollup(branch=branch, period=f"2026-{month:02d}", user=u, openings=i % 4,
                                       sales_amount=Decimal(1000 * i), commission=Decimal(i) + Decimal("0.50"))
                     for i, u in enumerate(users)]
    EarnerMonthRollup.objects.bulk_create(rows)
    client.force_login(hq_admin)
    client.get("/commissions/dashboard/?month=2026-06")  # warm the session

    with max_queries(12):  # 5 for the request (tenant, session, user, roles, branches) + 5 for the page
        r = client.get("/commissions/dashboard/?month=2026-06&metric=sales")
    assert r.status_code == 200 and len(re.findall(r"<tr><td[^>]*>\d+</td>", _html(r))) == 20  # leaderboard top 20


# ---------------------------------------------------------------------------------------------
# Finance: locked periods, paid, payroll files
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def closed_march(api, people):
    """bj 2026-03: bj_s1 800 + 1,800 (two openings), bj_s2 1,200; closed by the manager."""
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=30)
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=150, name="乙公司")
    open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=80, name="丙公司")
    drain("bj")
    assert api(people["bj_manager"]).post("/b/bj/api/v1/periods/2026-03/close/").status_code == 200
    return "2026-03"


def test_finance_lists_closed_periods_and_marks_one_paid(client, api, finance, hq_admin, people, closed_march):
    client.force_login(finance)

    page = _html(client.get("/commissions/finance/"))
    row = re.search(r'data-testid="fp-bj-2026-03">(.*?)</tr>', page, re.S).group(1)
    assert "已关账" in row and '<td class="num" data-label="人数">2</td><td class="num" data-label="金额(元)">3,800.00</td>' in row
    assert 'data-testid="pay-bj-2026-03"' in row
    assert 'href="/commissions/payroll/2026-03/bj/xlsx/"' in row

    client.force_login(hq_admin)  # HQ admins read but do not pay
    assert 'data-testid="pay-bj-2026-03"' not in _html(client.get("/commissions/finance/"))
    assert client.post("/commissions/finance/bj/2026-03/paid/").status_code == 403
    assert client.get("/commissions/finance/bj/2026-03/paid/").status_code == 403
    assert BranchPeriod.objects.get(branch__code="bj", period="2026-03").status == "closed"

    from commissions.hq.models import PayoutBatch

    from .test_payment_profiles import card, good, identity

    for n, who in enumerate(("bj_s1", "bj_s2")):  # the bank file must be buildable to pay
        assert api(finance).put(f"/api/v1/payment-profiles/{people[who].pk}/", good(
            employee_number=f"BJ-{n}", id_number=identity(f"1101051990030712{n}"),
            account_number=card(f"62220202001122{n}")), format="json").status_code == 200
    client.force_login(finance)
    confirm = _html(client.get("/commissions/finance/bj/2026-03/paid/"))
    assert "2 份" in confirm and "3,800.00 元" in confirm
    r = client.post("/commissions/finance/bj/2026-03/paid/", {"confirm_statements": "2", "confirm_total": "3800.00"})
    assert r.status_code == 302 and r["Location"] == "/commissions/finance/bj/2026-03/paid/"
    assert BranchPeriod.objects.get(branch__code="bj", period="2026-03").status == "closed"  # prepared only
    batch = PayoutBatch.objects.get()
    client.force_login(make_user("hq_fin2", (None, "hq_finance")))  # the second pair of eyes
    r = client.post(f"/commissions/finance/batches/{batch.pk}/confirm/")
    assert r.status_code == 302 and r["Location"] == "/commissions/finance/?branch=bj"
    bp = BranchPeriod.objects.get(branch__code="bj", period="2026-03")
    assert (bp.status, bp.paid_by.username) == ("paid", "hq_fin2")
    followed = _html(client.get(r["Location"]))
    assert "已标记为已发放" in followed and 'data-testid="pay-bj-2026-03"' not in followed
    from notifications.models import Notification

    with in_branch("bj"):
        assert sorted(Notification.objects.filter(kind="commission_paid").values_list("title", flat=True)) == [
            "您的2026年3月开户奖励1,200.00元已到账", "您的2026年3月开户奖励2,600.00元已到账"]


def test_marking_an_open_period_paid_is_refused(client, finance, people):
    client.force_login(finance)
    r = client.post("/commissions/finance/bj/2026-04/paid/", follow=True)
    assert "尚未关账,不能发放" in _html(r)
    assert not BranchPeriod.objects.filter(period="2026-04").exists()
    assert client.post("/commissions/finance/nowhere/2026-04/paid/").status_code == 404
    assert client.post("/commissions/finance/bj/2026-4/paid/").status_code == 404


def test_payroll_csv_and_xlsx_have_exact_amounts_and_a_totals_row(client, finance, people, closed_march):
    client.force_login(finance)

    r = client.get("/commissions/payroll/2026-03/bj/csv/")
    x = client.get("/commissions/payroll/2026-03/bj/xlsx/")

    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert r["Content-Disposition"] == (
        'attachment; filename="commission-summary-bj-2026-03.csv"; filename*=UTF-8\'\'' + quote("提成汇总-北京分公司-2026年3月")
        + ".csv")
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    # People's words: no account names, the count in the totals row's own cell, money and the
    # month as every file for people writes them (工号 comes from the payment data, blank where
    # there is none yet).
    assert rows == [
        ["分支机构", "工号", "姓名", "金额(元)", "期间"],
        ["北京分公司", "", "bj_s1", "2,600.00", "2026年3月"],
        ["北京分公司", "", "bj_s2", "1,200.00", "2026年3月"],
        ["合计(2 人)", "", "", "3,800.00", "2026年3月"],
    ]
    sheet = load_workbook(io.BytesIO(x.content)).active
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [c[:3] + [Decimal(str(c[3])).quantize(Decimal("0.01"))] + c[4:] for c in cells[1:]] == [
        ["北京分公司", None, "bj_s1", Decimal("2600.00"), dt.datetime(2026, 3, 1)],
        ["北京分公司", None, "bj_s2", Decimal("1200.00"), dt.datetime(2026, 3, 1)],
        ["合计(2 人)", None, None, Decimal("3800.00"), dt.datetime(2026, 3, 1)],
    ]
    assert cells[0] == ["分支机构", "工号", "姓名", "金额(元)", "期间"]
    assert sheet["D2"].number_format == sheet["D4"].number_format == "#,##0.00"
    assert sheet["E2"].number_format == 'yyyy"年"m"月"'  # a month cell that reads 2026年3月


def test_payroll_cells_never_run_as_formulas(client, finance, api, people):
    people["bj_s1"].display_name = "=HYPERLINK(\"http://x\")"
    people["bj_s1"].save()
    open_client(api, people["bj_staff"], opened_by="bj_s1")
    drain("bj")
    api(people["bj_manager"]).post("/b/bj/api/v1/periods/2026-03/close/")
    client.force_login(finance)

    rows = list(csv.reader(io.StringIO(client.get("/commissions/payroll/2026-03/bj/csv/").content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(client.get("/commissions/payroll/2026-03/bj/xlsx/").content)).active

    assert rows[1][2] == "'=HYPERLINK(\"http://x\")"
    assert sheet["C2"].value == "'=HYPERLINK(\"http://x\")" and sheet["C2"].data_type == "s"


def _created_on(code: str, when: str) -> None:
    """The branch as if HQ had opened it at `when` (an aware ISO time): the session's test
    branches are made the day the suite runs, after the months the tests close."""
    Branch.objects.filter(code=code).update(created_at=dt.datetime.fromisoformat(when))


def test_company_payroll_has_only_branches_that_locked_the_period(client, finance, api, people, closed_march):
    for code in ("bj", "sh", "gz"):
        _created_on(code, "2026-01-05T10:00:00+08:00")
    open_client(api, people["sh_staff"], "sh", opened_by="sh_s1", headcount=60, name="沪公司")  # sh 2026-03 stays open
    drain("sh")
    client.force_login(finance)

    rows = list(csv.reader(io.StringIO(client.get("/commissions/payroll/2026-03/csv/").content.decode("utf-8-sig"))))

    assert [[r[0], r[2]] for r in rows[1:-1]] == [["北京分公司", "bj_s1"], ["北京分公司", "bj_s2"]]
    assert rows[-1][3] == "3,800.00"
    assert "1 / 3" in _html(client.get("/commissions/finance/"))


def _company_row(html: str, period: str) -> str:
    table = html.split('data-testid="company-periods"', 1)[1].split("</table>", 1)[0]
    return next(row for row in table.split("<tr>") if period_label(period) in row)


def test_closed_count_is_out_of_the_branches_that_existed_that_month(client, finance, people, closed_march):
    # given bj (closed March) and sh opened in January; gz opened on April 1st, 00:10 in Shanghai
    # (still March 31st in UTC)
    _created_on("bj", "2026-01-05T10:00:00+08:00")
    _created_on("sh", "2026-03-31T23:50:00+08:00")
    _created_on("gz", "2026-04-01T00:10:00+08:00")
    _close("gz", "2026-04", people["bj_manager"])
    client.force_login(finance)

    # when finance reads the company's periods
    html = _html(client.get("/commissions/finance/"))

    # then March counts bj and sh, not gz; April counts all three
    march = re.sub(r"<[^>]+>", " ", _company_row(html, "2026-03"))
    april = re.sub(r"<[^>]+>", " ", _company_row(html, "2026-04"))
    assert re.search(r"\b1 / 2\b", march), march
    assert re.search(r"\b1 / 3\b", april), april


def test_a_branch_that_closed_a_month_before_its_creation_is_counted_in_both_figures(
        client, finance, people, closed_march):
    _created_on("bj", "2026-06-01T09:00:00+08:00")
    for code in ("sh", "gz"):
        _created_on(code, "2026-01-05T10:00:00+08:00")
    client.force_login(finance)

    march = re.sub(r"<[^>]+>", " ", _company_row(_html(client.get("/commissions/finance/")), "2026-03"))

    assert re.search(r"\b1 / 3\b", march), march


def test_a_branch_made_later_with_statements_in_the_month_has_it_to_close(client, finance, api, people, closed_march):
    """Branches whose rows were made after March (their history imported at going live, or a
    demo's) but which have March statements still have March to close: 1 of 2, not 1 of 1."""
    _created_on("bj", "2026-01-05T10:00:00+08:00")
    for code in ("sh", "gz"):
        _created_on(code, "2026-06-01T09:00:00+08:00")
    open_client(api, people["sh_staff"], "sh", opened_by="sh_s1", headcount=60, name="沪公司")  # March, open
    drain("sh")
    client.force_login(finance)

    march = re.sub(r"<[^>]+>", " ", _company_row(_html(client.get("/commissions/finance/")), "2026-03"))

    assert re.search(r"\b1 / 2\b", march), march


def test_an_open_period_is_not_exported(client, finance, hq_admin, api, people):
    open_client(api, people["bj_staff"], opened_by="bj_s1")
    drain("bj")
    for user in (finance, hq_admin):
        client.force_login(user)
        assert client.get("/commissions/payroll/2026-03/bj/csv/").status_code == 404
        assert client.get("/commissions/payroll/2026-03/csv/").status_code == 404
    assert client.get("/commissions/payroll/2026-03/bj/pdf/").status_code == 404


def test_hq_admin_may_export_a_paid_period(client, hq_admin, finance, people, closed_march):
    from commissions import services

    services.period_mark_paid(actor=finance, branch=Branch.objects.get(code="bj"), period="2026-03")
    client.force_login(hq_admin)
    r = client.get("/commissions/payroll/2026-03/bj/csv/")
    assert r.status_code == 200 and "3,800.00" in r.content.decode("utf-8-sig")


def test_finance_page_queries_do_not_grow_with_rows(client, finance):
    users = [make_user(f"fin{i}", ("bj", "specialist"), home="bj") for i in range(30)]
    for code in ("bj", "sh", "gz"):
        branch = Branch.objects.get(code=code)
        for month in range(1, 9):
            period = f"2025-{month:02d}"
            BranchPeriod.objects.create(branch=branch, period=period, status="paid" if month < 5 else "closed",
                                        closed_by=users[0], paid_by=users[1] if month < 5 else None)
            EarnerMonthRollup.objects.bulk_create([EarnerMonthRollup(branch=branch, period=period, user=u,
                                                                     commission=Decimal("10.00")) for u in users])
    client.force_login(finance)
    client.get("/commissions/finance/")

    with max_queries(11):  # one for the branches with statements in each period (company_periods)
        r = client.get("/commissions/finance/")
    html = _html(r)
    assert html.count('data-testid="fp-') == 24 and html.count('data-testid="pay-') == 12
    assert '<td class="num" data-label="人数">30</td><td class="num" data-label="金额(元)">300.00</td>' in html


# ---------------------------------------------------------------------------------------------
# Mark paid: a confirmation with the count and total, re-checked when it is sent
# ---------------------------------------------------------------------------------------------
def _paid_notifications() -> int:
    from notifications.models import Notification

    with in_branch("bj"):
        return Notification.objects.filter(kind="commission_paid").count()


def test_mark_paid_shows_count_and_total_and_needs_the_confirmation(client, finance, people, closed_march):
    client.force_login(finance)
    finance_page = _html(client.get("/commissions/finance/"))
    assert 'href="/commissions/finance/bj/2026-03/paid/"' in finance_page  # a link to the confirmation, not a POST

    confirm = _html(client.get("/commissions/finance/bj/2026-03/paid/"))
    assert '<dd data-testid="confirm-count">2 份</dd>' in confirm
    assert '<dd class="big" data-testid="confirm-total">3,800.00 元</dd>' in confirm
    assert 'name="confirm_statements" value="2"' in confirm and 'name="confirm_total" value="3800.00"' in confirm
    assert BranchPeriod.objects.get(branch__code="bj", period="2026-03").status == "closed"  # a GET pays nothing

    # A POST without the confirmed figures (the old one-click form) pays nothing.
    r = client.post("/commissions/finance/bj/2026-03/paid/", follow=True)
    assert "请先核对提成单数量和金额" in _html(r) and 'data-testid="pay-confirm"' in _html(r)
    assert BranchPeriod.objects.get(branch__code="bj", period="2026-03").status == "closed"
    assert _paid_notifications() == 0


def test_mark_paid_refuses_a_total_that_changed_since_confirmation(client, finance, people, closed_march):
    client.force_login(finance)
    for shown in ({"confirm_statements": "2", "confirm_total": "3700.00"},    # total differs
                  {"confirm_statements": "3", "confirm_total": "3800.00"}):   # count differs
        r = client.post("/commissions/finance/bj/2026-03/paid/", shown, follow=True)
        html = _html(r)
        assert "确认后提成单已变化" in html and "现在 2 份、合计 3,800.00 元" in html and "未标记发放" in html
        bp = BranchPeriod.objects.get(branch__code="bj", period="2026-03")
        assert (bp.status, bp.paid_at, bp.paid_by_id) == ("closed", None, None)
        assert _paid_notifications() == 0
