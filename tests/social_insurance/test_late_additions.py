"""增员 entered late: a person whose insurance starts in a month already filed is back-paid (补缴)
in the next open month, within the city's back-payment limit, and listed in that month's 增减员;
a start further back is refused in words that give the earliest date allowed."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as WebClient

from social_insurance import engine, services
from social_insurance.models import ContributionLine, FeeStatement, InsuredEmployee, StaffChange
from social_insurance.policies.models import CityPolicy, CitySetting
from social_insurance.policies.selectors import policy_rules
from tests.conftest import in_branch

from .helpers import add_employee, file_month, idn, make_client

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def firm(staff):
    """A client with one person insured since June; June, July and August filed."""
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
        add_employee(client, 1, "20000", "2025-06-01", actor=staff)
        for period in ("2025-06", "2025-07", "2025-08"):
            file_month(staff, period)
        return client


def _back_paid(emp, period):
    return sorted(set(ContributionLine.objects.filter(employee=emp, period=period, source="back_pay")
                      .values_list("for_period", flat=True)))


def _lines(emp, period):
    return {(l.for_period, l.kind): l for l in ContributionLine.objects.filter(employee=emp, period=period)}


def test_engine_back_paid_months():
    filed = {"2025-06", "2025-07", "2025-08"}
    assert engine.filed_in_span("2025-07", None, filed) == ["2025-07", "2025-08"]
    assert engine.filed_in_span("2025-07", "2025-07", filed) == ["2025-07"]
    assert engine.first_open_after("2025-06", filed) == "2025-09"
    # Three months before September at most: June to August; May is past the limit.
    assert engine.back_paid_months(["2025-05", "2025-06", "2025-07", "2025-08"], "2025-09", 3) == (
        ["2025-06", "2025-07", "2025-08"], ["2025-05"])
    assert engine.back_paid_months(["2025-08"], "2025-09", 0) == ([], ["2025-08"])


def test_a_late_addition_is_back_paid_and_listed_in_the_next_open_month(staff, firm):
    with in_branch("bj"):
        late = add_employee(firm, 2, "12000.50", "2025-07-15", actor=staff, housing_fund_percent="12")
        august = dict(_lines(late, "2025-08"))
        assert august == {}  # the filed month is never rewritten
        cycle = services.month_compute(actor=staff, period="2025-09")

        lines = _lines(late, "2025-09")
        rules = policy_rules()
        expected = {}
        for month in ("2025-07", "2025-08", "2025-09"):
            contribution = engine.contribution_for(engine.policy_for_month(rules, "beijing", month), D("12000.50"),
                                                   housing_fund_percent=D("12"))
            for a in contribution.items:
                expected[month, a.kind] = (a.base, a.employer, a.employee, a.employer_precise, a.employee_precise)
        got = {key: (l.base, l.employer_amount, l.employee_amount, l.employer_precise, l.employee_precise)
               for key, l in lines.items()}
        assert got == expected
        assert {l.source for (month, _), l in lines.items() if month != "2025-09"} == {"back_pay"}
        assert all(l.corrects_id is None and l.dispute_id is None for l in lines.values())
        policy = CityPolicy.objects.get(city="beijing", effective_from__lte="2025-07-01", effective_to__gte="2025-07-01")
        assert {l.policy_id for (month, _), l in lines.items() if month == "2025-07"} == {policy.pk}
        # Housing fund at 12%, pension 16% / 8% of 12000.50: the arithmetic the engine gives.
        assert (lines["2025-07", "pension"].employer_amount, lines["2025-07", "pension"].employee_amount) == (
            D("1920.08"), D("960.04"))

        changes = list(StaffChange.objects.filter(period="2025-09").values_list("employee_id", "kind", "effective_date"))
        assert [(c[0], c[1], str(c[2])) for c in changes] == [(late.pk, "add", "2025-07-15")]
    # The month's 增减员 says where the 增员 is back-paid from.
    page = WebClient(HTTP_HOST="localhost")
    page.force_login(staff)
    assert "补缴自2025年7月" in page.get("/b/bj/si/?period=2025-09").content.decode()
    with in_branch("bj"):
        statement = FeeStatement.objects.get(period="2025-09", client=firm)
        sep = ContributionLine.objects.filter(period="2025-09", client=firm)
        assert statement.employer_total == sum(l.employer_amount for l in sep)
        assert statement.employee_count == 2
        assert cycle.employer_total == sum(l.employer_amount for l in sep)

        # A recompute changes nothing; filing September and computing October back-pays nothing more.
        before = sorted(ContributionLine.objects.filter(period="2025-09").values_list("id", "computed_at"))
        services.month_compute(actor=staff, period="2025-09")
        assert sorted(ContributionLine.objects.filter(period="2025-09").values_list("id", "computed_at")) == before
        assert StaffChange.objects.filter(period="2025-09", kind="add").count() == 1
        services.month_reconcile(actor=staff, period="2025-09")
        services.month_file(actor=staff, period="2025-09", receipt_no="BJ-2025-09")
        services.month_compute(actor=staff, period="2025-10")
        assert set(ContributionLine.objects.filter(period="2025-10", employee=late).values_list(
            "source", "for_period")) == {("regular", "2025-10")}
        assert not StaffChange.objects.filter(period="2025-10").exists()


def test_a_month_is_not_filed_as_computed_before_a_change_to_the_roster(staff):
    """Someone entered after the month's compute: filing is refused until it is computed again,
    so the person is in the month itself rather than back-paid next month."""
    with in_branch("bj"):
        client = make_client("北京乙公司", staff)
        add_employee(client, 1, "9000", "2025-06-01", actor=staff)
        services.month_compute(actor=staff, period="2025-08")
        services.month_reconcile(actor=staff, period="2025-08")
        missed = add_employee(client, 2, "9000", "2025-08-03", actor=staff)  # accepted: August is open
        with pytest.raises(ValidationError) as exc:
            services.month_file(actor=staff, period="2025-08", receipt_no="BJ-2025-08")
        assert exc.value.message_dict["period"] == ["本月计算后员工档案有变动(增员、减员或调基),请重新计算并核对后再申报。"]
        services.month_compute(actor=staff, period="2025-08")
        services.month_file(actor=staff, period="2025-08", receipt_no="BJ-2025-08")
        assert ContributionLine.objects.filter(period="2025-08", employee=missed, source="regular").count() == 5
        assert StaffChange.objects.filter(period="2025-08", employee=missed, kind="add").exists()


def test_the_back_payment_window_is_not_narrowed_by_another_citys_limit(staff, firm):
    with in_branch("bj"):
        CitySetting.objects.create(city="shanghai", back_payment_months_limit=1)
        late = add_employee(firm, 2, "12000", "2025-06-01", actor=staff)  # Beijing: 3 months (default)
        services.month_compute(actor=staff, period="2025-09")
        assert _back_paid(late, "2025-09") == ["2025-06", "2025-07", "2025-08"]
        assert StaffChange.objects.filter(period="2025-09", employee=late, kind="add").exists()


def test_an_addition_whose_first_month_has_no_policy_is_still_listed(staff, firm):
    with in_branch("bj"):
        late = add_employee(firm, 2, "12000", "2025-06-01", city="guangzhou", actor=staff)  # policy from July
        services.month_compute(actor=staff, period="2025-09")
        assert _back_paid(late, "2025-09") == ["2025-07", "2025-08"]
        assert StaffChange.objects.filter(period="2025-09", employee=late, kind="add").exists()


def test_a_stint_inside_filed_months_is_added_and_removed_in_the_next_month(staff, firm):
    with in_branch("bj"):
        late = add_employee(firm, 2, "12000", "2025-06-01", "2025-08-20", actor=staff)  # insured June, July
        services.month_compute(actor=staff, period="2025-09")
        assert _back_paid(late, "2025-09") == ["2025-06", "2025-07"]
        assert sorted(StaffChange.objects.filter(employee=late).values_list("period", "kind")) == [
            ("2025-09", "add"), ("2025-09", "remove")]
        file_month(staff, "2025-09")
        services.month_compute(actor=staff, period="2025-10")
        assert StaffChange.objects.filter(employee=late).count() == 2


def test_someone_entered_late_who_then_left_is_removed(staff, firm):
    with in_branch("bj"):
        late = add_employee(firm, 2, "12000", "2025-07-01", actor=staff)
        file_month(staff, "2025-09")  # July and August back-paid, September regular
        services.employee_end(actor=staff, employee_id=late.pk, end_date="2025-08-10")  # 减员 belongs to August
        services.month_compute(actor=staff, period="2025-10")
        assert sorted(StaffChange.objects.filter(employee=late).values_list("period", "kind")) == [
            ("2025-09", "add"), ("2025-10", "remove")]


def test_a_back_paid_month_is_disputed_once_the_month_carrying_it_is_filed(staff, firm):
    with in_branch("bj"):
        late = add_employee(firm, 2, "12000", "2025-07-01", actor=staff)
        services.month_compute(actor=staff, period="2025-09")
        with pytest.raises(ValidationError) as exc:
            services.dispute_raise(actor=staff, employee_id=late.pk, period="2025-07", claimed_wage="15000",
                                   reason="漏报")
        assert exc.value.message_dict["period"] == [
            "该员工2025年7月的费用在2025年9月补缴,2025年9月申报后可对该月提出基数争议。"]
        services.month_reconcile(actor=staff, period="2025-09")
        services.month_file(actor=staff, period="2025-09", receipt_no="BJ-2025-09")
        d = services.dispute_raise(actor=staff, employee_id=late.pk, period="2025-07", claimed_wage="15000",
                                   reason="漏报")
        services.dispute_resolve(actor=staff, dispute_id=d.pk, corrected_wage="15000")
        fixes = {l.kind: l for l in ContributionLine.objects.filter(period="2025-10", employee=late)}
        charged = {l.kind: l for l in ContributionLine.objects.filter(period="2025-09", for_period="2025-07",
                                                                     employee=late)}
        assert fixes["pension"].corrects_id == charged["pension"].pk
        assert fixes["pension"].employer_amount == D("480.00")  # 16% of the 3,000.00 more


def test_a_start_past_the_citys_back_payment_limit_is_refused_and_one_within_it_is_back_paid(api, staff, firm):
    from django.utils import translation

    with in_branch("bj"):
        CitySetting.objects.create(city="beijing", back_payment_months_limit=2)
    body = {"client": firm.pk, "name": "李四", "id_number": idn(7), "insured_city": "beijing", "wage": "9000",
            "start_date": "2025-05-20"}
    resp = api(staff).post("/b/bj/api/v1/si/employees/", body, format="json")
    assert resp.status_code == 400  # June would be billed with nobody to back-pay it: refused, nothing written
    assert resp.json() == {"start_date": ["参保开始日期 2025年5月20日 过早:增员在2025年9月办理,北京最多补缴 2 个月,"
                                          "最早从2025年7月起参保(开始日期不早于 2025年7月1日)。请核对日期。"]}
    resp = api(staff).post("/b/bj/api/v1/si/employees/", {**body, "start_date": "2025-07-20"}, format="json")
    assert resp.status_code == 201, resp.content
    with in_branch("bj"):
        late = InsuredEmployee.objects.get(pk=resp.json()["id"])
        assert services.late_start_notice(late) == "2025年7月至2025年8月已申报,将在2025年9月补缴。"
        with translation.override("en"):
            assert services.late_start_notice(late) == (
                "July 2025 to August 2025 filed already: back-paid in September 2025.")
        services.month_compute(actor=staff, period="2025-09")
        assert _back_paid(late, "2025-09") == ["2025-07", "2025-08"]
        assert StaffChange.objects.filter(period="2025-09", employee=late, kind="add").count() == 1
        file_month(staff, "2025-09")
        services.month_compute(actor=staff, period="2025-10")  # back-paid once, the 增员 not listed again
        assert _back_paid(late, "2025-10") == [] and not StaffChange.objects.filter(period="2025-10").exists()

        CitySetting.objects.filter(city="beijing").update(back_payment_months_limit=0)
        none = add_employee(firm, 9, "9000", "2025-10-20", actor=staff)  # October: open, nothing to back-pay
        assert services.late_start_notice(none) is None


def test_a_start_in_a_filed_month_is_explained_on_the_page(staff, firm):
    page = WebClient()
    page.force_login(staff)
    resp = page.post("/b/bj/si/employees/new/", {
        "client": str(firm.pk), "name": "王五", "id_number": idn(31), "insured_city": "beijing", "wage": "9000",
        "start_date": "2025-08-01"}, follow=True)
    assert "2025年8月已申报,将在2025年9月补缴。" in resp.content.decode()


def test_an_import_of_people_who_started_in_filed_months_is_back_paid_within_the_limit(api, staff, firm):
    with in_branch("bj"):
        CitySetting.objects.create(city="beijing", back_payment_months_limit=1)
    head = "客户编号,姓名,身份证号,参保地,工资,参保开始\n"
    rows = [f"{firm.pk},李四,{idn(11)},北京,9000,2025-08-01", f"{firm.pk},王五,{idn(12)},北京,9000,2025-07-31"]
    upload = io.BytesIO((head + "\n".join(rows) + "\n").encode("utf-8-sig"))
    upload.name = "staff.csv"
    resp = api(staff).post("/b/bj/api/v1/si/employees/import/", {"file": upload}, format="multipart")
    assert resp.status_code == 400  # July is past the one month allowed: the file is refused, nothing written
    assert [(e["row"], e["field"]) for e in resp.json()["errors"]] == [(3, "start_date")], resp.content
    with in_branch("bj"):
        assert not InsuredEmployee.objects.filter(name__in=("李四", "王五")).exists()
    upload = io.BytesIO((head + rows[0] + "\n").encode("utf-8-sig"))
    upload.name = "staff.csv"
    assert api(staff).post("/b/bj/api/v1/si/employees/import/", {"file": upload}, format="multipart").status_code == 201
    with in_branch("bj"):
        services.month_compute(actor=staff, period="2025-09")
        person = InsuredEmployee.objects.get(name="李四")
        assert _back_paid(person, "2025-09") == ["2025-08"]
        assert StaffChange.objects.filter(period="2025-09", employee=person, kind="add").exists()


def test_a_leaving_recorded_after_its_month_was_filed_is_listed_next_month_without_refund(staff, firm):
    with in_branch("bj"):
        stayer = InsuredEmployee.objects.get(client=firm)
        leaver = add_employee(firm, 3, "9000", "2025-08-01", actor=staff)
        services.month_compute(actor=staff, period="2025-09")  # August back-paid, 增员 listed
        services.month_reconcile(actor=staff, period="2025-09")
        services.month_file(actor=staff, period="2025-09", receipt_no="BJ-2025-09")
        filed = sorted(ContributionLine.objects.filter(employee=stayer).values_list("period", "kind", "employer_amount"))
        # In October HR learns that the first person left on 10 July (Beijing: insured up to
        # June, so July's 增减员 should have listed it) and the second on 5 September.
        services.employee_end(actor=staff, employee_id=stayer.pk, end_date="2025-07-10")
        services.employee_end(actor=staff, employee_id=leaver.pk, end_date="2025-09-05")
        services.month_compute(actor=staff, period="2025-10")

        removals = sorted(StaffChange.objects.filter(period="2025-10").values_list("employee_id", "kind", "effective_date"))
        assert [(e, k, str(d)) for e, k, d in removals] == [(stayer.pk, "remove", "2025-07-10"),
                                                            (leaver.pk, "remove", "2025-09-05")]
        assert not ContributionLine.objects.filter(period="2025-10").exists()
        # No refund: the filed months keep what was charged.
        assert sorted(ContributionLine.objects.filter(employee=stayer).values_list(
            "period", "kind", "employer_amount")) == filed
        services.month_compute(actor=staff, period="2025-10")
        assert StaffChange.objects.filter(period="2025-10").count() == 2
        services.month_reconcile(actor=staff, period="2025-10")
        services.month_file(actor=staff, period="2025-10", receipt_no="BJ-2025-10")
        services.month_compute(actor=staff, period="2025-11")
        assert not StaffChange.objects.filter(period="2025-11").exists()
    page = WebClient(HTTP_HOST="localhost")
    page.force_login(staff)
    html = page.get("/b/bj/si/?period=2025-10").content.decode()
    assert html.count("补报,已申报月份不退费") == 2


def test_the_board_marks_the_month_back_paid_from_by_the_citys_cut_off(staff, firm):
    with in_branch("bj"):
        CitySetting.objects.create(city="beijing", add_cutoff_day=15)
        late = add_employee(firm, 2, "12000", "2025-07-20", actor=staff)  # after the 15th: insured from August
        on_time = add_employee(firm, 3, "12000", "2025-09-20", actor=staff)  # insured from October
        services.month_compute(actor=staff, period="2025-09")
        assert _back_paid(late, "2025-09") == ["2025-08"]
        file_month(staff, "2025-09")
        services.month_compute(actor=staff, period="2025-10")
        assert StaffChange.objects.filter(period="2025-10", employee=on_time, kind="add").exists()
    page = WebClient(HTTP_HOST="localhost")
    page.force_login(staff)
    assert "补缴自2025年8月" in page.get("/b/bj/si/?period=2025-09").content.decode()
    assert "补缴自" not in page.get("/b/bj/si/?period=2025-10").content.decode()


def test_a_past_stint_beyond_the_limit_is_refused(staff, firm):
    with in_branch("bj"):
        CitySetting.objects.create(city="beijing", back_payment_months_limit=1)
        with pytest.raises(ValidationError) as exc:
            add_employee(firm, 5, "9000", "2025-06-01", "2025-07-20", actor=staff)  # insured June only
        assert list(exc.value.message_dict) == ["start_date"]
        assert not InsuredEmployee.objects.filter(name="员工5").exists()


def test_a_new_policy_year_trues_up_back_paid_months_as_it_does_regular_ones(staff, hq_admin):
    from social_insurance.policies import services as policy_services

    from .test_policy_publish import publish

    v2026 = CityPolicy.objects.get(city="beijing", year_label="2026年度")
    policy_services.policy_extend(actor=hq_admin, policy_id=v2026.pk, effective_to=None)
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
        on_time = add_employee(client, 1, "50000", "2027-01-01", actor=staff)
        for period in ("2027-07", "2027-08"):
            file_month(staff, period)
        late = add_employee(client, 2, "50000", "2027-07-01", actor=staff)
        file_month(staff, "2027-09")  # July and August back-paid under 2026年度
    new = publish(hq_admin)
    with in_branch("bj"):
        services.policy_true_up(actor=hq_admin, policy_id=new.pk)

        def true_ups(emp):
            return {(l.for_period, l.kind): (l.employer_amount, l.employee_amount)
                    for l in ContributionLine.objects.filter(employee=emp, source="true_up")}

        assert set(true_ups(late)) == set(true_ups(on_time)) and {m for m, _ in true_ups(late)} == {
            "2027-07", "2027-08", "2027-09"}
        assert true_ups(late) == true_ups(on_time)  # same wage, same months: the same differences


def test_a_base_change_counts_from_the_open_month_not_back_into_back_paid_ones(api, staff, firm):
    with in_branch("bj"):
        late = add_employee(firm, 2, "12000", "2025-07-15", actor=staff)
        services.month_compute(actor=staff, period="2025-09")
        back_paid = {(l.for_period, l.kind): l.employer_amount for l in ContributionLine.objects.filter(
            period="2025-09", employee=late, source="back_pay")}
    resp = api(staff).post(f"/b/bj/api/v1/si/employees/{late.pk}/base/", {"wage": "15000"}, format="json")
    assert resp.status_code == 200
    with in_branch("bj"):
        services.month_compute(actor=staff, period="2025-09")
        assert {(l.for_period, l.kind): l.employer_amount for l in ContributionLine.objects.filter(
            period="2025-09", employee=late, source="back_pay")} == back_paid
        sep = ContributionLine.objects.get(period="2025-09", employee=late, kind="pension", source="regular")
        assert sep.wage == D("15000.00") and sep.employer_amount == D("2400.00")


def test_a_change_to_someone_insured_only_later_does_not_hold_up_filing(staff):
    with in_branch("bj"):
        client = make_client("北京丙公司", staff)
        add_employee(client, 1, "9000", "2025-06-01", actor=staff)
        services.month_compute(actor=staff, period="2025-08")
        services.month_reconcile(actor=staff, period="2025-08")
        add_employee(client, 2, "9000", "2025-09-01", actor=staff)  # insured from September
        services.month_file(actor=staff, period="2025-08", receipt_no="BJ-2025-08")


def test_a_start_long_before_the_filed_months_is_refused_and_the_earliest_allowed_is_listed_once(staff, firm):
    with in_branch("bj"):
        with pytest.raises(ValidationError) as exc:
            add_employee(firm, 21, "9000", "2024-01-01", actor=staff)  # before the window and the limit
        assert "最早从2025年6月起参保(开始日期不早于 2025年6月1日)" in exc.value.message_dict["start_date"][0]
        old = add_employee(firm, 21, "9000", "2025-06-01", actor=staff)
        services.month_compute(actor=staff, period="2025-09")
        assert _back_paid(old, "2025-09") == ["2025-06", "2025-07", "2025-08"]
        assert StaffChange.objects.filter(employee=old).count() == 1

def test_only_a_change_the_month_shows_holds_up_its_filing(api, staff):
    with in_branch("bj"):
        client = make_client("北京丁公司", staff)
        stays = add_employee(client, 1, "9000", "2025-06-01", actor=staff)
        services.month_compute(actor=staff, period="2025-08")
        services.month_reconcile(actor=staff, period="2025-08")
        # Leaving on 10 September (Beijing: insured to August): August shows no change.
        services.employee_end(actor=staff, employee_id=stays.pk, end_date="2025-09-10")
        services.month_file(actor=staff, period="2025-08", receipt_no="BJ-2025-08")

        other = make_client("北京戊公司", staff)
        rebased = add_employee(other, 2, "9000", "2025-08-01", actor=staff)
        services.month_compute(actor=staff, period="2025-09")
        services.month_reconcile(actor=staff, period="2025-09")
    assert api(staff).post(f"/b/bj/api/v1/si/employees/{rebased.pk}/base/", {"wage": "9500"},
                           format="json").status_code == 200
    with in_branch("bj"):
        with pytest.raises(ValidationError):  # September shows the wage
            services.month_file(actor=staff, period="2025-09", receipt_no="BJ-2025-09")


def test_the_earliest_open_month_carries_a_late_addition_whichever_is_computed_first(staff, firm):
    with in_branch("bj"):
        late = add_employee(firm, 40, "12000", "2025-07-01", actor=staff)
        services.month_compute(actor=staff, period="2025-10")  # October first: September carries them
        assert _back_paid(late, "2025-10") == [] and not StaffChange.objects.filter(employee=late).exists()
        services.month_compute(actor=staff, period="2025-09")
        assert _back_paid(late, "2025-09") == ["2025-07", "2025-08"]
        assert list(StaffChange.objects.filter(employee=late).values_list("period", "kind")) == [("2025-09", "add")]
        services.month_compute(actor=staff, period="2025-10")
        assert _back_paid(late, "2025-10") == [] and StaffChange.objects.filter(employee=late).count() == 1


def test_filing_waits_for_a_recompute_that_would_back_pay_someone_entered_since(staff, firm):
    with in_branch("bj"):
        services.month_compute(actor=staff, period="2025-09")
        services.month_reconcile(actor=staff, period="2025-09")
        add_employee(firm, 41, "9000", "2025-07-01", "2025-08-10", actor=staff)  # insured July only
        with pytest.raises(ValidationError):
            services.month_file(actor=staff, period="2025-09", receipt_no="BJ-2025-09")


def test_an_addition_past_a_limit_lowered_since_its_entry_is_dated_from_the_first_month_back_paid(staff, firm):
    with in_branch("bj"):
        late = add_employee(firm, 42, "9000", "2025-06-15", actor=staff)  # within the 3 months allowed then
        CitySetting.objects.create(city="beijing", back_payment_months_limit=1)
        services.month_compute(actor=staff, period="2025-09")
        assert _back_paid(late, "2025-09") == ["2025-08"]
        assert str(StaffChange.objects.get(employee=late).effective_date) == "2025-08-01"


def test_leaving_someone_charged_as_usual_says_nothing_of_back_pay(staff, firm):
    page = WebClient()
    page.force_login(staff)
    with in_branch("bj"):
        person = InsuredEmployee.objects.get(client=firm)
        assert services.late_start_notice(person) is None  # June to August charged as filed
    html = page.post(f"/b/bj/si/employees/{person.pk}/remove/", {"end_date": "2025-08-10"}, follow=True).content.decode()
    assert "补缴" not in html and "减员列入下一个未申报月份" in html


def test_months_are_filed_in_order(staff):
    """December was filed while November, computed with people in it, still waited (the review of
    2026-12-05): its 增减员 and lines would have landed behind a month already filed."""
    with in_branch("bj"):
        client = make_client("北京丁公司", staff)
        add_employee(client, 1, "9000", "2025-06-01", actor=staff)
        services.month_compute(actor=staff, period="2025-08")  # computed, never filed
        services.month_compute(actor=staff, period="2025-09")
        services.month_reconcile(actor=staff, period="2025-09")
        with pytest.raises(ValidationError) as exc:
            services.month_file(actor=staff, period="2025-09", receipt_no="BJ-2025-09")
        assert exc.value.message_dict["period"] == ["2025年8月 尚未申报:请按月份顺序申报,先申报 2025年8月。"]
        assert services.MonthCycle.objects.get(period="2025-09").status == "reconciled"
        services.month_reconcile(actor=staff, period="2025-08")
        services.month_file(actor=staff, period="2025-08", receipt_no="BJ-2025-08")
        assert services.month_file(actor=staff, period="2025-09", receipt_no="BJ-2025-09").status == "filed"


def test_the_workbench_counts_the_months_insured_people_as_the_board_does(staff):
    """Someone who started and left on 1 August is not insured in August in Beijing (a 减员 in
    the month ends the month before); the workbench counted 29 where the board said 28."""
    import datetime as dt

    from branches.models import Branch
    from branches.workbench import branch_workbench

    with in_branch("bj"):
        client = make_client("北京戊公司", staff)
        add_employee(client, 1, "9000", "2025-06-01", actor=staff)
        add_employee(client, 2, "9000", "2025-08-01", end="2025-08-01", actor=staff)
        branch = Branch.objects.get(code="bj")
        today = dt.date(2025, 8, 15)

        def figure():
            wb = branch_workbench(staff, branch, {"branch_staff"}, today=today)
            return next((f.label, f.value) for f in wb.figures if f.key == "insured")

        assert figure() == ("在册参保人员(本月未计算)", "1")
        services.month_compute(actor=staff, period="2025-08")
        assert figure() == ("本月参保人数", "1") and services.MonthCycle.objects.get(period="2025-08").employee_count == 1


def test_a_leaving_dated_before_the_first_filed_month_is_listed_and_said_so(staff):
    """Going live with October: someone who left in September (never filed here) was charged in
    October and November; the 减员 recorded in December was listed in no month, and the form said
    "计入 2025年9月" (the review of 2026-12-05)."""
    with in_branch("bj"):
        client = make_client("北京己公司", staff)
        stayer = add_employee(client, 1, "9000", "2025-06-01", actor=staff)
        leaver = add_employee(client, 2, "9000", "2025-06-01", actor=staff)
        for period in ("2025-10", "2025-11"):
            file_month(staff, period)
        services.employee_end(actor=staff, employee_id=leaver.pk, end_date="2025-09-20")
        services.month_compute(actor=staff, period="2025-12")
        assert list(StaffChange.objects.filter(period="2025-12", kind="remove").values_list("employee_id", flat=True)) == [
            leaver.pk]
        assert not ContributionLine.objects.filter(period="2025-12", employee=leaver).exists()
        assert ContributionLine.objects.filter(period="2025-12", employee=stayer).exists()
        # A month before a filed one is not computed again.
        with pytest.raises(ValidationError) as exc:
            services.month_compute(actor=staff, period="2025-09")
        assert exc.value.message_dict["period"] == [
            "2025年9月 早于已申报的 2025年11月:不能再计算或申报;人员变动请在下一个未申报月份补报。"]
    page = WebClient(HTTP_HOST="localhost")
    page.force_login(staff)
    said = page.get(f"/b/bj/si/employees/lands-in/?employee={stayer.pk}&end_date=2025-09-20").content.decode()
    assert "缴费至 2025年11月,计入 2025年12月 减员名单" in said and "2025年11月 已申报" in said


def test_a_persons_page_keeps_the_month_that_listed_their_change_once_later_months_are_filed(staff, firm):
    """After filing, everyone's 增员月份 read as the next open month (2024 starters shown as
    2026年12月): the month a list already carries a change in is that month."""
    with in_branch("bj"):
        stayer = InsuredEmployee.objects.get(client=firm)
    page = WebClient(HTTP_HOST="localhost")
    page.force_login(staff)
    html = page.get(f"/b/bj/si/employees/{stayer.pk}/").content.decode()
    assert 'data-testid="add-month">2025年6月</dd>' in html
