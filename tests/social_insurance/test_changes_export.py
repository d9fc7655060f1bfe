"""The month's 增减员 list as CSV/XLSX from the 社保 board, to key into the bureau's system: the
office's, this branch's, identity numbers masked as in the 参保员工 export."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from social_insurance import services
from social_insurance.models import ClientContact
from tests.conftest import in_branch
from tests.factories import make_user

from .helpers import add_employee, make_client, web

pytestmark = pytest.mark.django_db
M = "2025-08"



@pytest.fixture
def month(staff):
    """August: B joins 北京甲公司 on 20 Aug (增员); C leaves it on 15 Aug (减员; July was charged on
    9,000.00); E joins 北京乙公司 in July but is entered after July was filed (增员, back-paid
    from July); F has been insured since March (no change)."""
    with in_branch("bj"):
        c1, c2 = make_client("北京甲公司", staff), make_client("北京乙公司", staff)
        add_employee(c1, 3, "9000", "2025-01-01", "2025-08-15", actor=staff)
        add_employee(c2, 6, "8000", "2025-03-01", actor=staff)  # insured all along: no change in August
        services.month_compute(actor=staff, period="2025-07")
        services.month_reconcile(actor=staff, period="2025-07")
        services.month_file(actor=staff, period="2025-07", receipt_no="BJ-2025-07")
        add_employee(c1, 2, "12000.50", "2025-08-20", actor=staff)
        add_employee(c2, 5, "40000", "2025-07-01", actor=staff)
        services.month_compute(actor=staff, period=M)
    return c1, c2


HEADERS = ["类型", "姓名", "身份证号", "客户", "参保城市", "缴费基数", "生效月份", "参保开始日期", "离职日期", "备注"]


def test_the_office_downloads_the_months_changes_as_xlsx(staff, month):
    resp = web(staff).get(f"/b/bj/si/changes/?period={M}&format=xlsx")
    assert resp.status_code == 200
    assert resp["Content-Disposition"].startswith('attachment; filename="si-changes-2025-08.xlsx"')
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows == [
        HEADERS,
        ["增员", "员工2", "110***********0029", "北京甲公司", "北京", Decimal("12000.50"), dt.datetime(2025, 8, 1),
         dt.datetime(2025, 8, 20), None, None],
        ["增员", "员工5", "110***********0053", "北京乙公司", "北京", Decimal("35811.00"), dt.datetime(2025, 7, 1),
         dt.datetime(2025, 7, 1), None, "补缴自2025年7月"],
        ["减员", "员工3", "110***********0037", "北京甲公司", "北京", Decimal("9000.00"), dt.datetime(2025, 8, 1),
         None, dt.datetime(2025, 8, 15), None],
    ]
    # money, a month and a day as every file for people writes them (a month cell reads 2025年8月)
    assert ws["F2"].number_format == "#,##0.00" and ws["G2"].number_format == 'yyyy"年"m"月"'
    assert ws["H2"].number_format == "yyyy-mm-dd"


def test_the_csv_reads_as_every_file_for_people(staff, month):
    resp = web(staff).get(f"/b/bj/si/changes/?period={M}&format=csv")
    assert resp.status_code == 200
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows == [
        HEADERS,
        ["增员", "员工2", "110***********0029", "北京甲公司", "北京", "12,000.50", "2025年8月", "2025-08-20", "", ""],
        ["增员", "员工5", "110***********0053", "北京乙公司", "北京", "35,811.00", "2025年7月", "2025-07-01", "",
         "补缴自2025年7月"],
        ["减员", "员工3", "110***********0037", "北京甲公司", "北京", "9,000.00", "2025年8月", "", "2025-08-15", ""],
    ]
    board = web(staff).get(f"/b/bj/si/?period={M}").content.decode()
    assert f'href="/b/bj/si/changes/?period={M}&amp;format=xlsx"' in board
    assert f'href="/b/bj/si/changes/?period={M}&amp;format=csv"' in board
    # A month without changes: the headers alone.
    empty = web(staff).get("/b/bj/si/changes/?period=2025-10&format=csv").content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(empty))) == [HEADERS]


def test_only_the_office_of_this_branch_downloads_it(staff, month):
    c1, _c2 = month
    contact = make_user("jia_contact", ("bj", "client_contact"), home="bj")
    with in_branch("bj"):
        ClientContact.objects.create(user=contact, client=c1)
    for user in (make_user("bj_si", ("bj", "specialist"), home="bj"), contact,
                 make_user("sh_staff", ("sh", "branch_staff"), home="sh"), make_user("fin", (None, "hq_finance"))):
        assert web(user).get(f"/b/bj/si/changes/?period={M}&format=xlsx").status_code in (403, 404), user.username
    manager = make_user("bj_mgr", ("bj", "branch_manager"), home="bj")
    assert web(manager).get(f"/b/bj/si/changes/?period={M}&format=csv").status_code == 200
    # Another branch's list is its own: Shanghai's staff get Shanghai's (empty) month.
    sh = make_user("sh_staff2", ("sh", "branch_staff"), home="sh")
    body = web(sh).get(f"/b/sh/si/changes/?period={M}&format=csv").content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(body))) == [HEADERS]
    assert web(staff).get(f"/b/bj/si/changes/?period={M}&format=pdf").status_code == 404


def test_a_person_back_paid_and_gone_before_the_month_is_charged_shows_the_base_they_were_back_paid_on(staff):
    """G starts on 20 July, is entered after July was filed and leaves on 3 August (Beijing does
    not charge the leaving month): August charges them only the 补缴 of July, on 9,000.00 — the
    base both their 增员 and their 减员 rows show, as another back-paid person's rows do."""
    with in_branch("bj"):
        c1 = make_client("北京甲公司", staff)
        add_employee(c1, 6, "8000", "2025-03-01", actor=staff)
        services.month_compute(actor=staff, period="2025-07")
        services.month_reconcile(actor=staff, period="2025-07")
        services.month_file(actor=staff, period="2025-07", receipt_no="BJ-2025-07")
        add_employee(c1, 7, "9000", "2025-07-20", "2025-08-03", actor=staff)
        services.month_compute(actor=staff, period=M)
    rows = list(csv.reader(io.StringIO(
        web(staff).get(f"/b/bj/si/changes/?period={M}&format=csv").content.decode("utf-8-sig"))))
    assert [(r[0], r[1], r[5]) for r in rows[1:]] == [("增员", "员工7", "9,000.00"), ("减员", "员工7", "9,000.00")]
    ws = load_workbook(io.BytesIO(web(staff).get(f"/b/bj/si/changes/?period={M}&format=xlsx").content)).active
    assert [(r[0].value, r[5].value) for r in list(ws.iter_rows())[1:]] == [
        ("增员", Decimal("9000.00")), ("减员", Decimal("9000.00"))]
