"""Payout files of a closed period: the bank batch file (收款人姓名, 收款账号, 开户行, 金额, 用途)
and the payroll import file (工号, 姓名, 身份证号, 所属期, 提成项目, 金额), their totals equal to
the statements' to the fen, blocked (naming who) while someone lacks payment data, HQ finance
only, every download recorded."""
from __future__ import annotations

from urllib.parse import quote

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from commissions.hq.models import PayoutFileDownload
from commissions.selectors import payout_summary
from tests.conftest import in_branch
from tests.factories import make_user

from .conftest import drain, open_client
from .test_payment_profiles import card, good, identity

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(db):
    return make_user("hq_fin", (None, "hq_finance"))


@pytest.fixture
def closed_march(api, people):
    """bj 2026-03: bj_s1 800 + 1,800 (two openings), bj_s2 1,200; closed by the manager."""
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=30)
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=150, name="乙公司")
    open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=80, name="丙公司")
    drain("bj")
    assert api(people["bj_manager"]).post("/b/bj/api/v1/periods/2026-03/close/").status_code == 200
    return "2026-03"


def _name(user, name):
    user.display_name = name
    user.save()


def fill(api, finance, user, **over):
    r = api(finance).put(f"/api/v1/payment-profiles/{user.pk}/", good(**over), format="json")
    assert r.status_code == 200, r.json()


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_person_without_payment_data_blocks_the_bank_file_by_name(client, api, finance, people, closed_march):
    _name(people["bj_s2"], "李四")
    fill(api, finance, people["bj_s1"], account_name="张三")
    client.force_login(finance)
    for url in ("/commissions/payouts/2026-03/bj/bank/csv/", "/commissions/payouts/2026-03/bj/payroll/xlsx/",
                "/commissions/payouts/2026-03/bank/xlsx/"):
        r = client.get(url)
        page = r.content.decode()
        assert r.status_code == 409 and "以下人员缺少发放信息" in page and "李四(北京" in page
        assert "张三" not in page
    assert not PayoutFileDownload.objects.exists()


def test_bank_file_total_equals_the_statements_total_to_the_fen(client, api, finance, people, closed_march):
    fill(api, finance, people["bj_s1"], account_name="张三", employee_number="BJ-0001")
    s2_card = card("622848001234567")
    refused = api(finance).put(f"/api/v1/payment-profiles/{people['bj_s2'].pk}/", good(account_name="=李四"),
                               format="json")
    assert refused.status_code == 400 and refused.json() == {
        "account_name": ["户名须为收款人的姓名:汉字或字母,可含空格和间隔号“·”。"]}
    fill(api, finance, people["bj_s2"], account_name="李四", employee_number="BJ-0002", bank_name="中国农业银行",
         bank_branch="北京西城支行", id_number=identity("11010519880512002"), account_number=s2_card)
    # A name stored before names were checked still leaves the file as text, never as a formula.
    from commissions.hq.models import PaymentProfile

    PaymentProfile.objects.filter(user=people["bj_s2"]).update(account_name="=李四")
    client.force_login(finance)
    # a link on another site does not download (and so record) the file with finance's session
    for site in ("cross-site", "CROSS-SITE", "same-site"):  # another site, a sibling subdomain included
        lured = client.get("/commissions/payouts/2026-03/bj/bank/csv/", headers={"Sec-Fetch-Site": site})
        assert lured.status_code == 403 and "请从本系统的发放页面下载文件" in lured.content.decode(), site
    assert not PayoutFileDownload.objects.exists()
    r = client.get("/commissions/payouts/2026-03/bj/bank/csv/", headers={"Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 200 and r["Content-Disposition"] == (
        'attachment; filename="bank-bj-2026-03.csv"; filename*=UTF-8\'\'' + quote("银行代发文件-北京分公司-2026年3月") + ".csv")
    rows = _csv(r)
    assert rows[0] == ["收款人姓名", "收款账号", "开户行", "金额", "用途"]
    assert rows[1:] == [
        ["'=李四", s2_card, "中国农业银行北京西城支行", "1200.00", "2026年3月提成"],
        ["张三", card(), "中国工商银行北京朝阳支行", "2600.00", "2026年3月提成"],
    ]
    with in_branch("bj"):
        statements = payout_summary("2026-03")
    file_total = sum(Decimal(row[3]) for row in rows[1:])
    assert file_total == statements.total == Decimal("3800.00") and r["X-Payout-Total"] == "3800.00"

    x = client.get("/commissions/payouts/2026-03/bj/bank/xlsx/")
    wb = load_workbook(io.BytesIO(x.content))
    sheet = wb.worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert len(values) == 2 and sum(Decimal(str(v[3])) for v in values) == statements.total
    assert sheet.cell(row=2, column=2).number_format == "@" and sheet.cell(row=2, column=4).number_format == "#,##0.00"
    summary = wb.worksheets[1]
    assert (summary["A1"].value, summary["B1"].value, summary["A2"].value, Decimal(str(summary["B2"].value))) == (
        "笔数", 2, "合计金额", Decimal("3800"))
    assert list(PayoutFileDownload.objects.values_list("kind", "rows", "total", "downloaded_by_id")) == [
        ("bank", 2, Decimal("3800.00"), finance.pk), ("bank", 2, Decimal("3800.00"), finance.pk)]


def test_payroll_import_file_has_one_row_per_person_and_component(client, api, finance, people, closed_march):
    fill(api, finance, people["bj_s1"], account_name="张三", employee_number="BJ-0001")
    fill(api, finance, people["bj_s2"], account_name="李四", employee_number="BJ-0002",
         id_number=identity("11010519880512002"), account_number=card("622848001234567"))
    client.force_login(finance)
    rows = _csv(client.get("/commissions/payouts/2026-03/bj/payroll/csv/"))
    assert rows == [
        ["工号", "姓名", "身份证号", "所属期", "提成项目", "金额"],
        ["BJ-0001", "张三", identity(), "2026-03", "开户奖励", "2600.00"],
        ["BJ-0002", "李四", identity("11010519880512002"), "2026-03", "开户奖励", "1200.00"],
    ]
    assert sum(Decimal(r[5]) for r in rows[1:]) == Decimal("3800.00")


def test_only_hq_finance_gets_the_files_and_an_open_period_has_none(client, api, finance, hq_admin, people):
    client.force_login(hq_admin)  # reads everything, but these files carry full account numbers
    assert client.get("/commissions/payouts/2026-03/bj/bank/csv/").status_code == 403
    client.force_login(people["bj_manager"])
    assert client.get("/commissions/payouts/2026-03/bj/bank/csv/").status_code == 404
    client.force_login(finance)
    assert client.get("/commissions/payouts/2026-03/bj/bank/csv/").status_code == 404  # not closed
    assert client.get("/commissions/payouts/2026-03/bj/bank/pdf/").status_code == 404
    assert client.get("/commissions/payouts/2026-03/bj/cash/csv/").status_code == 404
    assert not PayoutFileDownload.objects.exists()


def test_a_file_that_would_not_match_the_statements_is_not_served(client, api, finance, people, closed_march,
                                                                    monkeypatch):
    from commissions import selectors
    from commissions.selectors import PayoutSummary

    fill(api, finance, people["bj_s1"], employee_number="BJ-0001")
    fill(api, finance, people["bj_s2"], employee_number="BJ-0002", id_number=identity("11010519880512002"),
         account_number=card("622848001234567"))
    monkeypatch.setattr(selectors, "payout_summary", lambda period: PayoutSummary(statements=2, total=Decimal("3800.01")))
    client.force_login(finance)
    r = client.get("/commissions/payouts/2026-03/bj/bank/csv/")
    assert r.status_code == 409 and "合计 3,800.00 元与提成单合计 3,800.01 元不一致" in r.content.decode()
    monkeypatch.setattr(selectors, "payout_summary", lambda period: PayoutSummary(statements=3, total=Decimal("3800.00")))
    r = client.get("/commissions/payouts/2026-03/bj/payroll/csv/")
    assert r.status_code == 409 and "人数 2 与提成单 3 份不一致" in r.content.decode()
    assert not PayoutFileDownload.objects.exists()
