"""参保员工 pages (/b/<code>/si/employees/…): list with search (name, masked or full identity
number), client and status filters, pages and export; a person's record with monthly lines;
增员 / 减员 forms with the month a change lands in and its deadline; import with a template.

Roles: manager, staff and HQ admin read and write; a client contact lists their own company's
people (read-only) and gets 404 everywhere else; specialists, marketing and another branch 404."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from social_insurance import services
from social_insurance.models import ClientContact, InsuredEmployee
from social_insurance.policies.models import CitySetting
from social_insurance.policies.selectors import city_settings
from tests.conftest import in_branch
from tests.factories import make_user

from .helpers import add_employee, idn, make_client, web

pytestmark = pytest.mark.django_db
LIST = "/b/bj/si/employees/"



def html_of(response) -> str:
    return response.content.decode()


def visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def names_of(html: str) -> list[str]:
    return re.findall(r'<tr data-testid="employee-row">\s*<td[^>]*>(?:<a href="[^"]*">)?([^<]*)<', html)


def field_error(html: str, field: str) -> list[str]:
    return re.findall(rf'<p class="field-error" data-field="{field}">([^<]*)</p>', html)


@pytest.fixture
def people(branches):
    return {
        "manager": make_user("bj_mgr", ("bj", "branch_manager"), home="bj"),
        "staff": make_user("bj_staff", ("bj", "branch_staff"), home="bj"),
        "s1": make_user("bj_s1", ("bj", "specialist"), home="bj"),
        "mkt": make_user("bj_mkt", ("bj", "marketing"), home="bj"),
        "contact": make_user("bj_contact", ("bj", "client_contact"), home="bj"),
        "sh_staff": make_user("sh_staff", ("sh", "branch_staff"), home="sh"),
    }


@pytest.fixture
def roster(people):
    """bj: 甲 has 员工1 (active), 员工2 (left 2025-09-30); 乙 has 员工3 (shanghai-insured);
    bj_contact speaks for 甲. sh: 员工9 at 上海丙."""
    staff = people["staff"]
    with in_branch("bj"):
        a = make_client("北京甲公司", staff)
        b = make_client("北京乙公司", staff)
        ClientContact.objects.create(user=people["contact"], client=a)
        e1 = add_employee(a, 1, "12345.60", "2025-06-10", actor=staff)
        e2 = add_employee(a, 2, "9000", "2025-06-01", end="2025-09-30", actor=staff)
        e3 = add_employee(b, 3, "8000", "2025-07-01", city="shanghai", actor=staff)
    with in_branch("sh"):
        c = make_client("上海丙公司", people["sh_staff"], city="shanghai")
        add_employee(c, 9, "8000", "2025-07-01", city="shanghai", actor=people["sh_staff"])
    return {"a": a, "b": b, "e1": e1, "e2": e2, "e3": e3}


# ---------------------------------------------------------------------------------------------
# Who may open what
# ---------------------------------------------------------------------------------------------
def test_each_role_reaches_the_pages_it_is_declared_for(people, roster, hq_admin):
    e1 = roster["e1"].pk
    pages = [LIST, f"{LIST}{e1}/", f"{LIST}new/", f"{LIST}{e1}/remove/", f"{LIST}import/",
             f"{LIST}import/template/?format=csv", f"{LIST}lands-in/?insured_city=beijing&start_date=2026-01-03"]
    expect = {
        "manager": [200] * 7, "staff": [200] * 7, "contact": [200] + [404] * 6,
        "s1": [404] * 7, "mkt": [404] * 7, "sh_staff": [404] * 7,
    }
    checked = 0
    for name, codes in expect.items():
        page = web(people[name])
        for url, code in zip(pages, codes, strict=True):
            assert page.get(url).status_code == code, (name, url)
            checked += 1
    assert checked == 42
    assert [web(hq_admin).get(u).status_code for u in pages] == [200] * 7
    # Writes too: a client contact cannot 减员 (nothing changes).
    assert web(people["contact"]).post(f"{LIST}{e1}/remove/", {"end_date": "2026-01-31"}).status_code == 404
    with in_branch("bj"):
        assert InsuredEmployee.objects.get(pk=e1).end_date is None


def test_a_client_contact_lists_only_their_companys_people_without_records(people, roster):
    html = html_of(web(people["contact"]).get(LIST))

    assert sorted(names_of(html)) == ["员工1", "员工2"]
    assert "北京乙公司" not in html and "员工3" not in html
    assert f"{LIST}{roster['e1'].pk}/" not in html  # no link to a record
    assert 'data-testid="employee-add"' not in html and 'data-testid="cutoff"' not in html
    # Asking for another company's people gives nothing, not an error that tells them apart.
    other = html_of(web(people["contact"]).get(f"{LIST}?client={roster['b'].pk}"))
    assert names_of(other) == []
    text = web(people["contact"]).get(f"{LIST}?format=csv").content.decode("utf-8-sig")
    assert sorted(r[1] for r in list(csv.reader(io.StringIO(text)))[1:]) == ["员工1", "员工2"]


def test_another_branchs_people_never_appear(people, roster):
    html = html_of(web(people["staff"]).get(LIST))
    assert sorted(names_of(html)) == ["员工1", "员工2", "员工3"] and "员工9" not in html
    assert names_of(html_of(web(people["staff"]).get(f"{LIST}?q={idn(9)}"))) == []


# ---------------------------------------------------------------------------------------------
# List: search, filters, pages, in the users' words
# ---------------------------------------------------------------------------------------------
def test_list_shows_masked_numbers_city_names_money_and_local_dates(people, roster):
    html = html_of(web(people["staff"]).get(LIST))
    row = re.search(r'<tr data-testid="employee-row">(?:(?!</tr>).)*员工1(?:(?!</tr>).)*</tr>', html, re.S).group(0)
    assert "110***********" in row and "北京甲公司" in row and "北京" in row
    assert "12,345.60" in row and "2025年6月10日" in row and "在保" in row
    text = visible(html)
    assert idn(1) not in html and "beijing" not in text and "shanghai" not in text and "None" not in text
    today = timezone.localdate()
    due = today.replace(day=city_settings("beijing").reconcile_day)
    assert f"本月增减员核对截止:{due.month}月{due.day}日" in html


@pytest.mark.parametrize("query, expected", [
    ("q=员工1", ["员工1"]),
    ("q=员工", ["员工1", "员工2", "员工3"]),
    ("status=active", ["员工1", "员工3"]),
    ("status=ended", ["员工2"]),
    ("status=upcoming", []),
    ("status=bogus", ["员工1", "员工2", "员工3"]),
])
def test_list_search_and_status(people, roster, query, expected):
    assert sorted(names_of(html_of(web(people["staff"]).get(f"{LIST}?{query}")))) == expected


def test_search_by_the_last_four_the_full_number_or_its_full_width_form(people, roster):
    page = web(people["staff"])
    last4 = idn(3)[-4:]
    assert names_of(html_of(page.get(f"{LIST}?q={last4}"))) == ["员工3"]

    # A whole number: found through its keyed hash, and the number leaves the URL at once.
    redirect = page.get(f"{LIST}?q={idn(2)}&status=ended")
    assert redirect.status_code == 302 and idn(2) not in redirect["Location"]
    assert "idh=" in redirect["Location"] and "status=ended" in redirect["Location"]
    full = html_of(page.get(redirect["Location"]))
    assert names_of(full) == ["员工2"] and idn(2) not in full
    wide = idn(1).translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert names_of(html_of(page.get(f"{LIST}?q={wide}", follow=True))) == ["员工1"]
    htmx = page.get(f"{LIST}?q={idn(1)}", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204 and idn(1) not in htmx["HX-Redirect"]
    # A client contact searching a whole number of another company finds nobody.
    other = web(people["contact"]).get(f"{LIST}?q={idn(3)}", follow=True)
    assert names_of(html_of(other)) == []


def test_client_filter_and_pages_of_twenty(people, roster):
    with in_branch("bj"):
        for n in range(10, 35):
            add_employee(roster["b"], n, "8000", "2025-07-01", actor=people["staff"])
    page = web(people["staff"])
    from tests.clients.test_pages import max_queries

    with max_queries(12):  # bounded, whatever the number of people
        first = html_of(page.get(f"{LIST}?client={roster['b'].pk}"))
    second = html_of(page.get(f"{LIST}?client={roster['b'].pk}&page=2"))
    assert "共 26 人" in first and len(names_of(first)) == 20 and len(names_of(second)) == 6
    assert f'href="?client={roster["b"].pk}&amp;page=2"' in first
    assert not set(names_of(first)) & set(names_of(second))


def test_export_csv_and_xlsx(people, roster):
    page = web(people["staff"])
    text = page.get(f"{LIST}?client={roster['a'].pk}&format=csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    # The import template's columns, in its order, then the status.
    assert rows[0] == ["客户名称", "姓名", "身份证号", "参保城市", "合同签订地", "工资发放地", "申报工资", "公积金比例%",
                       "工伤费率%", "参保开始日期", "参保结束日期", "状态"]
    assert len(rows) == 3
    e1 = next(r for r in rows if r[1] == "员工1")
    assert e1 == ["北京甲公司", "员工1", f"110***********{idn(1)[-4:]}", "北京", "北京", "北京", "12,345.60", "", "",
                  "2025-06-10", "", "在保"]
    assert idn(1) not in text

    xlsx = page.get(f"{LIST}?status=ended&format=xlsx")
    sheet = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert len(sheet) == 2 and sheet[1][1] == "员工2" and sheet[1][6] == 9000 and sheet[1][11] == "已减员"


@pytest.mark.parametrize("fmt, language", [("xlsx", "zh-hans"), ("csv", "zh-hans"), ("xlsx", "en")])
def test_an_exported_list_imports_back_once_the_identity_numbers_are_typed_in(people, roster, api, fmt, language):
    """The export has the import template's columns (公积金比例%, 工伤费率% included) under its
    headers, in the reader's language; with each masked number replaced by a whole one, the file
    imports as it is and gives the same records."""
    staff = people["staff"]
    with in_branch("bj"):
        source = add_employee(roster["a"], 20, "15000.50", "2025-03-05", end="2025-11-20", actor=staff,
                              contract_city="shanghai", housing_fund_percent="8", injury_rate="1.00")
    page = web(staff)
    page.cookies["django_language"] = language
    exported = page.get(f"{LIST}?q=员工20&format={fmt}").content
    template = page.get(f"{LIST}import/template/?format={fmt}").content
    if fmt == "xlsx":
        rows = [list(r) for r in load_workbook(io.BytesIO(exported)).active.iter_rows(values_only=True)]
        template_header = list(next(load_workbook(io.BytesIO(template)).active.iter_rows(values_only=True)))
    else:
        rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
        template_header = next(csv.reader(io.StringIO(template.decode("utf-8-sig"))))
    if language == "zh-hans":
        assert rows[0][:11] == template_header
    else:
        assert rows[0][7:9] == ["Housing fund rate %", "Work-injury rate %"]
    assert len(rows) == 2 and rows[1][2] == source.id_number_masked
    rows[1][1], rows[1][2] = "员工21", idn(21)  # the whole number typed in (another person here)
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        for row in rows:
            wb.active.append(row)
        buf = io.BytesIO()
        wb.save(buf)
        body = buf.getvalue()
    else:
        buf = io.StringIO()
        csv.writer(buf).writerows(rows)
        body = buf.getvalue().encode("utf-8-sig")
    r = api(staff).post("/b/bj/api/v1/si/employees/import/",
                        {"file": SimpleUploadedFile(f"back.{fmt}", body)}, format="multipart")
    assert r.status_code == 201, r.content
    with in_branch("bj"):
        back = InsuredEmployee.objects.get(name="员工21")
    fields = ("client_id", "insured_city", "contract_city", "payroll_city", "wage", "housing_fund_percent",
              "injury_rate", "start_date", "end_date")
    assert [getattr(back, f) for f in fields] == [getattr(source, f) for f in fields]
    assert (back.housing_fund_percent, back.injury_rate) == (Decimal("8.00"), Decimal("1.00"))


# ---------------------------------------------------------------------------------------------
# A person's record
# ---------------------------------------------------------------------------------------------
def test_record_shows_locations_wage_dates_and_monthly_lines(people, roster):
    with in_branch("bj"):
        services.month_compute(actor=people["staff"], period="2025-08")
    html = html_of(web(people["staff"]).get(f"{LIST}{roster['e2'].pk}/"))

    assert "员工2" in html and "北京甲公司" in html and "9,000.00" in html and "2025年6月1日" in html
    assert "2025年9月30日" in html and "已减员" in html
    assert re.search(r'data-testid="add-month">2025年6月<', html)
    assert 'data-testid="remove-month">2025年9月(缴费至 2025年8月)<' in html
    lines = re.search(r'data-testid="lines-2025-08">(.*?)</table>', html, re.S).group(1)
    assert "养老保险" in lines and "正常缴费" in lines and "16.00%" in lines
    assert idn(2) not in html and "pension" not in visible(html)


# ---------------------------------------------------------------------------------------------
# 增员 / 减员 through the forms
# ---------------------------------------------------------------------------------------------
def _add(page, client, **overrides):
    data = {"client": client.pk, "name": "新员工", "id_number": idn(50), "insured_city": "beijing",
            "contract_city": "", "payroll_city": "", "wage": "8000", "start_date": "2026-01-20"}
    data.update(overrides)
    return page.post(f"{LIST}new/", data, follow=True)


def test_add_through_the_form_says_the_month_it_lands_in(people, roster):
    CitySetting.objects.update_or_create(city="beijing", defaults={"add_cutoff_day": 15})
    page = web(people["staff"])
    form = html_of(page.get(f"{LIST}new/"))
    assert "北京:每月 15 日之后开始参保的,次月增员" in form and 'hx-get="/b/bj/si/employees/lands-in/"' in form

    html = html_of(_add(page, roster["a"], wage="８０００．５０", id_number=idn(50).replace("1", "１")))

    with in_branch("bj"):
        e = InsuredEmployee.objects.get(name="新员工")
        assert (e.client_id, e.wage, e.start_date, e.contract_city) == (
            roster["a"].pk, Decimal("8000.50"), dt.date(2026, 1, 20), "beijing")
        assert e.history.first().history_user_id == people["staff"].pk
    # The 20th is after Beijing's cut-off (15th): insured from February.
    assert "已增员:新员工,从 2026年2月 起缴费,计入 2026年2月 增员名单(2026年2月 增减员核对截止:2月5日)" in html


def test_add_with_bad_input_says_what_is_wrong_and_writes_nothing(people, roster):
    response = _add(web(people["staff"]), roster["a"], id_number="110105199001010011", wage="-5", insured_city="",
                    start_date="2026-13-01", name="")
    html = html_of(response)
    assert response.status_code == 400
    assert field_error(html, "id_number") == ["身份证号无效(须为 18 位且校验位正确)。"]
    assert field_error(html, "wage") and field_error(html, "start_date") and field_error(html, "name")
    assert field_error(html, "insured_city")
    with in_branch("bj"):
        assert InsuredEmployee.objects.count() == 3


def test_add_refuses_an_overlapping_stint_of_the_same_person(people, roster):
    response = _add(web(people["staff"]), roster["a"], id_number=idn(1), start_date="2025-12-01")
    assert response.status_code == 400
    assert field_error(html_of(response), "id_number") == ["该身份证号在本分支机构已有重叠的参保记录。"]
    with in_branch("bj"):
        assert InsuredEmployee.objects.filter(id_number_hash=roster["e1"].id_number_hash).count() == 1


def test_remove_through_the_form_and_refuse_bad_dates(people, roster):
    e1 = roster["e1"]
    page = web(people["manager"])

    bad = page.post(f"{LIST}{e1.pk}/remove/", {"end_date": "2025-06-01"})
    assert bad.status_code == 400
    assert field_error(html_of(bad), "end_date") == ["离职日期不能早于参保开始日期 2025年6月10日。"]
    with in_branch("bj"):
        assert InsuredEmployee.objects.get(pk=e1.pk).end_date is None

    html = html_of(page.post(f"{LIST}{e1.pk}/remove/", {"end_date": "2026-01-15"}, follow=True))
    assert "已减员:员工1,缴费至 2025年12月,计入 2026年1月 减员名单" in html
    with in_branch("bj"):
        assert InsuredEmployee.objects.get(pk=e1.pk).end_date == dt.date(2026, 1, 15)

    again = page.post(f"{LIST}{e1.pk}/remove/", {"end_date": "2026-02-15"})
    assert again.status_code == 400 and field_error(html_of(again), "end_date") == ["该员工已于 2026年1月15日 减员。"]


def test_lands_in_follows_the_city_settings(people, roster):
    CitySetting.objects.update_or_create(city="shanghai", defaults={"add_cutoff_day": 20,
                                                                    "remove_covers_leaving_month": True})
    page = web(people["staff"])
    add = html_of(page.get(f"{LIST}lands-in/?insured_city=shanghai&start_date=2026-03-21"))
    assert "从 2026年4月 起缴费,计入 2026年4月 增员名单" in add
    same_month = html_of(page.get(f"{LIST}lands-in/?insured_city=shanghai&start_date=2026-03-20"))
    assert "计入 2026年3月 增员名单" in same_month
    remove = html_of(page.get(f"{LIST}lands-in/?employee={roster['e3'].pk}&end_date=2026-03-10"))
    assert "缴费至 2026年3月,计入 2026年4月 减员名单" in remove
    nothing = html_of(page.get(f"{LIST}lands-in/?insured_city=shanghai&start_date=bad"))
    assert "填写日期后显示计入的月份" in nothing


def test_a_change_into_a_filed_month_is_flagged(people, roster):
    from social_insurance.models import MonthCycle

    with in_branch("bj"):
        MonthCycle.objects.create(period="2025-10", status="filed", reconcile_due=dt.date(2025, 10, 5),
                                  file_due=dt.date(2025, 10, 10), filed_at=timezone.now(), receipt_no="R-1")
    html = html_of(web(people["staff"]).get(f"{LIST}lands-in/?insured_city=beijing&start_date=2025-10-08"))
    assert "2025年10月 已申报:增员列入下一个未申报月份,已申报的月份在本市补缴期限内补缴。" in html
    assert "从 2025年10月 起缴费,计入 2025年11月 增员名单" in html
    # A leaving in the filed month: October stays charged, so it is paid to October and listed in
    # November (the form said "缴费至 2025年9月,计入 2025年10月" — the review of 2026-12-05).
    leave = html_of(web(people["staff"]).get(f"{LIST}lands-in/?employee={roster['e1'].pk}&end_date=2025-10-20"))
    assert "缴费至 2025年10月,计入 2025年11月 减员名单" in leave
    assert "2025年10月 已申报:减员列入下一个未申报月份,已申报的月份照常缴费,不退费。" in leave


# ---------------------------------------------------------------------------------------------
# Import and its template
# ---------------------------------------------------------------------------------------------
def test_template_has_chinese_headers_and_a_valid_example(people, roster):
    response = web(people["staff"]).get(f"{LIST}import/template/?format=xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("客户名称", "姓名", "身份证号", "参保城市", "合同签订地", "工资发放地", "申报工资", "公积金比例%",
                       "工伤费率%", "参保开始日期", "参保结束日期")
    # The example row names an obviously illustrative client, never one of the branch's (the file
    # would carry a real client as if it were data, beside its near-namesakes in the pickers).
    assert rows[1][0] == "示例客户有限公司" and rows[1][3] == "北京"
    with in_branch("bj"):
        from clients.models import Client

        assert not Client.objects.filter(name__contains="示例").exists()
    from social_insurance import engine

    assert engine.identity_number_valid(rows[1][2])


def test_import_accepts_chinese_headers_names_and_full_width_digits(people, roster):
    body = ("客户名称,姓名,身份证号,参保城市,合同签订地,工资发放地,申报工资,公积金比例%,工伤费率%,参保开始日期,参保结束日期\n"
            f"北京甲公司,导入一,{idn(60)},北京,北京,北京,８０００,,,2026-01-01,\n"
            f"{roster['b'].pk},导入二,{idn(61)},上海,,,9000.5,,,2026-01-01,\n").encode()
    response = web(people["staff"]).post(f"{LIST}import/", {"file": SimpleUploadedFile("员工.csv", body)}, follow=True)
    assert "已导入 2 名参保员工(申报工资合计 17,000.50 元)" in html_of(response)
    with in_branch("bj"):
        one = InsuredEmployee.objects.get(name="导入一")
        two = InsuredEmployee.objects.get(name="导入二")
        assert (one.client_id, one.insured_city, one.wage) == (roster["a"].pk, "beijing", Decimal("8000"))
        assert (two.client_id, two.insured_city, two.payroll_city) == (roster["b"].pk, "shanghai", "shanghai")


def test_import_with_a_bad_row_lists_it_and_writes_nothing(people, roster):
    body = ("客户名称,姓名,身份证号,参保城市,申报工资,参保开始日期\n"
            f"北京甲公司,好的,{idn(70)},北京,8000,2026-01-01\n"
            f"不存在的公司,坏的,{idn(71)},火星,abc,2026-01-01\n").encode()
    response = web(people["staff"]).post(f"{LIST}import/", {"file": SimpleUploadedFile("e.csv", body)})
    html = html_of(response)
    assert response.status_code == 400 and "未导入任何数据" in html
    errors = re.search(r'data-testid="import-errors">(.*?)</section>', html, re.S).group(1)
    assert "未知客户:不存在的公司。" in errors and "未知的参保城市:火星。" in errors and "申报工资" in errors
    assert "客户名称" in errors and "wage" not in visible(errors)
    with in_branch("bj"):
        assert InsuredEmployee.objects.count() == 3


def test_import_says_which_city_names_and_what_wage_it_accepts(people, roster):
    """A city is written by its name (the page says so): a city the policy data does not know is
    refused with the names it does know, not "请填写城市代码"; a missing wage asks for an amount
    as people type it, not a developer's "金额字符串" in quotes; missing columns are named by
    the template's headers, not the importer's keys."""
    from django.conf import settings

    body = ("客户名称,姓名,身份证号,参保城市,合同签订地,工资发放地,申报工资,参保开始日期\n"
            f"北京甲公司,城市写错,{idn(72)},北京,北京市朝阳区,北京,,2026-01-01\n").encode()
    html = html_of(web(people["staff"]).post(f"{LIST}import/", {"file": SimpleUploadedFile("e.csv", body)}))
    errors = visible(re.search(r'data-testid="import-errors">(.*?)</section>', html, re.S).group(1))
    assert "未知的城市:北京市朝阳区。请填写城市名称,如 北京、广州、杭州、上海、深圳。" in errors
    assert "工资须为金额,例如 12000.00。" in errors
    assert "城市代码" not in errors and "字符串" not in errors and '"12000.00"' not in errors

    no_columns = "姓名,身份证号\n张三,110105199001010011\n".encode()
    html = html_of(web(people["staff"]).post(f"{LIST}import/", {"file": SimpleUploadedFile("e.csv", no_columns)}))
    assert "缺少列:客户名称、参保城市、申报工资、参保开始日期。" in html and "insured_city" not in visible(html)

    english = web(people["staff"])
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = html_of(english.post(f"{LIST}import/", {"file": SimpleUploadedFile("e.csv", body)}))
    errors = visible(re.search(r'data-testid="import-errors">(.*?)</section>', html, re.S).group(1))
    assert "Unknown city: 北京市朝阳区. Enter a city name, such as 北京, 广州, 杭州, 上海, 深圳." in errors
    assert "The wage must be an amount, e.g. 12000.00." in errors
    with in_branch("bj"):
        assert InsuredEmployee.objects.count() == 3


def test_the_list_sorts_by_what_people_choose(people, roster):
    from social_insurance.employee_selectors import EmployeeFilters

    def order(sort: str) -> list[str]:
        html = html_of(web(people["staff"]).get(f"{LIST}?sort={sort}"))
        return list(dict.fromkeys(n for n in re.findall(r"员工[0-9]", html) if n in ("员工1", "员工2", "员工3")))

    assert order("-wage")[:3] == ["员工1", "员工2", "员工3"]  # 12,345.60 > 9,000 > 8,000
    assert order("wage")[:3] == ["员工3", "员工2", "员工1"]
    assert order("start")[:3] == ["员工2", "员工1", "员工3"]  # 06-01, 06-10, 07-01
    # Anything else falls back to the default order (by client, then name).
    assert EmployeeFilters.from_query({"sort": "id; drop table"}).sort == "client"
    assert 'value="-wage" selected' in html_of(web(people["staff"]).get(f"{LIST}?sort=-wage"))
