"""Server-rendered pages: board, statement (print + XLSX), HQ policy table, duplicates report."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from hrsaas.core.formatting import format_money, format_period
from social_insurance import services
from social_insurance.models import ClientContact, FeeStatement, FeeStatementCharge, MonthCycle
from tests.conftest import in_branch
from tests.factories import make_user

from .helpers import add_employee, make_client, web

pytestmark = pytest.mark.django_db
M = "2025-08"



@pytest.fixture
def setup(branches):
    staff = make_user("bj_staff", ("bj", "branch_staff"), home="bj")
    contact = make_user("bj_contact", ("bj", "client_contact"), home="bj")
    with in_branch("bj"):
        c1 = make_client("北京甲公司", staff)
        ClientContact.objects.create(user=contact, client=c1)
        add_employee(c1, 1, "40000", "2025-06-10", actor=staff)
        add_employee(c1, 2, "3000", "2025-08-20", actor=staff, payroll_city="shanghai")
    return staff, contact, c1


def test_board_computes_reconciles_and_files_through_the_page(setup):
    staff, contact, _ = setup
    page = web(staff)

    html = page.get(f"/b/bj/si/?period={M}").content.decode()
    assert "社保月度流程" in html and "未计算" in html
    page.post("/b/bj/si/actions/compute/", {"period": M})
    html = page.get(f"/b/bj/si/?period={M}").content.decode()
    assert "北京甲公司" in html and "参保地、合同地、发薪地不一致" in html and "110***********" in html
    assert "si-reconcile-overdue" in html  # 2025-08-05 has passed
    page.post("/b/bj/si/actions/reconcile/", {"period": M})
    # Filing freezes the month: not without the box ticked.
    refused = page.post("/b/bj/si/actions/file/", {"period": M, "receipt_no": "R-1"}, follow=True).content.decode()
    assert "请勾选确认:申报后本月的人员和金额不能再修改。" in refused and 'data-testid="si-file-confirm"' in refused
    with in_branch("bj"):
        assert MonthCycle.objects.get(period=M).status == "reconciled"
    page.post("/b/bj/si/actions/file/", {"period": M, "receipt_no": "R-1", "confirm": "1"})
    with in_branch("bj"):
        assert MonthCycle.objects.get(period=M).status == "filed"
    assert web(contact).get(f"/b/bj/si/?period={M}").status_code == 404

    # A mistyped receipt number is corrected with a reason, in the audit trail; nothing else moves.
    html = page.get(f"/b/bj/si/?period={M}").content.decode()
    assert 'data-testid="si-receipt-correct"' in html
    no_reason = page.post("/b/bj/si/actions/receipt/", {"period": M, "receipt_no": "R-2"}, follow=True)
    assert "请说明更正原因" in no_reason.content.decode()
    page.post("/b/bj/si/actions/receipt/", {"period": M, "receipt_no": "R-2", "reason": "回执号录错一位"})
    with in_branch("bj"):
        cycle = MonthCycle.objects.get(period=M)
        assert (cycle.status, cycle.receipt_no) == ("filed", "R-2")
        assert cycle.history.latest().history_change_reason == "更正申报回执号:回执号录错一位"
    assert web(contact).post("/b/bj/si/actions/receipt/", {"period": M, "receipt_no": "X", "reason": "x"}).status_code == 404
    # another branch's staff cannot reach it either; a bad number changes nothing
    outsider = make_user("sh_staff_r", ("sh", "branch_staff"), home="sh")
    assert web(outsider).post("/b/bj/si/actions/receipt/", {"period": M, "receipt_no": "X", "reason": "x"}).status_code == 404
    too_long = page.post("/b/bj/si/actions/receipt/", {"period": M, "receipt_no": "R" * 81, "reason": "x"}, follow=True)
    assert "请填写申报回执号(不超过 80 字)。" in too_long.content.decode()
    long_reason = page.post("/b/bj/si/actions/receipt/", {"period": M, "receipt_no": "R-3", "reason": "因" * 91},
                            follow=True)
    assert "请说明更正原因(不超过 90 字)。" in long_reason.content.decode()
    with in_branch("bj"):
        assert MonthCycle.objects.get(period=M).receipt_no == "R-2"

    # The board keeps the correction: when, who, the number before and after, and the reason —
    # whole, at its longest — in the reader's language.
    page.post("/b/bj/si/actions/receipt/", {"period": M, "receipt_no": "R-3", "reason": "因" * 90})
    html = page.get(f"/b/bj/si/?period={M}").content.decode()
    box = html.split('data-testid="si-receipt-corrections"')[1].split("</div>")[0]
    assert "回执号更正记录" in box and "R-1 → R-2(原因:回执号录错一位)" in box
    assert f"R-2 → R-3(原因:{'因' * 90})" in box and box.index("R-1 → R-2") < box.index("R-2 → R-3")
    assert staff.display_name in box and staff.username not in box.replace(staff.display_name, "")
    english = web(staff)
    english.cookies["django_language"] = "en"
    box = english.get(f"/b/bj/si/?period={M}").content.decode().split('data-testid="si-receipt-corrections"')[1]
    assert "Receipt number corrections" in box and "R-1 → R-2 (reason: 回执号录错一位)" in box


def test_the_checks_details_are_in_the_readers_words_and_language(setup, api):
    """A check's detail is made when it is shown: city names, money with separators, in the
    reader's language (it was stored as a Chinese sentence with city codes)."""
    from django.conf import settings

    from social_insurance.models import PayrollEntry

    staff, _, c1 = setup
    with in_branch("bj"):
        PayrollEntry.objects.create(period=M, client=c1, name="王五", id_number_hash="x" * 64,
                                    id_number_masked="110***********9999")
        services.month_compute(actor=staff, period=M)
    chinese = web(staff).get(f"/b/bj/si/?period={M}").content.decode()
    assert "参保地 北京 / 合同地 北京 / 发薪地 上海" in chinese
    assert "申报工资 3,000.00 低于下限" in chinese and "按下限缴费" in chinese
    assert "客户工资表上有此人,本月未通过该客户参保" in chinese
    english = web(staff)
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = english.get(f"/b/bj/si/?period={M}").content.decode()
    assert "Insured in Beijing / contract in Beijing / paid in Shanghai" in html
    assert "Declared wage 3,000.00 is below the base floor" in html
    assert "On the client&#x27;s payroll, but not insured through this client this month." in html
    for stored in ("参保地", "beijing", "申报工资", "3000.00"):
        assert stored not in html, stored
    client = api(staff)
    assert {r["detail"] for r in client.get(f"/b/bj/api/v1/si/payroll/{M}/findings/").json()["findings"]} == {
        "客户工资表上有此人,本月未通过该客户参保", "本月通过该客户参保,但不在客户本月工资表上"}
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switch, as on the pages
    assert {r["detail"] for r in client.get(f"/b/bj/api/v1/si/payroll/{M}/findings/").json()["findings"]} == {
        "On the client's payroll, but not insured through this client this month.",
        "Insured through this client this month, but not on the client's payroll for the month."}


def test_a_specialist_sees_the_months_state_and_exceptions_not_the_offices_work_or_wages(setup):
    staff, _, _ = setup
    specialist = make_user("bj_si1", ("bj", "specialist"), home="bj")
    web(staff).post("/b/bj/si/actions/compute/", {"period": M})
    office = web(staff).get(f"/b/bj/si/?period={M}").content.decode()
    assert 'data-testid="si-actions"' in office and "si-payroll-form" in office and "110***********" in office
    html = web(specialist).get(f"/b/bj/si/?period={M}").content.decode()
    assert "社保月度流程" in html and "si-exception-form" in html and 'data-testid="si-exceptions"' in html
    # (the exception form still suggests the branch's insured people by name: exceptions are theirs to work)
    for office_only in ('data-testid="si-actions"', "/si/actions/compute/", "si-payroll-form", "检查结果",
                        "参保地、合同地、发薪地不一致", "40,000.00", "费用明细表</h2>"):
        assert office_only not in html, office_only
    # and the actions themselves stay the office's
    assert web(specialist).post("/b/bj/si/actions/compute/", {"period": M}).status_code in (403, 404)


def test_statement_page_xlsx_and_contact_confirmation(setup):
    staff, contact, c1 = setup
    with in_branch("bj"):
        services.month_compute(actor=staff, period=M)
        st = FeeStatement.objects.get(period=M, client=c1)

    html = web(contact).get(f"/b/bj/si/statements/{st.pk}/").content.decode()
    assert "养老保险" in html
    english = web(contact)
    english.cookies["django_language"] = "en"
    in_english = english.get(f"/b/bj/si/statements/{st.pk}/").content.decode()
    assert "Pension" in in_english and "养老保险" not in in_english  # each line's 险种 in the reader's words
    # the page shows amounts as people read them (4,960.00), the XLSX keeps numbers
    assert f'data-testid="si-employer-total">{format_money(st.employer_total)}<' in html
    assert "确认无误" in html and "@media print" in html
    xlsx = web(staff).get(f"/b/bj/si/statements/{st.pk}/?format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    labels = [r[0] for r in rows]
    assert labels.index("合计") == 2 + 10 and str(rows[12][8]) == str(st.employer_total)
    # after the lines and a blank row, a summary block of its own: contributions, no charge yet,
    # then what is due, paid and owed — the page's figures; the amount columns hold only lines
    assert rows[13] == (None,) * len(rows[13]) and labels[14] == "费用汇总"
    assert labels[15:] == ["社保公积金合计(单位+个人)", "应付合计(元)", "已收(元)", "未付(元)"], labels[15:]
    assert [Decimal(str(r[1])) for r in rows[15:]] == [st.total, st.total, 0, st.total]
    assert all(r[8] is None and r[9] is None for r in rows[13:])
    assert sum(Decimal(str(r[8])) for r in rows[2:12]) == st.employer_total
    assert sheet["B16"].number_format == "#,##0.00"
    with in_branch("bj"):
        FeeStatementCharge.objects.create(statement=st, kind="service_fee", service="social_insurance",
                                          amount=Decimal("90.00"), args={}, explanation="服务费 3 人 × 30.00 元/人·月")
    charged = list(load_workbook(io.BytesIO(web(staff).get(f"/b/bj/si/statements/{st.pk}/?format=xlsx").content))
                   .active.iter_rows(values_only=True))
    assert [r[0] for r in charged[15:]] == ["社保公积金合计(单位+个人)", "服务费", "应付合计(元)", "已收(元)", "未付(元)"]
    assert Decimal(str(charged[16][1])) == 90 and Decimal(str(charged[17][1])) == st.total + 90
    assert charged[16][2] == "服务费 3 人 × 30.00 元/人·月"
    with in_branch("bj"):
        FeeStatementCharge.objects.filter(statement=st).delete()
    # money reads with separators, the month as people say it, columns wide enough for both, and
    # the file is named by client and month (not the client's record number)
    assert sheet["I3"].number_format == sheet["F3"].number_format == "#,##0.00" and sheet["G3"].number_format == "0.00"
    assert rows[2][4] == dt.datetime(int(st.period[:4]), int(st.period[5:]), 1) and format_period(st.period) in rows[0][0]
    assert sheet["E3"].number_format == 'yyyy"年"m"月"'  # the month cell reads as the page: 2025年8月
    assert sheet.column_dimensions["B"].width >= 18 and sheet.column_dimensions["I"].width >= 10
    assert "filename*=UTF-8''%E8%B4%B9%E7%94%A8%E6%98%8E%E7%BB%86%E8%A1%A8-" in xlsx["Content-Disposition"]
    assert f"-{st.client_id}.xlsx" not in xlsx["Content-Disposition"]
    english_file = english.get(f"/b/bj/si/statements/{st.pk}/?format=xlsx")
    english_rows = list(load_workbook(io.BytesIO(english_file.content)).active.iter_rows(values_only=True))
    assert english_rows[1][0] == "Name" and english_rows[12][0] == "Total" and "费用明细表" not in english_rows[0][0]
    assert english_rows[14][:3] == ("Summary", "Amount (CNY)", "Notes")
    # the client contact's file: what they paid (the office's says received)
    assert [r[0] for r in english_rows[15:]] == ["Contributions (employer + employee)", "Total due (CNY)", "Paid (CNY)", "Outstanding (CNY)"]

    web(contact).post(f"/b/bj/si/statements/{st.pk}/", {"decision": "dispute", "note": ""})
    with in_branch("bj"):
        assert FeeStatement.objects.get(pk=st.pk).status == "issued"  # a dispute needs a reason
    answered = web(contact).post(f"/b/bj/si/statements/{st.pk}/", {"decision": "dispute", "note": "人数不对"}, follow=True)
    with in_branch("bj"):
        assert FeeStatement.objects.get(pk=st.pk).status == "disputed"
    # the answer says what was done, for which month (not a bare "已提交答复")
    assert f"已对{format_period(st.period)}费用明细表提出异议" in answered.content.decode()

    stranger = make_user("bj_contact2", ("bj", "client_contact"), home="bj")
    assert web(stranger).get(f"/b/bj/si/statements/{st.pk}/").status_code == 404
    sh_staff = make_user("sh_staff", ("sh", "branch_staff"), home="sh")
    assert web(sh_staff).get(f"/b/bj/si/statements/{st.pk}/").status_code == 404


def visible_text(html: str) -> str:
    """The page's text as people read it (tags, attributes, scripts and styles removed)."""
    import re

    html = re.sub(r"(?s)<(script|style|textarea)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"(?s)<[^>]+>", " ", html))


def test_hq_policy_page_shows_this_years_card_per_city_in_peoples_words(hq_admin, branches):
    from django.utils import timezone

    default = web(hq_admin).get("/si/policies/").content.decode()
    assert f'<option value="{timezone.localdate().year}" selected>' in default  # this year unless asked
    assert default.count('class="card policy-card') == 5  # every city, one compact card each

    html = web(hq_admin).get("/si/policies/?year=2026").content.decode()
    text = visible_text(html)  # 北京/上海 have a 2026年度 version, the other three not yet
    assert html.count('class="card policy-card') == 5
    for words in ("北京 · 2026年度", "上海 · 2026年度", "社保基数", "公积金基数",
                  "四舍五入到分", "四舍五入到元(单位、个人分别计算)", "可信度:中", "养老保险", "住房公积金"):
        assert words in text, words
    assert text.count("年尚无该城市的政策版本") == 3  # 广州, 深圳, 杭州: latest version named instead
    for key in ("fen_half_up", "yuan_half_up_per_side", "medium", "beijing", "shanghai", "guangzhou", "shenzhen",
                "hangzhou", "None", "housing_fund", "work_injury"):
        assert key not in text, key
    assert "fen_half_up" not in html and ">medium<" not in html


def test_hq_policy_page_filters_by_city_and_year(hq_admin, branches):
    page = web(hq_admin)
    html = page.get("/si/policies/?city=beijing&year=2024").content.decode()
    text = visible_text(html)
    assert html.count('class="card policy-card') == 1
    assert "北京 · 2024年度" in text and "上海" not in text.split("政策年度")[1]
    # Beijing 2024年度: 社保基数 6821–35283, medical 2% + 3 yuan, 工伤 a range, 公积金 5–12% each side.
    assert "6,821.00 – 35,283.00" in text and "2,420.00 – 35,283.00" in text
    assert "2% + 3.00元" in text and "0.2%–1.9%" in text and "5%–12%" in text
    assert "可信度:高" in text
    assert text.index("养老保险") < text.index("医疗保险") < text.index("工伤保险") < text.index("住房公积金")

    low = visible_text(page.get("/si/policies/?city=guangzhou&year=2025").content.decode())
    assert "广州 · 2025年度" in low and "可信度:低(来源不一致)" in low and "low" not in low
    assert page.get("/si/policies/?city=nowhere").status_code == 404

    detail = page.get("/si/policies/beijing/")
    text = visible_text(detail.content.decode())
    assert detail.status_code == 200
    assert text.count("可信度:") == 3 and "2024年度" in text and "2026年度" in text  # every version of the city
    assert "Forvis Mazars" in text and "beijing" not in text and "fen_half_up" not in text
    assert page.get("/si/policies/nowhere/").status_code == 404

    staff = make_user("bj_staff2", ("bj", "branch_staff"), home="bj")
    assert web(staff).get("/si/policies/").status_code == 404
    assert web(staff).get("/si/policies/beijing/").status_code == 404


def test_every_note_the_policy_data_ships_reads_in_chinese_with_its_original_beside_it(hq_admin, branches):
    from social_insurance.policies import loader
    from social_insurance.policies.note_words import NOTES_ZH

    shipped = loader.read_data()
    notes = {p["notes"] for p in shipped["policies"] if p.get("notes")}
    notes |= {p["rounding"]["note"] for p in shipped["policies"] if p.get("rounding", {}).get("note")}
    notes |= {i["note"] for p in shipped["policies"] for i in p["items"].values() if i.get("note")}
    assert len(notes) >= 20 and notes <= set(NOTES_ZH), notes - set(NOTES_ZH)

    page = web(hq_admin)
    text = visible_text(page.get("/si/policies/beijing/").content.decode())
    assert "医疗保险:生育保险已并入;个人缴 2% + 每月 3 元(大额医疗互助)" in text
    assert "原文:maternity merged; employee pays 2% + 3 yuan/month" in text
    page.cookies["django_language"] = "en"
    english = visible_text(page.get("/si/policies/beijing/").content.decode())
    assert "maternity merged; employee pays 2% + 3 yuan/month" in english and "生育保险已并入" not in english


def test_every_source_the_policy_data_ships_reads_in_chinese_and_as_shipped_in_english(hq_admin, branches):
    from social_insurance.policies import loader
    from social_insurance.policies.note_words import SOURCES_ZH

    # Every source with Latin words in it (one, "沪公积金管委会〔2024〕5号", is Chinese as shipped).
    sources = {s for p in loader.read_data()["policies"] for s in p.get("sources", []) if any(c.isascii() and c.isalpha() for c in s)}
    assert len(sources) >= 15 and sources <= set(SOURCES_ZH), sources - set(SOURCES_ZH)
    page = web(hq_admin)
    text = visible_text(page.get("/si/policies/shanghai/").content.decode())
    assert "上海市人社局2026年8月18日公示(据公开社保计算器项目转引)" in text
    assert "Shanghai HRSS 公示 2026-08-18 (as quoted by public calculator repos)" not in text
    page.cookies["django_language"] = "en"
    english = visible_text(page.get("/si/policies/shanghai/").content.decode())
    assert "Shanghai HRSS 公示 2026-08-18 (as quoted by public calculator repos)" in english


def test_board_and_duplicates_titles_name_the_month_in_the_locales_words(hq_admin, setup):
    staff = setup[0]

    board = web(staff).get("/b/bj/si/?period=2026-12").content.decode()
    duplicates = web(hq_admin).get("/si/duplicates/?period=2026-12").content.decode()

    assert "<title>社保月度流程 · 2026年12月" in board
    assert '<h1 data-testid="si-board">社保月度流程 · 2026年12月</h1>' in board
    assert "« 2026年11月</a>" in board and "2027年1月 »</a>" in board
    assert '<h1 data-testid="si-duplicates">重复参保报告 · 2026年12月</h1>' in duplicates
    assert "2026-12" not in board.split("<main", 1)[-1].replace('value="2026-12"', "").replace("period=2026-12", "")


def test_hq_duplicates_page_and_home_menu(hq_admin, setup):
    html = web(hq_admin).get(f"/si/duplicates/?period={M}").content.decode()
    assert "本月未发现重复参保" in html
    assert "/si/policies/" in web(hq_admin).get("/").content.decode()
    staff = setup[0]
    assert "/b/bj/si/" in web(staff).get("/b/bj/").content.decode()


def test_payroll_list_uploaded_on_the_board_flags_the_uninsured(setup):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from social_insurance.models import PayrollEntry

    from .helpers import idn

    staff, contact, c1 = setup
    page = web(staff)
    page.post("/b/bj/si/actions/compute/", {"period": M})
    bad = f"姓名,身份证号,应发工资\n员工1,{idn(1)},40000\n未参保者,{idn(77)},abc\n".encode()
    resp = page.post("/b/bj/si/payroll/", {"period": M, "client": c1.pk, "file": SimpleUploadedFile("p.csv", bad)},
                     follow=True)
    html = resp.content.decode()
    assert "未导入" in html and "第 3 行" in html
    with in_branch("bj"):
        assert not PayrollEntry.objects.exists()
    good = f"姓名,身份证号,应发工资\n员工1,{idn(1)},40000\n未参保者,{idn(77)},8000\n".encode()
    html = page.post("/b/bj/si/payroll/", {"period": M, "client": c1.pk, "file": SimpleUploadedFile("p.csv", good)},
                     follow=True).content.decode()
    assert "已导入工资表 2 人" in html
    # 未参保者 is paid but not insured; 员工2 is insured but not on the list.
    assert "在客户工资表上但本月未参保" in html and "未参保者" in html and "本月参保但不在客户工资表上" in html
    assert idn(77) not in html
    assert web(contact).post("/b/bj/si/payroll/", {"period": M, "client": c1.pk,
                                                   "file": SimpleUploadedFile("p.csv", good)}).status_code == 404


def test_hq_publishes_and_extends_a_version_on_the_policy_page(hq_admin, branches):
    import json

    from social_insurance.policies.models import CityPolicy

    page = web(hq_admin)
    html = page.get("/si/policies/beijing/").content.decode()
    assert 'data-testid="publish-form"' in html and 'name="pension__base_floor"' in html  # prefilled items
    latest = CityPolicy.objects.filter(city="beijing").order_by("-effective_from").first()
    resp = page.post("/si/policies/", {"action": "extend", "policy": latest.pk})
    assert resp.status_code == 302
    latest.refresh_from_db()
    assert latest.effective_to is None

    items = {"pension": {"base": ["7500", "37500"], "employer": "16.00", "employee": "8.00"}}
    count = CityPolicy.objects.count()
    bad = page.post("/si/policies/", {"action": "publish", "city": "beijing", "year": "2027年度",
                                      "effective_from": "2027-07-15", "confidence": "high", "sources": "文号",
                                      "items": json.dumps(items)})
    assert bad.status_code == 400 and "须为某月 1 日" in bad.content.decode() and CityPolicy.objects.count() == count
    bad = page.post("/si/policies/", {"action": "publish", "city": "beijing", "year": "2027年度",
                                      "effective_from": "2027-07-01", "confidence": "high", "sources": "文号",
                                      "items": "{not json"})
    assert bad.status_code == 400 and "JSON" in bad.content.decode() and CityPolicy.objects.count() == count
    ok = page.post("/si/policies/", {"action": "publish", "city": "beijing", "year": "2027年度",
                                     "effective_from": "2027-07-01", "confidence": "high", "sources": "文号",
                                     "items": json.dumps(items)}, follow=True)
    assert "已发布" in ok.content.decode()
    assert CityPolicy.objects.get(city="beijing", year_label="2027年度").items.count() == 1
    latest.refresh_from_db()
    assert str(latest.effective_to) == "2027-06-30"

    finance = make_user("hqfin", (None, "hq_finance"))
    assert 'data-testid="publish-form"' not in web(finance).get("/si/policies/beijing/").content.decode()
    assert web(finance).post("/si/policies/", {"action": "extend", "policy": latest.pk}).status_code == 403


def test_hq_publishes_the_next_version_with_a_field_per_figure(hq_admin, branches):
    """The publish form has a box per 险种 in words, prefilled from the latest version, one input
    per figure; a wrong figure is named in words (no data-file key) and nothing is published."""
    import re
    from decimal import Decimal

    from social_insurance.engine import ITEM_KINDS

    from social_insurance.policies.models import CityPolicy

    page = web(hq_admin)
    html = page.get("/si/policies/beijing/").content.decode()
    form = html[html.index('data-testid="publish-form"'):]
    fields = dict(re.findall(r'name="([a-z_]+__[a-z_]+)" value="([^"]*)"', form))
    latest = CityPolicy.objects.filter(city="beijing").order_by("-effective_from").first()
    pension = latest.items.get(kind="pension")
    assert Decimal(fields["pension__base_floor"]) == pension.base_floor
    assert Decimal(fields["pension__employer"]) == pension.employer_percent
    assert {"housing_fund__rate_min", "housing_fund__rate_max"} <= set(fields)
    assert {k.split("__")[0] for k in fields} == set(ITEM_KINDS)  # every 险种 has its box
    ticked = set(re.findall(r'name="include" value="([a-z_]+)"[^>]* checked', form))
    assert ticked == set(latest.items.values_list("kind", flat=True))  # the latest version's are ticked
    legends = re.findall(r"<legend>([^<]*)</legend>", form)
    assert "养老保险" in legends and "住房公积金" in legends
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", visible_text(form))  # no key on the page

    count = CityPolicy.objects.count()
    base = {"action": "publish", "city": "beijing", "year": "2027年度", "effective_from": "2027-07-01",
            "confidence": "high", "sources": "京人社发〔2027〕1号"}
    bad = page.post("/si/policies/", {**base, **fields, "pension__employer": "十六", "medical__base_floor": "-5",
                                      "unemployment__base_floor": " ", "housing_fund__rate_max": "120",
                                      "work_injury__employer_min": "1.5", "work_injury__employer_max": "0.5"})
    text = visible_text(bad.content.decode())
    assert bad.status_code == 400 and CityPolicy.objects.count() == count
    for words in ("养老保险:单位比例须为数字", "医疗保险:基数下限须为不小于 0 的数字", "失业保险:基数下限未填写",
                  "住房公积金:缴存比例上限不能超过 100%", "工伤保险:单位比例上限不能低于下限"):
        assert words in text, words
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text)
    assert 'value="十六"' in bad.content.decode()  # the form keeps what was typed
    box = re.search(r'data-testid="publish-item-pension">(.*?)</fieldset>', bad.content.decode(), re.S).group(1)
    assert "养老保险:单位比例须为数字" in box and "医疗保险" not in box  # next to its figures, on a phone too

    # the parser's forms: thousands separators, full-width digits; stored as the numbers they are
    ok = page.post("/si/policies/", {**base, **fields, "pension__employer": "１５．５",
                                     "pension__base_ceiling": "37,500.00"}, follow=True)
    assert "已发布" in ok.content.decode()
    new = CityPolicy.objects.get(city="beijing", year_label="2027年度")
    assert new.items.get(kind="pension").employer_percent == Decimal("15.50")
    assert new.items.get(kind="pension").base_ceiling == Decimal("37500.00")
    same = ("base_floor", "base_ceiling", "employer_percent", "employee_percent", "employer_rate_min",
            "employer_rate_max", "rate_min", "rate_max", "employer_fixed", "employee_fixed", "supplementary_min",
            "supplementary_max", "note")
    before = {i.kind: [getattr(i, f) for f in same] for i in latest.items.exclude(kind="pension")}
    after = {i.kind: [getattr(i, f) for f in same] for i in new.items.exclude(kind="pension")}
    assert after == before and len(after) >= 4  # every other figure carried over as it was


def test_an_english_policy_page_refuses_a_figure_in_english(hq_admin, branches):
    """Switched to English, what is wrong with a new version is said in English, next to the
    figure's box as in Chinese; nothing is published."""
    import re

    from django.conf import settings

    from social_insurance.policies.models import CityPolicy

    page = web(hq_admin)
    page.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = page.get("/si/policies/beijing/").content.decode()
    form = html[html.index('data-testid="publish-form"'):]
    fields = dict(re.findall(r'name="([a-z_]+__[a-z_]+)" value="([^"]*)"', form))
    count = CityPolicy.objects.count()
    bad = page.post("/si/policies/", {"action": "publish", "city": "beijing", "year": "2027", "effective_from": "2027-07-15",
                                      "confidence": "high", "sources": "Doc 1", **fields, "pension__employer": "sixteen",
                                      "housing_fund__rate_max": "120", "work_injury__employer_min": "1.5",
                                      "work_injury__employer_max": "0.5"})
    body = bad.content.decode()
    text = visible_text(body)
    assert bad.status_code == 400 and CityPolicy.objects.count() == count
    for words in ("Pension insurance: Employer rate must be a number.",
                  "Housing fund: Contribution rate, highest cannot exceed 100%.",
                  "Work-injury insurance: Employer rate: the upper end cannot be below the lower end.",
                  "The start date must be the 1st of a month"):
        assert words in text, words
    box = re.search(r'data-testid="publish-item-pension">(.*?)</fieldset>', body, re.S).group(1)
    assert "Pension insurance: Employer rate must be a number." in box and "Housing fund" not in box
    errors = re.findall(r'<p class="error">([^<]*)</p>', body)
    assert len(errors) == 7 and not any(re.search(r"[\u4e00-\u9fff]", e) for e in errors), errors


def test_the_publish_form_adds_and_leaves_out_a_xianzhong_and_sets_or_clears_the_supplementary_range(hq_admin, branches):
    """A 险种 the latest version lacks is added by ticking its box and filling it in; one it has is
    left out by unticking it; the housing fund's supplementary range (补充公积金) is set by its two
    ends and cleared by emptying both. Without a tick nothing of an empty box is checked."""
    import re
    from decimal import Decimal

    from social_insurance.policies.models import CityPolicy

    page = web(hq_admin)
    latest = CityPolicy.objects.filter(city="beijing").order_by("-effective_from").first()
    kinds = set(latest.items.values_list("kind", flat=True))
    added, left_out = "maternity", "unemployment"  # Beijing merged 生育 into 医疗 (the data file)
    assert added not in kinds and left_out in kinds
    html = page.get("/si/policies/beijing/").content.decode()
    form = html[html.index('data-testid="publish-form"'):]
    fields = dict(re.findall(r'name="([a-z_]+__[a-z_]+)" value="([^"]*)"', form))
    assert {"housing_fund__supplementary_min", "housing_fund__supplementary_max"} <= set(fields)
    base = {"action": "publish", "city": "beijing", "year": "2027年度", "effective_from": "2027-07-01",
            "confidence": "high", "sources": "京人社发〔2027〕1号", "include_given": "1", **fields,
            "housing_fund__supplementary_min": "1", "housing_fund__supplementary_max": "5"}
    ticks = (kinds - {left_out}) | {added}
    count = CityPolicy.objects.count()
    # ticked but left empty: refused in words, nothing published, the box still ticked
    bad = page.post("/si/policies/", {**base, "include": sorted(ticks)})
    assert bad.status_code == 400 and CityPolicy.objects.count() == count
    assert "生育保险:基数下限未填写" in visible_text(bad.content.decode())
    assert re.search(r'name="include" value="%s"[^>]* checked' % added, bad.content.decode())
    assert not re.search(r'name="include" value="%s"[^>]* checked' % left_out, bad.content.decode())
    base.update({f"{added}__base_floor": "7,500", f"{added}__base_ceiling": "37500", f"{added}__employer": "0.8",
                 f"{added}__employee": "0"})
    ok = page.post("/si/policies/", {**base, "include": sorted(ticks)}, follow=True)
    assert "已发布" in ok.content.decode(), visible_text(ok.content.decode())[:2000]
    new = CityPolicy.objects.get(city="beijing", year_label="2027年度")
    assert set(new.items.values_list("kind", flat=True)) == ticks
    housing = new.items.get(kind="housing_fund")
    assert (housing.supplementary_min, housing.supplementary_max) == (Decimal("1.00"), Decimal("5.00"))
    extra = new.items.get(kind=added)
    assert (extra.base_floor, extra.employer_percent) == (Decimal("7500.00"), Decimal("0.80"))

    # The next year: the supplementary range cleared (both ends emptied), the same 险种.
    html = page.get("/si/policies/beijing/").content.decode()
    form = html[html.index('data-testid="publish-form"'):]
    fields = dict(re.findall(r'name="([a-z_]+__[a-z_]+)" value="([^"]*)"', form))
    assert fields["housing_fund__supplementary_max"] == "5.00"
    again = page.post("/si/policies/", {**base, **fields, "year": "2028年度", "effective_from": "2028-07-01",
                                        "include": sorted(ticks), "housing_fund__supplementary_min": "",
                                        "housing_fund__supplementary_max": ""}, follow=True)
    assert "已发布" in again.content.decode()
    housing = CityPolicy.objects.get(city="beijing", year_label="2028年度").items.get(kind="housing_fund")
    assert housing.supplementary_min is None and housing.supplementary_max is None


def test_a_new_work_injury_or_housing_fund_box_starts_as_those_items_do(hq_admin, branches):
    """工伤 has no employee share (prefilled 0), the housing fund's rates are whole percentages
    (as in every city of the data file); an error that is not about a 险种 shows once, in words."""
    import re
    from decimal import Decimal

    from social_insurance.policies.models import CityPolicy

    latest = CityPolicy.objects.filter(city="beijing").order_by("-effective_from").first()
    latest.items.filter(kind__in=["work_injury", "housing_fund"]).delete()
    page = web(hq_admin)
    html = page.get("/si/policies/beijing/").content.decode()
    form = html[html.index('data-testid="publish-form"'):]
    fields = dict(re.findall(r'name="([a-z_]+__[a-z_]+)" value="([^"]*)"', form))
    assert fields["work_injury__employee"] == "0" and fields["work_injury__employer_min"] == ""
    base = {"action": "publish", "city": "beijing", "year": "2027年度", "effective_from": "2027-07-15",
            "confidence": "high", "sources": "京人社发〔2027〕1号", "include_given": "1", **fields,
            "include": ["pension", "medical", "unemployment", "work_injury", "housing_fund"],
            "work_injury__base_floor": "7270", "work_injury__employer_min": "0.2", "work_injury__employer_max": "1.9",
            "housing_fund__base_floor": "2540", "housing_fund__base_ceiling": "36348",
            "housing_fund__rate_min": "5", "housing_fund__rate_max": "12"}
    bad = page.post("/si/policies/", base)
    errors = re.findall(r'<p class="error">([^<]*)</p>', bad.content.decode())
    assert bad.status_code == 400 and errors == ["生效日期须为某月 1 日(政策按整月适用)。"], errors
    ok = page.post("/si/policies/", {**base, "effective_from": "2027-07-01"}, follow=True)
    assert "已发布" in ok.content.decode()
    new = CityPolicy.objects.get(city="beijing", year_label="2027年度")
    injury, housing = new.items.get(kind="work_injury"), new.items.get(kind="housing_fund")
    assert (injury.employee_percent, injury.employer_rate_min, injury.employer_rate_max) == (
        Decimal("0"), Decimal("0.20"), Decimal("1.90"))
    assert housing.whole_percent and (housing.rate_min, housing.rate_max) == (Decimal("5.00"), Decimal("12.00"))


def test_the_publish_forms_ticks_refuse_nonsense_and_change_nothing(hq_admin, branches):
    """Ticks that name no 险种 (an unknown kind, a blank, a kind twice) are ignored; with none
    left, the post is refused in words and nothing is published or ended."""
    import re

    from social_insurance.policies.models import CityPolicy

    page = web(hq_admin)
    html = page.get("/si/policies/beijing/").content.decode()
    form = html[html.index('data-testid="publish-form"'):]
    fields = dict(re.findall(r'name="([a-z_]+__[a-z_]+)" value="([^"]*)"', form))
    before = list(CityPolicy.objects.order_by("pk").values_list("pk", "effective_to"))
    base = {"action": "publish", "city": "beijing", "year": "2027年度", "effective_from": "2027-07-01",
            "confidence": "high", "sources": "京人社发〔2027〕1号", "include_given": "1", **fields}
    for ticks in ([], ["dental", "", "pension "], ["../pension", "PENSION"]):
        bad = page.post("/si/policies/", {**base, "include": ticks})
        errors = re.findall(r'<p class="error">([^<]*)</p>', bad.content.decode())
        assert bad.status_code == 400 and errors == ["请给出各险种的基数和比例。"], (ticks, errors)
    assert list(CityPolicy.objects.order_by("pk").values_list("pk", "effective_to")) == before
    twice = page.post("/si/policies/", {**base, "include": ["pension", "pension"]}, follow=True)
    assert "已发布" in twice.content.decode()
    assert list(CityPolicy.objects.get(city="beijing", year_label="2027年度").items.values_list("kind", flat=True)) == [
        "pension"]


def test_the_whole_percent_rule_is_a_tick_of_its_own_on_the_publish_form(hq_admin, branches):
    """Whether the housing fund's rate must be a whole percent is shown and set as a tick (not read
    from the item's note): ticked as the latest version has it; unticked, the new version drops
    the rule, and the next form shows it unticked. The version card says which has it."""
    import re

    from social_insurance.policies.models import CityPolicy

    page = web(hq_admin)
    html = page.get("/si/policies/beijing/").content.decode()
    form = html[html.index('data-testid="publish-form"'):]
    assert re.search(r'name="housing_fund__whole_percent" value="1"[^>]* checked', form)
    assert 'name="pension__whole_percent"' not in form  # only a rate range has the rule
    assert "住房公积金缴存比例须取整数百分比。" in visible_text(html[:html.index('data-testid="publish-form"')])
    fields = dict(re.findall(r'name="([a-z_]+__[a-z_]+)" value="([^"]*)"', form))
    fields["housing_fund__whole_percent"] = "0"  # not what a ticked box sends (an unticked one sends nothing)
    kinds = list(CityPolicy.objects.filter(city="beijing").order_by("-effective_from").first()
                 .items.values_list("kind", flat=True))
    ok = page.post("/si/policies/", {"action": "publish", "city": "beijing", "year": "2027年度",
                                     "effective_from": "2027-07-01", "confidence": "high",
                                     "sources": "京人社发〔2027〕1号", "include_given": "1", "include": kinds,
                                     **fields}, follow=True)
    assert "已发布" in ok.content.decode()
    new = CityPolicy.objects.get(city="beijing", year_label="2027年度")
    assert not new.items.get(kind="housing_fund").whole_percent
    html = page.get("/si/policies/beijing/").content.decode()
    form = html[html.index('data-testid="publish-form"'):]
    assert re.search(r'name="housing_fund__whole_percent" value="1"(?![^>]* checked)[^>]*>', form)
    start = html.index(f'data-testid="policy-version-{new.pk}"')
    card = html[start:html.index("</section>", start)]
    assert "公积金" in visible_text(card) and 'data-testid="whole-percent-rule"' not in card


def test_the_policy_pages_rounding_and_whole_percent_lines_read_as_sentences_in_english(hq_admin, branches):
    """The rounding line was four pieces glued with Chinese punctuation ("Rounding:Social
    insuranceRound half up…"); it is one sentence per language now."""
    from django.conf import settings

    page = web(hq_admin)
    zh = visible_text(page.get("/si/policies/beijing/").content.decode())
    assert "舍入:社保四舍五入到分;公积金" in zh and "住房公积金缴存比例须取整数百分比。" in zh
    page.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for path in ("/si/policies/", "/si/policies/beijing/"):
        text = visible_text(page.get(path).content.decode())
        assert "Rounding: social insurance — Round half up to the fen; housing fund — " in text, (path, text[:3000])
        assert "Housing fund: the rate is chosen in whole percents." in text


def test_the_board_and_the_client_page_show_what_the_statement_bills(setup):
    """The board's 合计 was the contributions alone while the statement billed them plus the
    service fee: the same statement read 5,643.00 on one page and 5,723.00 on the other."""
    staff, contact, c1 = setup
    with in_branch("bj"):
        c1.fee_social_insurance = Decimal("80.00")
        c1.save()
        services.month_compute(actor=staff, period=M)
        st = FeeStatement.objects.get(client=c1, period=M)
        charges = sum(FeeStatementCharge.objects.filter(statement=st).values_list("amount", flat=True))
    assert charges == Decimal("80.00") * st.employee_count and charges > 0
    due = format_money(st.total + charges)
    board = web(staff).get(f"/b/bj/si/?period={M}").content.decode()
    row = board[board.index(f'/si/statements/{st.pk}/'):]
    row = visible_text(row[:row.index("</tr>")])
    assert format_money(st.total) in row and format_money(charges) in row and due in row
    statement = visible_text(web(staff).get(f"/b/bj/si/statements/{st.pk}/").content.decode())
    client_page = visible_text(web(staff).get(f"/b/bj/clients/{c1.pk}/").content.decode())
    assert due in statement and due in client_page


def test_the_board_says_when_a_city_of_its_people_has_no_policy_this_month(branches):
    """A Guangzhou person in August 2026, when Guangzhou's shipped 2025年度 has ended (June 2026)
    and nothing carries it forward: the board names the city and what to do; once HQ carries last
    year's forward (沿用), the alert is gone."""
    from social_insurance.policies import services as policy_services
    from social_insurance.policies.models import CityPolicy

    staff = make_user("gz_staff", ("gz", "branch_staff"), home="gz")
    with in_branch("gz"):
        add_employee(make_client("广州甲公司", staff), 1, "9000", "2025-01-06", city="guangzhou", actor=staff)
    html = web(staff).get("/b/gz/si/?period=2026-08").content.decode()
    alert = html.split('data-testid="si-policy-missing">')[1].split("</p>")[0]
    assert alert == ("广州没有2026年8月适用的社保政策:这些城市参保人员的本月社保计算为零。"
                     "请总部发布新年度政策,或在新基数公布前沿用上年度政策。")
    assert 'data-testid="si-policy-missing"' not in web(staff).get("/b/gz/si/?period=2026-05").content.decode()
    latest = CityPolicy.objects.filter(city="guangzhou").order_by("-effective_from").first()
    policy_services.policy_extend(actor=None, policy_id=latest.pk, effective_to=None)
    assert 'data-testid="si-policy-missing"' not in web(staff).get("/b/gz/si/?period=2026-08").content.decode()
