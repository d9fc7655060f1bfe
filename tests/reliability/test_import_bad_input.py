"""Malformed import files (clients and sales, CSV in UTF-8 and GBK, XLSX): wrong columns, wrong
encoding, bad dates, duplicates, negative or over-precise amounts, formulas in cells. Each gets a
clear report — per row and column where the problem is in a row — and nothing is imported."""
from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import in_branch
from tests.factories import make_user

pytestmark = pytest.mark.django_db

CLIENTS = "/b/bj/api/v1/clients/import/"
SALES = "/b/bj/api/v1/sales/import/"


@pytest.fixture
def staff(branches):
    make_user("imp_s1", ("bj", "specialist"), home="bj")
    return make_user("imp_staff", ("bj", "branch_staff"), home="bj")


@pytest.fixture
def client_id(staff, api):
    r = api(staff).post("/b/bj/api/v1/clients/", {"name": "甲公司", "headcount": 30, "opened_on": "2026-01-05",
                                                  "opened_by": "imp_s1", "services": ["social_insurance", "housing_fund"]},
                        format="json")
    assert r.status_code == 201
    return r.json()["id"]


def _counts():
    from clients.models import Client
    from commissions.models import RecomputeMarker, Sale

    with in_branch("bj"):
        return Client.objects.count(), Sale.objects.count(), RecomputeMarker.objects.count()


def _post(api, user, path, name, content: bytes):
    before = _counts()
    r = api(user).post(path, {"file": SimpleUploadedFile(name, content)}, format="multipart")
    assert r.status_code == 400, r.content
    assert _counts() == before, "nothing may be imported"
    assert "Traceback" not in r.content.decode()
    return r.json()


def _cells(report) -> list[tuple[int, str]]:
    assert report["ok"] is False and report["imported"] == 0
    return [(e["row"], e["column"]) for e in report["errors"]]


def _xlsx(rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_wrong_columns(api, staff, encoding):
    body = _post(api, staff, CLIENTS, "c.csv", "客户,人数,日期\n甲公司,30,2026-03-01\n".encode(encoding))
    assert body == {"file": ["缺少列:客户名称、员工人数、开户日期、开户人。"]}
    body = _post(api, staff, SALES, "s.csv", "client,service,amount\n1,social_insurance,10\n".encode(encoding))
    assert body == {"file": ["缺少列:期间、销售人员。"]}


@pytest.mark.parametrize("content", [
    "客户名称,员工人数,开户日期,开户人\n甲公司,30,2026-03-01,imp_s1\n".encode("utf-16"),
    "name,headcount,opened_on,opened_by\nCafé Müller,30,2026-03-01,imp_s1\n".encode("latin-1"),
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
], ids=["utf-16", "latin-1", "binary"])
def test_wrong_encoding(api, staff, content):
    assert _post(api, staff, CLIENTS, "c.csv", content)["file"][0] in (
        "无法识别文件编码,请保存为 UTF-8 或 GBK 的 CSV。", "无法读取 CSV 文件,请上传 CSV 或 XLSX。")


def test_not_a_workbook(api, staff):
    assert _post(api, staff, CLIENTS, "c.xlsx", b"PK\x03\x04 not really a zip") == {"file": ["无法读取 XLSX 文件。"]}


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_bad_dates_rows_reported(api, staff, encoding):
    csv = ("客户名称,员工人数,开户日期,开户人\n甲公司,30,2026-03-01,imp_s1\n乙公司,30,2026/03/04,imp_s1\n"
           "丙公司,30,2026-02-30,imp_s1\n丁公司,30,明天,imp_s1\n戊公司,30,,imp_s1\n")
    report = _post(api, staff, CLIENTS, "c.csv", csv.encode(encoding))
    assert _cells(report) == [(3, "opened_on"), (4, "opened_on"), (5, "opened_on"), (6, "opened_on")]
    assert report["errors"][2]["message"] == "日期格式须为 YYYY-MM-DD:明天"


def test_bad_periods_and_services(api, staff, client_id):
    csv = (f"client,service,period,amount,seller\n{client_id},social_insurance,2026-13,10.00,imp_s1\n"
           f"{client_id},cleaning,2026-03,10.00,imp_s1\n{client_id},social_insurance,2026-3,10.00,imp_s1\n")
    assert _cells(_post(api, staff, SALES, "s.csv", csv.encode())) == [(2, "period"), (3, "service"), (4, "period")]


def test_duplicates_in_the_file_and_against_the_database(api, staff, client_id):
    r = api(staff).post("/b/bj/api/v1/sales/", {"client": client_id, "service": "housing_fund", "period": "2026-02",
                                                "amount": "5.00", "seller": "imp_s1"}, format="json")
    assert r.status_code == 201
    csv = (f"客户,服务,期间,金额,销售\n{client_id},social_insurance,2026-03,10.00,imp_s1\n"
           f"{client_id},social_insurance,2026-03,20.00,imp_s1\n{client_id},housing_fund,2026-02,5.00,imp_s1\n")
    report = _post(api, staff, SALES, "s.csv", csv.encode("gbk"))
    assert _cells(report) == [(3, "period"), (4, "period")]
    assert "已录入" in report["errors"][0]["message"]


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_negative_zero_and_over_precise_amounts(api, staff, client_id, encoding):
    rows = ["-5.00", "0", "1000.005", "12.3.4", "NaN", "1e400", "9999999999999.00"]
    csv = "客户,服务,期间,金额,销售\n" + "".join(
        f"{client_id},social_insurance,2026-{i + 1:02d},{amount},imp_s1\n" for i, amount in enumerate(rows))
    report = _post(api, staff, SALES, "s.csv", csv.encode(encoding))
    assert _cells(report) == [(n, "amount") for n in range(2, 2 + len(rows))]
    messages = [e["message"] for e in report["errors"]]
    assert messages[:3] == ["金额须大于 0。", "金额须大于 0。", "金额最多保留 2 位小数。"]


def test_headcount_not_a_whole_positive_number(api, staff):
    csv = "name,headcount,opened_on,opened_by\nA,-3,2026-03-01,imp_s1\nB,2.5,2026-03-01,imp_s1\nC,,2026-03-01,imp_s1\n"
    assert _cells(_post(api, staff, CLIENTS, "c.csv", csv.encode())) == [(2, "headcount"), (3, "headcount"),
                                                                         (4, "headcount")]


def test_formulas_in_csv_cells_are_refused(api, staff, client_id):
    csv = ("客户名称,员工人数,开户日期,开户人,合同编号\n"
           '"=HYPERLINK(""http://x"",""点我"")",30,2026-03-01,imp_s1,\n'
           "乙公司,=10*3,2026-03-01,imp_s1,\n"
           "丙公司,30,2026-03-01,imp_s1,+cmd|' /C calc'!A0\n"
           "丁公司,30,2026-03-01,imp_s1,@SUM(1+1)\n")
    report = _post(api, staff, CLIENTS, "c.csv", csv.encode("gbk"))
    assert _cells(report) == [(2, "name"), (3, "headcount"), (4, "contract_no"), (5, "contract_no")]
    assert report["errors"][0]["message"].startswith("单元格含公式(=HYPERLINK(")


def test_formulas_in_xlsx_cells_are_refused(api, staff, client_id):
    book = _xlsx([["client", "service", "period", "amount", "seller"],
                  [client_id, "social_insurance", "2026-03", "=B9*2", "imp_s1"],
                  [client_id, "housing_fund", "2026-03", 100, "imp_s1"]])
    report = _post(api, staff, SALES, "s.xlsx", book)
    assert _cells(report) == [(2, "amount")]
    assert "公式" in report["errors"][0]["message"]


def test_one_bad_row_among_many_blocks_the_whole_file(api, staff, client_id):
    rows = "".join(f"{client_id},social_insurance,{2000 + i // 12}-{1 + i % 12:02d},100.00,imp_s1\n" for i in range(300))
    csv = "client,service,period,amount,seller\n" + rows + f"{client_id},social_insurance,2025-06,0.001,imp_s1\n"
    assert _cells(_post(api, staff, SALES, "s.csv", csv.encode())) == [(302, "amount")]
