"""What an 增员 is refused at entry (page, API, import alike), with nothing written:
- a start before what can be back-paid: before the branch's first month in the system, or past
  the city's 补缴最多月数 counted back from the earliest open month (which registers the 增员);
- a declared wage of 0 or less (a wage below the city's floor stays allowed: clamped, flagged).
A start that can be back-paid is listed as 增员 in the earliest open month, with its 补缴."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from social_insurance import engine, services
from social_insurance.models import ContributionLine, InsuredEmployee, StaffChange
from social_insurance.policies.models import CitySetting
from tests.conftest import in_branch

from .helpers import add_employee, file_month, idn, make_client, web

pytestmark = pytest.mark.django_db
D = Decimal


def test_engine_earliest_back_paid_month():
    filed = {"2025-06", "2025-07", "2025-08"}
    assert engine.earliest_back_paid_month("2025-09", filed, 3) == "2025-06"
    assert engine.earliest_back_paid_month("2025-09", filed, 2) == "2025-07"
    assert engine.earliest_back_paid_month("2025-09", filed, 0) == "2025-09"
    assert engine.earliest_back_paid_month("2025-09", filed, 12) == "2025-06"  # May was never filed here
    assert engine.earliest_back_paid_month("2026-11", set(), 3) == "2026-11"


def _counts():
    return (InsuredEmployee.objects.count(), InsuredEmployee.history.count(), StaffChange.objects.count(),
            ContributionLine.objects.count())


@pytest.fixture
def computed(staff):
    """November and December 2026 computed, nothing filed (as the demo leaves a branch)."""
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
        add_employee(client, 1, "9000", "2024-07-01", actor=staff)  # the roster before going live: taken as is
        for period in ("2026-11", "2026-12"):
            services.month_compute(actor=staff, period=period)
        return client


def test_a_start_before_the_branchs_first_month_is_refused_everywhere_and_nothing_is_written(api, staff, computed):
    with in_branch("bj"):
        before = _counts()
    body = {"client": computed.pk, "name": "李四", "id_number": idn(7), "insured_city": "beijing", "wage": "9000",
            "start_date": "2020-01-01"}
    resp = api(staff).post("/b/bj/api/v1/si/employees/", body, format="json")
    assert resp.status_code == 400
    said = ("参保开始日期 2020年1月1日 过早:本分支机构2026年11月之前的月份未在系统中申报,无法补缴;"
            "最早从2026年11月起参保(开始日期不早于 2026年11月1日)。请核对日期。")
    assert resp.json() == {"start_date": [said]}

    page = web(staff)
    html = page.post("/b/bj/si/employees/new/", {**body, "client": str(computed.pk)}).content.decode()
    assert said in html
    english = web(staff)
    english.cookies["django_language"] = "en"
    html = english.post("/b/bj/si/employees/new/", {**body, "client": str(computed.pk)}).content.decode()
    assert ("The start date Jan. 1, 2020 is too early: this branch&#x27;s months before November 2026 were "
            "never filed in the system and cannot be back-paid; insurance can start from November 2026 at the "
            "earliest (a start date on or after Nov. 1, 2026). Please check the date.") in html
    # the sentence under the form says so while the date is typed
    hint = page.get("/b/bj/si/employees/lands-in/", {"insured_city": "beijing", "start_date": "2020-01-01"})
    assert said in hint.content.decode() and "增员名单" not in hint.content.decode()

    head = "客户编号,姓名,身份证号,参保地,工资,参保开始\n"
    upload = io.BytesIO((head + f"{computed.pk},李四,{idn(7)},北京,9000,2020-01-01\n").encode("utf-8-sig"))
    upload.name = "staff.csv"
    resp = api(staff).post("/b/bj/api/v1/si/employees/import/", {"file": upload}, format="multipart")
    assert resp.status_code == 400 and said in resp.content.decode()
    with in_branch("bj"):
        assert _counts() == before
        # the first month itself is taken, and listed there when it is computed again
        person = add_employee(computed, 8, "9000", "2026-11-01", actor=staff)
        services.month_compute(actor=staff, period="2026-11")
        assert list(StaffChange.objects.filter(employee=person).values_list("period", "kind")) == [("2026-11", "add")]


def test_a_start_past_the_citys_back_payment_limit_is_refused_within_it_listed_and_back_paid(staff):
    with in_branch("bj"):
        CitySetting.objects.create(city="beijing", back_payment_months_limit=2)
        client = make_client("北京乙公司", staff)
        add_employee(client, 1, "9000", "2025-05-01", actor=staff)
        for period in ("2025-05", "2025-06", "2025-07", "2025-08"):
            file_month(staff, period)
        before = _counts()
        with pytest.raises(ValidationError) as exc:
            add_employee(client, 2, "12000", "2025-06-30", actor=staff)
        assert exc.value.message_dict == {"start_date": [
            "参保开始日期 2025年6月30日 过早:增员在2025年9月办理,北京最多补缴 2 个月,"
            "最早从2025年7月起参保(开始日期不早于 2025年7月1日)。请核对日期。"]}
        with translation.override("en"):
            with pytest.raises(ValidationError) as exc:
                add_employee(client, 2, "12000", "2025-06-30", actor=staff)
            assert exc.value.message_dict["start_date"] == [
                "The start date June 30, 2025 is too early: the addition is registered in September 2025 and "
                "Beijing back-pays at most 2 months, so insurance can start from July 2025 at the earliest (a "
                "start date on or after July 1, 2025). Please check the date."]
        assert _counts() == before

        late = add_employee(client, 2, "12000", "2025-07-01", actor=staff)
        services.month_compute(actor=staff, period="2025-09")
        assert sorted(set(ContributionLine.objects.filter(employee=late, period="2025-09").values_list(
            "source", "for_period"))) == [("back_pay", "2025-07"), ("back_pay", "2025-08"), ("regular", "2025-09")]
        assert list(StaffChange.objects.filter(employee=late).values_list("period", "kind", "effective_date")) == [
            ("2025-09", "add", engine.month_start("2025-07"))]


def test_the_roster_of_a_branch_with_no_month_yet_is_taken_as_it_is(staff):
    with in_branch("bj"):
        client = make_client("北京丙公司", staff)
        person = add_employee(client, 1, "9000", "2020-01-01", actor=staff)
        services.month_compute(actor=staff, period="2026-11")
        assert ContributionLine.objects.filter(employee=person, period="2026-11", source="regular").count() == 5
        assert not StaffChange.objects.filter(employee=person).exists()  # insured before the system: no 增员


@pytest.mark.parametrize("wage", ["0", "0.00", "-1", "０"])
def test_a_declared_wage_of_zero_or_less_is_refused_at_entry(api, staff, wage):
    with in_branch("bj"):
        client = make_client("北京丁公司", staff)
        before = _counts()
    said = "申报工资须大于 0(低于缴费基数下限的,按下限缴费)。"
    body = {"client": client.pk, "name": "李四", "id_number": idn(7), "insured_city": "beijing", "wage": wage,
            "start_date": "2026-12-01"}
    resp = api(staff).post("/b/bj/api/v1/si/employees/", body, format="json")
    assert resp.status_code == 400
    assert resp.json()["wage"] == ([said] if not wage.startswith("-") else ["工资不能为负数。"])
    html = web(staff).post("/b/bj/si/employees/new/", {**body, "client": str(client.pk)}).content.decode()
    assert (said if not wage.startswith("-") else "工资不能为负数。") in html
    upload = io.BytesIO(f"客户编号,姓名,身份证号,参保地,工资,参保开始\n{client.pk},李四,{idn(7)},北京,{wage},2026-12-01\n"
                        .encode("utf-8-sig"))
    upload.name = "staff.csv"
    resp = api(staff).post("/b/bj/api/v1/si/employees/import/", {"file": upload}, format="multipart")
    assert resp.status_code == 400
    with in_branch("bj"):
        assert _counts() == before
    with translation.override("en"), in_branch("bj"), pytest.raises(ValidationError) as exc:
        add_employee(client, 7, "0", "2026-12-01", actor=staff)
    assert exc.value.message_dict["wage"] == [
        "The declared wage must be more than 0 (a wage below the city's base floor is paid at the floor)."]


def test_a_wage_below_the_floor_is_still_taken_clamped_and_flagged(staff):
    with in_branch("bj"):
        client = make_client("北京戊公司", staff)
        person = add_employee(client, 1, "1.00", "2026-11-01", actor=staff)
        services.month_compute(actor=staff, period="2026-11")
        line = ContributionLine.objects.get(employee=person, period="2026-11", kind="pension")
        assert line.wage == D("1.00") and line.base > D("1.00")
        from social_insurance.models import CheckFinding

        assert CheckFinding.objects.filter(period="2026-11", employee=person, kind="base_below_floor").exists()


def test_a_base_change_to_zero_is_refused(api, staff):
    with in_branch("bj"):
        client = make_client("北京己公司", staff)
        person = add_employee(client, 1, "9000", "2026-11-01", actor=staff)
    resp = api(staff).post(f"/b/bj/api/v1/si/employees/{person.pk}/base/", {"wage": "0"}, format="json")
    assert resp.status_code == 400 and resp.json()["wage"] == ["申报工资须大于 0(低于缴费基数下限的,按下限缴费)。"]
    with in_branch("bj"):
        assert InsuredEmployee.objects.get(pk=person.pk).wage == D("9000.00")


def test_a_backdated_record_entered_before_the_refusal_is_listed_once_in_the_earliest_open_month(staff, computed):
    """Someone taken with a start long past before such a start was refused is billed from the
    earliest open month on: that month's 增员 list carries them, dated from its first day (the
    months before are not insured); the going-live roster is not 增员."""
    import datetime as dt

    with in_branch("bj"):
        person = add_employee(computed, 9, "9000", "2026-11-01", actor=staff)
        InsuredEmployee.objects.filter(pk=person.pk).update(start_date=dt.date(2020, 1, 1))  # as entered before
        services.month_compute(actor=staff, period="2026-12")  # not the earliest open month: November lists them
        assert not StaffChange.objects.filter(employee=person).exists()
        for _ in range(2):
            services.month_compute(actor=staff, period="2026-11")
            assert list(StaffChange.objects.filter(employee=person).values_list("period", "kind", "effective_date")) == [
                ("2026-11", "add", dt.date(2026, 11, 1))]
        assert ContributionLine.objects.filter(employee=person, period="2026-11", source="regular").count() == 5
        assert not ContributionLine.objects.filter(employee=person, source="back_pay").exists()
        services.month_reconcile(actor=staff, period="2026-11")
        services.month_file(actor=staff, period="2026-11", receipt_no="BJ-2026-11")
        services.month_compute(actor=staff, period="2026-12")
        assert StaffChange.objects.filter(employee=person).count() == 1
        roster = InsuredEmployee.objects.get(name="员工1")
        assert not StaffChange.objects.filter(employee=roster).exists()
