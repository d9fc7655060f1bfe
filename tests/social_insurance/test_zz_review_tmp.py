"""Scratch review tests for the late 增减员 change (not part of the project)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client as WebClient

from social_insurance import engine, services
from social_insurance.models import ContributionLine, FeeStatement, InsuredEmployee, MonthCycle, StaffChange
from social_insurance.policies.models import CityPolicy, CitySetting
from social_insurance.policies.selectors import policy_rules
from tests.conftest import in_branch

from .helpers import add_employee, file_month, idn, make_client

pytestmark = pytest.mark.django_db
D = Decimal


def _file3(staff, client):
    add_employee(client, 1, "20000", "2025-06-01", actor=staff)
    for period in ("2025-06", "2025-07", "2025-08"):
        file_month(staff, period)


def changes(period):
    return sorted((e, k, str(d)) for e, k, d in StaffChange.objects.filter(period=period).values_list(
        "employee_id", "kind", "effective_date"))


def backpaid(emp, period):
    return sorted(set(ContributionLine.objects.filter(employee=emp, period=period, source="back_pay")
                      .values_list("for_period", flat=True)))


def test_A_window_uses_max_of_configured_rows_not_default(staff):
    """Another city configured with a smaller limit shrinks the window for default cities."""
    with in_branch("bj"):
        client = make_client("甲", staff)
        _file3(staff, client)
        CitySetting.objects.create(city="shanghai", back_payment_months_limit=1)
        late = add_employee(client, 2, "12000", "2025-06-01", actor=staff)  # accepted: beijing default 3
        services.month_compute(actor=staff, period="2025-09")
        print("A backpaid", backpaid(late, "2025-09"), "changes", changes("2025-09"))
        assert backpaid(late, "2025-09") == ["2025-06", "2025-07", "2025-08"]
        assert (late.pk, "add", "2025-06-01") in changes("2025-09")


def test_B_whole_stint_inside_filed_months_never_removed(staff):
    with in_branch("bj"):
        client = make_client("甲", staff)
        _file3(staff, client)
        late = add_employee(client, 2, "12000", "2025-06-01", "2025-08-20", actor=staff)  # insured Jun-Jul
        cyc = services.month_compute(actor=staff, period="2025-09")
        print("B backpaid", backpaid(late, "2025-09"), "changes", changes("2025-09"))
        st = FeeStatement.objects.get(period="2025-09", client=client)
        print("B stmt count", st.employee_count, "cycle count", cyc.employee_count)
        services.month_reconcile(actor=staff, period="2025-09")
        services.month_file(actor=staff, period="2025-09", receipt_no="x9")
        services.month_compute(actor=staff, period="2025-10")
        all_changes = list(StaffChange.objects.filter(employee=late).values_list("period", "kind"))
        print("B all changes of late", all_changes)
        assert ("2025-09", "add") in all_changes
        assert any(k == "remove" for _, k in all_changes), "增员 listed but 减员 never listed"


def test_C_late_added_then_late_end_never_removed(staff):
    with in_branch("bj"):
        client = make_client("甲", staff)
        _file3(staff, client)
        late = add_employee(client, 2, "12000", "2025-07-01", actor=staff)
        file_month(staff, "2025-09")  # back-pays Jul, Aug; regular Sep
        print("C sep lines", sorted(set(ContributionLine.objects.filter(employee=late).values_list("period", "for_period", "source"))))
        services.employee_end(actor=staff, employee_id=late.pk, end_date="2025-08-10")  # removal month Aug (filed)
        services.month_compute(actor=staff, period="2025-10")
        all_changes = list(StaffChange.objects.filter(employee=late).values_list("period", "kind"))
        print("C all changes", all_changes)
        assert any(k == "remove" for _, k in all_changes)


def test_D_first_month_without_policy_loses_addition(staff):
    with in_branch("bj"):
        client = make_client("甲", staff)
        _file3(staff, client)
        late = add_employee(client, 2, "12000", "2025-06-01", city="guangzhou", actor=staff)  # gz: policy from Jul
        services.month_compute(actor=staff, period="2025-09")
        print("D backpaid", backpaid(late, "2025-09"), "changes", changes("2025-09"))
        all_changes = list(StaffChange.objects.filter(employee=late).values_list("period", "kind"))
        assert ("2025-09", "add") in all_changes


def test_E_board_marks_cutoff_addition_as_back_paid(staff):
    with in_branch("bj"):
        CitySetting.objects.create(city="beijing", add_cutoff_day=15)
        client = make_client("甲", staff)
        p = add_employee(client, 2, "12000", "2025-08-20", actor=staff)  # insured from September (after cut-off)
        services.month_compute(actor=staff, period="2025-09")
        print("E lines", list(ContributionLine.objects.filter(employee=p).values_list("period", "source", "for_period")))
        print("E changes", changes("2025-09"))
    page = WebClient(HTTP_HOST="localhost")
    page.force_login(staff)
    html = page.get("/b/bj/si/?period=2025-09").content.decode()
    print("E marked", "补缴自" in html)
    assert "补缴自" not in html


def test_F_two_months_computed_before_entry_then_filed(staff):
    with in_branch("bj"):
        client = make_client("甲", staff)
        _file3(staff, client)
        for p in ("2025-09", "2025-10"):
            services.month_compute(actor=staff, period=p)
            services.month_reconcile(actor=staff, period=p)
        late = add_employee(client, 2, "12000", "2025-06-01", actor=staff)  # accepted (Sep open)
        for p in ("2025-09", "2025-10"):
            services.month_file(actor=staff, period=p, receipt_no=p)
        services.month_compute(actor=staff, period="2025-11")
        print("F backpaid", backpaid(late, "2025-11"), "changes", changes("2025-11"))
        all_changes = list(StaffChange.objects.filter(employee=late).values_list("period", "kind"))
        assert any(k == "add" for _, k in all_changes), "增员 never listed"
        assert "2025-06" in backpaid(late, "2025-11")


def test_G_dispute_on_back_paid_month(staff):
    with in_branch("bj"):
        client = make_client("甲", staff)
        _file3(staff, client)
        late = add_employee(client, 2, "12000", "2025-07-01", actor=staff)
        file_month(staff, "2025-09")
        try:
            services.dispute_raise(actor=staff, employee_id=late.pk, period="2025-07", claimed_wage="15000",
                                   reason="漏报")
            print("G dispute raised ok")
        except Exception as exc:
            print("G dispute refused", exc)
            raise


def test_H_money_matches_engine_with_injury_and_hf(staff):
    with in_branch("bj"):
        client = make_client("甲", staff)
        _file3(staff, client)
        late = add_employee(client, 2, "40000", "2025-06-01", actor=staff, injury_rate="1.00",
                            housing_fund_percent="7")
        cyc = services.month_compute(actor=staff, period="2025-09")
        rules = policy_rules()
        for month in ("2025-06", "2025-07", "2025-08"):
            c = engine.contribution_for(engine.policy_for_month(rules, "beijing", month), D("40000"),
                                        housing_fund_percent=D("7"), injury=D("1.00"))
            got = {l.kind: (l.base, l.employer_amount, l.employee_amount, l.employer_percent, l.employee_percent)
                   for l in ContributionLine.objects.filter(employee=late, period="2025-09", for_period=month)}
            exp = {a.kind: (a.base, a.employer, a.employee, a.employer_percent, a.employee_percent) for a in c.items}
            assert got == exp, month
        sep = ContributionLine.objects.filter(period="2025-09")
        assert cyc.employer_total == sum(l.employer_amount for l in sep)
        assert cyc.employee_total == sum(l.employee_amount for l in sep)
        assert cyc.employee_count == 2
        st = FeeStatement.objects.get(period="2025-09", client=client)
        assert st.employee_count == 2 and st.employer_total == cyc.employer_total


def test_I_limit_zero_between_compute_and_filing(staff):
    with in_branch("bj"):
        CitySetting.objects.create(city="beijing", back_payment_months_limit=0)
        client = make_client("甲", staff)
        add_employee(client, 1, "9000", "2025-06-01", actor=staff)
        services.month_compute(actor=staff, period="2025-08")
        services.month_reconcile(actor=staff, period="2025-08")
        missed = add_employee(client, 2, "9000", "2025-08-03", actor=staff)
        services.month_file(actor=staff, period="2025-08", receipt_no="x")
        services.month_compute(actor=staff, period="2025-09")
        print("I backpaid with limit 0:", backpaid(missed, "2025-09"))


def test_J_recompute_after_late_end_deletes_and_stable(staff):
    with in_branch("bj"):
        client = make_client("甲", staff)
        _file3(staff, client)
        late = add_employee(client, 2, "12000", "2025-06-01", actor=staff)
        services.month_compute(actor=staff, period="2025-09")
        services.month_compute(actor=staff, period="2025-10")  # Sep still open
        print("J oct backpaid", backpaid(late, "2025-10"), changes("2025-10"))
        assert backpaid(late, "2025-10") == []
        services.employee_end(actor=staff, employee_id=late.pk, end_date="2025-07-20")  # insured Jun only
        services.month_compute(actor=staff, period="2025-09")
        print("J sep backpaid after end", backpaid(late, "2025-09"), changes("2025-09"))
        services.month_compute(actor=staff, period="2025-10")
        print("J oct after end", backpaid(late, "2025-10"), changes("2025-10"))
