"""Every file a person downloads reads alike (the rule in hrsaas/core/formatting.py, applied by
hrsaas/exports.py): a date 2026-11-15 in every language, a month 2026年11月 / November 2026, money
1,200.00 in a CSV and a #,##0.00 number in an XLSX, a date or month a real date cell; never
"None", never an internal key, never "Dec. 1, 2026" or "2026年12月6日".

The walk downloads each file for people as the roles that may download it, in Chinese and in
English, on a branch with data in every file. Files read by another system keep that system's
columns and are not walked: the bank batch file and the payroll import file
(commissions/hq/payouts/files.py, ADR 0006), and the import templates (commissions/views.py
`import_template`, social_insurance/employee_views.py `import_template`), whose example rows must
read back. A new export is caught by `test_every_export_is_walked_or_named_a_machine_file`."""
from __future__ import annotations

import csv
import datetime as dt
import io
import pathlib
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.test import Client as WebClient
from openpyxl import load_workbook

from hrsaas.core.labels import KINDS
from social_insurance import services as si_services
from social_insurance.models import ClientContact, FeeStatement, FeeStatementCharge
from tests.commissions.conftest import drain, open_client
from tests.conftest import in_branch
from tests.factories import make_user
from tests.social_insurance.helpers import add_employee, make_client

pytestmark = pytest.mark.django_db
ROOT = pathlib.Path(__file__).resolve().parents[2]
WINDOW = "months=4&until=2026-04"

MONEY = re.compile(r"-?\d{1,3}(?:,\d{3})*\.\d{2}")
NUMBER_WITH_DECIMALS = re.compile(r"-?[\d,]+\.\d+")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?")
# What the rule refuses anywhere in a cell, sentences included.
DJANGO_DATE = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}")
CHINESE_DAY = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")
BARE_MONTH = re.compile(r"(?<![\d-])\d{4}-\d{2}(?![\d-])")  # a month is 2026年11月 / November 2026
CHINESE_MONTH = re.compile(r"\d{4}年\d{1,2}月")
XLSX_DATE_FORMATS = {"yyyy-mm-dd", "yyyy-mm-dd hh:mm"}
MONTH_FORMAT = {"zh": 'yyyy"年"m"月"', "en": "[$-409]mmmm yyyy"}


def _internal_keys() -> set[str]:
    """Every code the product stores with a label: label tables and model choices."""
    keys = {k for table in KINDS.values() for k in table if isinstance(k, str)}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            for value, _words in getattr(field, "choices", None) or ():
                if isinstance(value, str):
                    keys.add(value)
    return {k for k in keys if re.fullmatch(r"[a-z][a-z0-9_]{2,}", k)}


def _text_problems(text: str, lang: str, *, in_xlsx: bool, keys: set[str]) -> list[str]:
    found = []
    stripped = text.strip()
    if stripped in ("None", "none", "null", "nan", "NaN"):
        found.append("an empty value written as a word")
    if stripped in keys:
        found.append("an internal key")
    if DJANGO_DATE.search(text) or CHINESE_DAY.search(text):
        found.append("a date not in the files' form (2026-11-15)")
    if BARE_MONTH.search(text) and not ISO_DATE.fullmatch(stripped):
        found.append("a month written as YYYY-MM")
    if lang == "en" and CHINESE_MONTH.search(text):
        found.append("a Chinese month in an English file")
    if NUMBER_WITH_DECIMALS.fullmatch(stripped):
        if in_xlsx:
            found.append("money written as text in an XLSX")
        elif not MONEY.fullmatch(stripped):
            found.append("money not written 1,200.00")
    return found


def csv_problems(content: bytes, lang: str, keys: set[str]) -> list[tuple]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) > 1, "a walked file must hold data"
    return [(r, c, value, why) for r, row in enumerate(rows, start=1) for c, value in enumerate(row, start=1)
            for why in _text_problems(value, lang, in_xlsx=False, keys=keys)]


def xlsx_problems(content: bytes, lang: str, keys: set[str]) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.max_row > 1, "a walked file must hold data"
    found = []
    for row in sheet.iter_rows():
        for cell in row:
            value, fmt, why = cell.value, cell.number_format, []
            if isinstance(value, str):
                why = _text_problems(value, lang, in_xlsx=True, keys=keys)
            elif isinstance(value, dt.datetime):
                if fmt == MONTH_FORMAT[lang]:
                    why = [] if value.day == 1 and not value.hour else ["a month cell not on the 1st"]
                elif fmt not in XLSX_DATE_FORMATS:
                    why = [f"a date cell formatted {fmt!r}"]
            elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                if fmt not in ("General", "#,##0.00", "0.00"):
                    why = [f"a number formatted {fmt!r}"]
                elif fmt == "General" and value != int(value):
                    why = ["money as a number without #,##0.00"]
            found += [(cell.row, cell.column, value, w) for w in why]
    return found


@pytest.fixture
def people(db):
    return {
        "bj_manager": make_user("bj_mgr", ("bj", "branch_manager"), home="bj"),
        "bj_staff": make_user("bj_staff", ("bj", "branch_staff"), home="bj"),
        "bj_s1": make_user("bj_s1", ("bj", "specialist"), home="bj"),
        "bj_s2": make_user("bj_s2", ("bj", "specialist"), home="bj"),
        "bj_contact": make_user("bj_contact", ("bj", "client_contact"), home="bj"),
    }


@pytest.fixture(params=["zh", "en"])
def lang(request):
    return request.param


@pytest.fixture
def branch_with_data(api, people, hq_admin, lang):
    """bj with something in every file: a closed month of commissions with an opening (its
    explanation names the rule's first day), a rule draft and a branch adjustment to replay, SI
    clients with people who joined and left, a fee statement with a late fee (its words carry
    dates), arrears, and a history check with issues (checked in `lang`: its messages are stored)."""
    staff, manager = people["bj_staff"], people["bj_manager"]
    people["bj_s1"].display_name = "张伟"
    people["bj_s1"].save()
    open_client(api, staff, opened_by="bj_s1", headcount=120)
    open_client(api, staff, opened_by="bj_s2", name="乙公司")
    drain("bj")
    draft = api(hq_admin).post("/api/v1/planning/rule-drafts/", {  # (before March is closed)
        "component": "opening_reward", "effective_from": "2026-01-01", "note": "小客户档提高",
        "tiers": [{"max_headcount": 50, "amount": "1000.00"}, {"max_headcount": None, "amount": "1800.00"}]},
        format="json")
    assert draft.status_code == 201, draft.content
    assert api(manager).post("/b/bj/api/v1/periods/2026-03/close/").status_code == 200
    contact = people["bj_contact"]
    with in_branch("bj"):
        company = make_client("北京甲公司", staff)
        ClientContact.objects.create(user=contact, client=company)
        add_employee(company, 1, "16500", "2025-06-10", actor=staff)
        add_employee(company, 2, "9000", "2025-06-10", "2025-08-15", actor=staff)
        add_employee(company, 3, "12000.50", "2025-08-20", actor=staff)
        si_services.month_compute(actor=staff, period="2025-08")
        statement = FeeStatement.objects.get(period="2025-08", client=company)
        FeeStatementCharge.objects.create(
            statement=statement, kind="late_fee", amount=Decimal("0.50"), explanation="滞纳金",
            args={"period": "2025-08", "deadline": "2025-08-25", "total": "0.50",
                  "parts": [{"contributions": "1000.00", "days": 1, "paid_on": "2025-08-26", "fee": "0.50"}]})
    sheet = ("月份,账号,项目,客户名称,员工人数,开户日期,服务,计费金额,提成金额\n"
             "2025-03,bj_s1,开户奖励,丙公司,30,2025-03-05,,,1800.00\n"
             "2025-03,bj_s1,销售提成,丙公司,,,社保代缴,100000.00,2000.00\n"
             "2025-03,bj_s1,销售提成,丙公司,,,社保代缴,100000.00,2000.00\n"
             "2025-02,bj_s1,销售提成,丙公司,,,公积金代缴,100000.00,2000.00\n")  # before its opening
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = api(manager).post("/b/bj/api/v1/history/imports/", {
        "file": SimpleUploadedFile("h.csv", sheet.encode()), "kind": "history"}, format="multipart")
    assert upload.status_code == 201, upload.content
    history_id = upload.json()["id"]
    checker = api(manager)  # the check's messages are stored in its reader's language
    if lang == "en":
        checker.cookies["django_language"] = "en"
    checked = checker.post(f"/b/bj/api/v1/history/imports/{history_id}/check/", {}, format="json")
    assert checked.status_code == 200
    issues = {i["code"] for check in ("format", "logic", "compare") for i in checked.json()["report"][check]["issues"]}
    assert {"duplicate_line", "sale_before_opening"} <= issues, issues  # a message with a day in it
    return {"statement": statement.pk, "draft": draft.json()["id"], "history": history_id,
            "finance": make_user("files_fin", (None, "hq_finance")), "hq_admin": hq_admin}


def people_files(data: dict, people: dict) -> list[tuple]:
    """(who downloads, path without the format) for every file for people; the format is added
    as `?format=`, `.csv`, or `/csv/` as each route spells it."""
    p, fin, adm = people, data["finance"], data["hq_admin"]
    q = lambda url: (lambda fmt: f"{url}{'&' if '?' in url else '?'}format={fmt}")  # noqa: E731
    return [
        # 客户管理: the office, the manager, a specialist (their own clients)
        *[(u, "clients", q("/b/bj/clients/")) for u in (p["bj_staff"], p["bj_manager"], p["bj_s1"])],
        # 参保员工: the office and the client's contact
        *[(u, "insured employees", q("/b/bj/si/employees/")) for u in (p["bj_staff"], p["bj_contact"])],
        *[(u, "arrears", q("/b/bj/si/arrears/")) for u in (p["bj_staff"], p["bj_manager"])],
        *[(u, "SI changes", q("/b/bj/si/changes/?period=2025-08")) for u in (p["bj_staff"], p["bj_manager"])],
        # 费用明细表 (XLSX only): the office and the client
        *[(u, "fee statement", lambda fmt: f"/b/bj/si/statements/{data['statement']}/?format=xlsx" if fmt == "xlsx"
           else None) for u in (p["bj_staff"], p["bj_contact"])],
        *[(u, "statements", q("/b/bj/commissions/statements/2026-03/")) for u in (p["bj_manager"], p["bj_s1"], fin)],
        *[(u, "statement", q("/b/bj/commissions/statements/2026-03/bj_s1/")) for u in (p["bj_manager"], p["bj_s1"])],
        *[(u, "commission summary", lambda fmt: f"/commissions/payroll/2026-03/{fmt}/") for u in (fin, adm)],
        (fin, "commission summary (branch)", lambda fmt: f"/commissions/payroll/2026-03/bj/{fmt}/"),
        (p["bj_manager"], "adjustment replay", lambda fmt: (
            f"/b/bj/commissions/adjustments/planning/replay.{fmt}?component=opening_reward&percent=10&{WINDOW}")),
        *[(u, "rule draft replay", lambda fmt: f"/commissions/rules/drafts/{data['draft']}/replay.{fmt}?{WINDOW}")
          for u in (adm, fin)],
        *[(u, "history check", lambda fmt: f"/b/bj/history/{data['history']}/report.{fmt}") for u in (p["bj_manager"], fin)],
    ]


def test_every_file_for_people_follows_the_one_rule(people, branch_with_data, lang):
    keys = _internal_keys()
    walked, problems = 0, []
    for user, what, url_of in people_files(branch_with_data, people):
        web = WebClient()
        web.force_login(user)
        if lang == "en":
            web.cookies["django_language"] = "en"
        for fmt in ("csv", "xlsx"):
            url = url_of(fmt)
            if url is None:
                continue
            response = web.get(url)
            assert response.status_code == 200, (user.username, url, response.status_code)
            assert "attachment" in response["Content-Disposition"], url
            found = (csv_problems if fmt == "csv" else xlsx_problems)(response.content, lang, keys)
            problems += [(what, user.username, fmt, *p) for p in found]
            walked += 1
    assert problems == []
    assert walked == 46


def test_the_rule_reads_the_same_in_both_languages():
    """The forms themselves (hrsaas.core.formatting.file_text), as a CSV writes them."""
    from django.utils import translation

    from hrsaas.core.formatting import file_text
    from hrsaas.core.period import Period

    values = [Decimal("11435.6"), Decimal("-1234567.891"), dt.date(2026, 11, 15), Period(2026, 11), None, 3, "甲"]
    with translation.override("zh-hans"):
        assert [file_text(v) for v in values] == ["11,435.60", "-1,234,567.89", "2026-11-15", "2026年11月", "", 3, "甲"]
    with translation.override("en"):
        assert [file_text(v) for v in values] == ["11,435.60", "-1,234,567.89", "2026-11-15", "November 2026", "", 3,
                                                  "甲"]


def test_the_walk_catches_a_file_that_breaks_the_rule():
    keys = {"opening_reward"}
    bad = "\ufeff名称,日期,月份,金额,项目,空\r\n甲,\"Dec. 1, 2026\",2026-10,11435.60,opening_reward,None\r\n".encode()
    reasons = {p[3] for p in csv_problems(bad, "zh", keys)}
    assert reasons == {"a date not in the files' form (2026-11-15)", "a month written as YYYY-MM",
                       "money not written 1,200.00", "an internal key", "an empty value written as a word"}
    good = "\ufeff名称,日期,月份,金额\r\n甲,2026-12-01,2026年10月,\"11,435.60\"\r\n".encode()
    assert csv_problems(good, "zh", keys) == []


# Every place that builds a spreadsheet, and how many files it builds there: a file for people is
# walked above; a file for another system is named here with the reason. A new export changes
# these counts and fails until it is walked or named.
EXPORT_CALLS = {
    "clients/views.py": 1,  # walked: clients
    "social_insurance/employee_views.py": 2,  # walked: insured employees; + the import template (reads back)
    "social_insurance/money_views.py": 1,  # walked: arrears
    "social_insurance/views.py": 2,  # walked: SI changes, fee statement
    "commissions/statement_exports.py": 2,  # walked: statements, statement
    "commissions/planning/exports.py": 1,  # walked: both replays
    "commissions/hq/payroll.py": 2,  # walked: commission summary CSV and XLSX
    "history/views.py": 1,  # walked: history check
    "commissions/views.py": 2,  # import templates (CSV, XLSX): the importer's columns, read back
    "commissions/hq/payouts/files.py": 2,  # bank batch / payroll import files: the banks' and payroll systems' columns
    "history/sample_sheet.py": 1,  # a sample sheet for the checks' tests and benchmark, never downloaded
}


def test_every_export_is_walked_or_named_a_machine_file():
    call = re.compile(r"\b(?:table_response|csv_bytes|Sheet)\(")
    found = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith((".venv/", "tests/", "bench/", "node_modules/")) or rel == "hrsaas/exports.py":
            continue
        n = len(call.findall(path.read_text(encoding="utf-8")))
        if n:
            found[rel] = n
    assert found == EXPORT_CALLS
