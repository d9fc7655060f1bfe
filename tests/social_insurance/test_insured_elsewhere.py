"""The same identity number insured in two branches in one month (SPEC §6): the office is told
when it enters the person (page, API, import), the board shows it whichever branch computed
last, and the month is not filed while it stands; a compute of a filed month is refused at once."""
from __future__ import annotations

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from branches import jobs
from social_insurance import selectors, services
from social_insurance.models import CheckFinding, CycleStatus, InsuredEmployee, MonthCycle
from social_insurance.policies.models import InsuredIdentitySpan, RepeatedIdentity
from tests.conftest import in_branch
from tests.factories import make_user

from .helpers import add_employee, file_month, idn, make_client, web

pytestmark = pytest.mark.django_db
M = "2025-08"
WARNING = str(services.INSURED_ELSEWHERE_MESSAGE)



@pytest.fixture
def sh_staff(branches):
    return make_user("sh_staff", ("sh", "branch_staff"), home="sh")


@pytest.fixture
def in_shanghai(sh_staff):
    """Shanghai insures person 1 from March 2025, entered and never computed."""
    with in_branch("sh"):
        return add_employee(make_client("上海丙公司", sh_staff, city="shanghai"), 1, "9000", "2025-03-01",
                            city="shanghai", actor=sh_staff)


def test_an_addition_insured_in_another_branch_is_saved_with_a_warning(api, staff, branches, in_shanghai):
    # Shanghai's 增员 is in the HQ registry as soon as it is recorded (no compute yet).
    assert InsuredIdentitySpan.objects.filter(branch=branches["sh"], employee_id=in_shanghai.pk).exists()
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
    r = api(staff).post("/b/bj/api/v1/si/employees/", {
        "client": client.pk, "name": "员工1", "id_number": idn(1), "insured_city": "beijing", "wage": "10000",
        "start_date": "2025-07-01"}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["warnings"] == {"id_number": [WARNING]}
    # The warning names nothing of the other side: no branch, client or person.
    assert "上海" not in WARNING and "丙" not in WARNING
    with in_branch("bj"):
        person = InsuredEmployee.objects.get(name="员工1")
    assert list(RepeatedIdentity.objects.values_list("id_hash", flat=True)) == [person.id_number_hash]

    # Someone else, insured nowhere else: no warning.
    r = api(staff).post("/b/bj/api/v1/si/employees/", {
        "client": client.pk, "name": "员工2", "id_number": idn(2), "insured_city": "beijing", "wage": "10000",
        "start_date": "2025-07-01"}, format="json")
    assert r.status_code == 201 and r.json()["warnings"] == {}


def test_the_addition_page_says_so(staff, in_shanghai):
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
    r = web(staff).post("/b/bj/si/employees/new/", {
        "client": client.pk, "name": "员工1", "id_number": idn(1), "insured_city": "beijing", "wage": "10000",
        "start_date": "2025-07-01"}, follow=True)
    assert r.status_code == 200
    assert WARNING in r.content.decode()


def test_a_move_between_branches_mid_month_overlaps_no_month(staff, sh_staff):
    """Shanghai's person leaves on 10 August (insured up to July); Beijing insures them from 11
    August: the months do not overlap, nothing is said and August files."""
    with in_branch("sh"):
        add_employee(make_client("上海丙公司", sh_staff, city="shanghai"), 1, "9000", "2025-03-01", "2025-08-10",
                     city="shanghai", actor=sh_staff)
    with in_branch("bj"):
        person = add_employee(make_client("北京甲公司", staff), 1, "10000", "2025-08-11", actor=staff)
        assert person.insured_elsewhere is False
        file_month(staff, M)
        assert MonthCycle.objects.get(period=M).status == CycleStatus.FILED


def test_an_import_names_the_rows_insured_elsewhere_and_writes_them(api, staff, in_shanghai):
    with in_branch("bj"):
        make_client("北京甲公司", staff)
    wb = Workbook()
    ws = wb.active
    ws.append(["客户名称", "姓名", "身份证号", "参保城市", "申报工资", "参保开始日期"])
    ws.append(["北京甲公司", "员工2", idn(2), "北京", "10000", "2025-07-01"])
    ws.append(["北京甲公司", "员工1", idn(1), "北京", "10000", "2025-07-01"])
    buf = io.BytesIO()
    wb.save(buf)
    r = api(staff).post("/b/bj/api/v1/si/employees/import/",
                        {"file": SimpleUploadedFile("people.xlsx", buf.getvalue())}, format="multipart")
    assert r.status_code == 201, r.content
    assert r.json()["created"] == 2
    assert r.json()["warnings"] == [{"row": 3, "field": "id_number", "message": WARNING}]


def test_filing_is_refused_while_another_branch_insures_the_person_then_allowed_once_it_ends(
        staff, sh_staff, in_shanghai):
    with in_branch("bj"):
        c = make_client("北京甲公司", staff)
        person = add_employee(c, 1, "10000", "2025-07-01", actor=staff)
        add_employee(c, 2, "10000", "2025-07-01", actor=staff)
        services.month_compute(actor=staff, period=M)
        services.month_reconcile(actor=staff, period=M)
        with pytest.raises(ValidationError) as refused:
            services.month_file(actor=staff, period=M, receipt_no="BJ-1")
        message = refused.value.message_dict["period"][0]
        assert message == (f"2025年8月不能申报:员工1({person.id_number_masked})的身份证号本月在其他分支机构也参保。"
                           "请与本人和客户核实,由不再为其参保的一方减员或更正参保日期(本分支机构改后请重新计算并核对),再申报。")
        cycle = MonthCycle.objects.get(period=M)
        assert (cycle.status, cycle.receipt_no, cycle.filed_at) == (CycleStatus.RECONCILED, "", None)

    # Shanghai records the 减员 (leaving on 3 August: insured up to July). Nobody recomputes:
    # Beijing's filing reads the registry as it is now.
    with in_branch("sh"):
        services.employee_end(actor=sh_staff, employee_id=in_shanghai.pk, end_date="2025-08-03")
    assert InsuredIdentitySpan.objects.get(employee_id=in_shanghai.pk, branch__code="sh").last_month.isoformat() \
        == "2025-07-01"
    with in_branch("bj"):
        services.month_file(actor=staff, period=M, receipt_no="BJ-1")
        assert MonthCycle.objects.get(period=M).status == CycleStatus.FILED


def test_the_board_shows_the_duplicate_whichever_branch_computed_last(api, staff, sh_staff):
    with in_branch("bj"):
        person = add_employee(make_client("北京甲公司", staff), 1, "10000", "2025-07-01", actor=staff)
        services.month_compute(actor=staff, period=M)  # before Shanghai has the person
    with in_branch("sh"):
        twin = add_employee(make_client("上海丙公司", sh_staff, city="shanghai"), 1, "9000", "2025-03-01",
                            city="shanghai", actor=sh_staff)  # entered after, never computed
    with in_branch("bj"):
        assert not CheckFinding.objects.filter(kind="duplicate_across").exists()  # the stored check is stale
        assert selectors.insured_elsewhere(M, _branch_pk("bj")) == [person.pk]
        assert [(f.kind, f.employee_id) for f in selectors.month_findings(M, _branch_pk("bj"))
                if f.kind == "duplicate_across"] == [("duplicate_across", person.pk)]
    assert api(staff).get(f"/b/bj/api/v1/si/months/{M}/").json()["findings"]["duplicate_across"] == 1
    page = web(staff).get(f"/b/bj/si/?period={M}").content.decode()
    assert "同一身份证号本月在其他分支机构也参保" in page and person.id_number_masked in page
    # Shanghai's board shows it too, though Shanghai never computed August.
    with in_branch("sh"):
        assert selectors.insured_elsewhere(M, _branch_pk("sh")) == [twin.pk]
    assert "同一身份证号本月在其他分支机构也参保" in web(sh_staff).get(f"/b/sh/si/?period={M}").content.decode()


def _branch_pk(code: str) -> int:
    from branches.models import Branch

    return Branch.objects.get(code=code).pk


def test_computing_a_filed_month_is_refused_at_once_and_queues_nothing(api, staff, django_capture_on_commit_callbacks):
    with in_branch("bj"):
        add_employee(make_client("北京甲公司", staff), 1, "10000", "2025-07-01", actor=staff)
        file_month(staff, M)
        before = MonthCycle.objects.get(period=M).history.count()
    with django_capture_on_commit_callbacks() as queued:
        r = api(staff).post(f"/b/bj/api/v1/si/months/{M}/compute/")
    assert r.status_code == 400
    assert r.json() == {"period": ["2025年8月已申报,不能重算;更正请走补缴/退费。"]}
    assert queued == []
    with in_branch("bj"):
        from django.db import connection

        assert jobs._redis().get(jobs.pending_key(connection.schema_name, "social_insurance.compute_month", M)) is None
        assert MonthCycle.objects.get(period=M).history.count() == before
        # A month behind the filed one: refused the same way, with its own reason.
    r = api(staff).post("/b/bj/api/v1/si/months/2025-07/compute/")
    assert r.status_code == 400 and "早于已申报的" in r.json()["period"][0]


def test_hqs_duplicate_report_names_branches_by_name(staff, hq_admin, in_shanghai):
    with in_branch("bj"):
        add_employee(make_client("北京甲公司", staff), 1, "10000", "2025-07-01", actor=staff)
    html = web(hq_admin).get(f"/si/duplicates/?period={M}").content.decode()
    pills = re.findall(r'<span class="pill" data-testid="duplicate-branch">([^<]*)</span>', html)
    assert pills == ["北京分公司 × 1", "上海分公司 × 1"]
    assert "bj ×" not in html and "sh ×" not in html


def test_the_filing_step_lists_what_is_still_unanswered_without_refusing(api, staff):
    from social_insurance.models import FeeStatement, StatementStatus

    with in_branch("bj"):
        for n, name in enumerate(("甲", "乙", "丙"), start=1):
            add_employee(make_client(f"北京{name}公司", staff), n, "10000", "2025-07-01", actor=staff)
        services.month_compute(actor=staff, period=M)
        services.month_reconcile(actor=staff, period=M)
        FeeStatement.objects.filter(client__name="北京丙公司").update(status=StatementStatus.DISPUTED)
        services.exception_open(actor=staff, period=M, description="缴费失败")
        services.exception_open(actor=staff, period="2025-07", description="上月的")  # another month's
    board = api(staff).get(f"/b/bj/api/v1/si/months/{M}/").json()
    assert board["filing_cautions"] == [
        {"kind": "statements_unconfirmed", "message": "费用明细表客户尚未确认", "count": 2},
        {"kind": "statements_disputed", "message": "费用明细表客户有异议", "count": 1},
        {"kind": "exceptions_open", "message": "本月异常尚未解决", "count": 1}]
    html = web(staff).get(f"/b/bj/si/?period={M}").content.decode()
    box = html.split('data-testid="si-filing-cautions"', 1)[1].split("</div>", 1)[0]
    assert re.findall(r"<li>([^<]*)</li>", box) == ["费用明细表客户尚未确认:2 项", "费用明细表客户有异议:1 项",
                                                    "本月异常尚未解决:1 项"]
    # A warning only: the month files.
    with in_branch("bj"):
        services.month_file(actor=staff, period=M, receipt_no="BJ-1")
    assert api(staff).get(f"/b/bj/api/v1/si/months/{M}/").json()["filing_cautions"] == []


def test_a_city_with_no_policy_for_the_month_is_said_at_entry(staff, api):
    """The shipped data has no 2026 year for 广州 after November: a person entered there computes
    to nothing and is left out of the client's statement — said when they are entered (page and
    API), not only later on the board after a compute."""
    import datetime as dt

    from django.utils import timezone

    from social_insurance.policies.selectors import cities_without_policy

    assert "guangzhou" in cities_without_policy(dt.date(2026, 12, 1)) and "beijing" not in cities_without_policy(
        dt.date(2026, 12, 1))
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
        person = InsuredEmployee(client=client, name="员工9", insured_city="guangzhou", wage="9000",
                                 start_date=dt.date(2026, 12, 3))
        assert services.no_policy_notice(person, today=dt.date(2026, 12, 5)) == (
            "广州没有2026年12月适用的社保政策:计算时该员工的社保费为零,不计入客户的费用明细表。"
            "请联系总部发布或沿用该城市的政策后重新计算。")
        person.insured_city = "beijing"
        assert services.no_policy_notice(person, today=dt.date(2026, 12, 5)) is None
        # entered in June from May (the year to June 2026 in force): this month too is named
        person.insured_city, person.start_date = "guangzhou", dt.date(2026, 5, 3)
        assert services.no_policy_notice(person, today=dt.date(2026, 6, 5)) is None
        assert services.no_policy_notice(person, today=dt.date(2026, 12, 5)).startswith("广州没有2026年12月适用")
    r = api(staff).post("/b/bj/api/v1/si/employees/", {
        "client": client.pk, "name": "员工8", "id_number": idn(8), "insured_city": "guangzhou", "wage": "9000",
        "start_date": timezone.localdate().isoformat()}, format="json")
    expected = services.no_policy_notice(InsuredEmployee(insured_city="guangzhou", start_date=timezone.localdate()))
    assert r.status_code == 201 and r.json()["warnings"] == ({"insured_city": [expected]} if expected else {})


def test_the_addition_page_names_a_city_with_no_policy_for_the_month(staff):
    import datetime as dt

    from social_insurance.policies.selectors import cities_without_policy

    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
    start = dt.date.today().replace(day=1)
    r = web(staff).post("/b/bj/si/employees/new/", {
        "client": client.pk, "name": "员工7", "id_number": idn(7), "insured_city": "guangzhou", "wage": "9000",
        "start_date": start.isoformat()}, follow=True)
    html = r.content.decode()
    assert r.status_code == 200 and "已增员:员工7" in html
    assert ("广州没有" in html) == ("guangzhou" in cities_without_policy(start))


def test_the_addition_form_says_every_error_at_once_and_each_once(staff):
    """A start too early, a housing-fund rate and an injury rate out of range: three errors in one
    submit, not three round trips; the start's refusal once (the landing panel said it again)."""
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
    r = web(staff).post("/b/bj/si/employees/new/", {
        "client": client.pk, "name": "员工6", "id_number": idn(6), "insured_city": "beijing", "wage": "9000",
        "start_date": "2030-01-01", "housing_fund_percent": "50", "injury_rate": "9"})
    html = r.content.decode()
    assert r.status_code == 400
    assert "公积金缴存比例须在" in html and "工伤保险费率须在" in html
    assert html.count("参保开始日期 2030年1月1日") == 1, html.count("参保开始日期 2030年1月1日")
    with in_branch("bj"):
        assert not InsuredEmployee.objects.filter(name="员工6").exists()


def test_rates_are_checked_when_the_start_month_has_no_policy(staff):
    """A start in 2020 (no Beijing version that far back) let a 50% housing fund through."""
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
    r = web(staff).post("/b/bj/si/employees/new/", {
        "client": client.pk, "name": "员工5", "id_number": idn(5), "insured_city": "beijing", "wage": "9000",
        "start_date": "2020-01-01", "housing_fund_percent": "50"})
    assert r.status_code == 400 and "公积金缴存比例须在" in r.content.decode()
    with in_branch("bj"):
        assert not InsuredEmployee.objects.filter(name="员工5").exists()


def test_an_import_names_the_rows_whose_city_has_no_policy_for_the_month(api, staff):
    """As the page and the API do for one person (the review found imports silent)."""
    from django.utils import timezone

    with in_branch("bj"):
        make_client("北京甲公司", staff)
    today = timezone.localdate()
    wb = Workbook()
    ws = wb.active
    ws.append(["客户名称", "姓名", "身份证号", "参保城市", "申报工资", "参保开始日期"])
    ws.append(["北京甲公司", "员工3", idn(3), "北京", "10000", today.isoformat()])
    ws.append(["北京甲公司", "员工4", idn(4), "广州", "9000", today.isoformat()])
    buf = io.BytesIO()
    wb.save(buf)
    r = api(staff).post("/b/bj/api/v1/si/employees/import/",
                        {"file": SimpleUploadedFile("people.xlsx", buf.getvalue())}, format="multipart")
    assert r.status_code == 201 and r.json()["created"] == 2, r.content
    expected = services.no_policy_notice(InsuredEmployee(insured_city="guangzhou", start_date=today))
    beijing = services.no_policy_notice(InsuredEmployee(insured_city="beijing", start_date=today))
    assert beijing is None and expected  # the shipped data: 广州's year ended in June 2026
    assert r.json()["warnings"] == [{"row": 3, "field": "insured_city", "message": expected}]
