"""滞纳金: a client's late payment makes its contributions late; 0.05% a day (社会保险法 §86),
posted on the client's next open fee statement, explained, idempotent."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from social_insurance import engine, late_fees, services
from social_insurance.models import ClientMoneyPolicy, FeeStatement, FeeStatementCharge
from tests.conftest import in_branch

from .helpers import add_employee, make_client

D = Decimal
AUG, SEP, OCT = "2025-08", "2025-09", "2025-10"


# --- engine: hand-checked cases ---------------------------------------------------------------
@pytest.mark.parametrize("contributions, payments, fee, days", [
    # The example: 12,345.67 × 0.05% × 12 = 74.07402 → 74.07.
    ("12345.67", [("2025-09-06", "12345.67")], "74.07", [12]),
    # On the deadline or before: nothing.
    ("12345.67", [("2025-08-25", "12345.67")], "0.00", []),
    # The day after: one day. 10,000 × 0.0005 × 1 = 5.00.
    ("10000.00", [("2025-08-26", "10000.00")], "5.00", [1]),
    # Part on time, the rest 20 days late: only the rest. 4,000 × 0.0005 × 20 = 40.00.
    ("10000.00", [("2025-08-20", "6000.00"), ("2025-09-14", "4000.00")], "40.00", [20]),
    # Two late payments: 3,000 × 0.0005 × 6 = 9.00; 2,000.01 × 0.0005 × 36 = 36.00018 → 36.00.
    ("5000.01", [("2025-09-30", "2000.01"), ("2025-08-31", "3000.00")], "45.00", [6, 36]),
    # Money beyond the contributions (the service fee) earns no late fee. 1,000 × 0.0005 × 5 = 2.50.
    ("1000.00", [("2025-08-30", "1030.00")], "2.50", [5]),
    # Half a fen rounds up: 333.33 × 0.0005 × 3 = 0.499995 → 0.50.
    ("333.33", [("2025-08-28", "333.33")], "0.50", [3]),
])
def test_late_fee_for_is_point_zero_five_percent_a_day_of_what_arrived_late(contributions, payments, fee, days):
    result = engine.late_fee_for(period=AUG, contributions=D(contributions), deadline=dt.date(2025, 8, 25),
                                 payments=[(dt.date.fromisoformat(d), D(a)) for d, a in payments])
    assert result.total == D(fee)
    assert [p.days for p in result.parts] == days


def test_late_fee_explanation_states_the_arithmetic():
    fee = engine.late_fee_for(period=AUG, contributions=D("12345.67"), deadline=dt.date(2025, 8, 25),
                              payments=[(dt.date(2025, 9, 6), D("12345.67"))])
    assert fee.explanation == ("2025年8月社保费逾期缴纳(住房公积金不计;法定截止 2025年8月25日):"
                               "单位及个人缴费 12,345.67 元 × 0.05% × 12 天(2025年8月26日至2025年9月6日)= 74.07 元")
    many = engine.late_fee_for(period=AUG, contributions=D("100000.00"), deadline=dt.date(2025, 8, 25),
                               payments=[(dt.date(2025, 9, 1) + dt.timedelta(days=i), D("1000.00")) for i in range(20)])
    assert len(many.explanation) <= 300 and "合计" in many.explanation and len(many.parts) == 20


def test_late_fee_words_in_english_with_several_payments_and_a_part_billed_before():
    from django.utils import translation

    from social_insurance.display import charge_words

    two = engine.late_fee_for(period=AUG, contributions=D("3000.00"), deadline=dt.date(2025, 8, 25),
                              payments=[(dt.date(2025, 8, 26), D("1000.00")), (dt.date(2025, 9, 4), D("2000.00"))])
    args = {**two.args, "billed": "0.50", "wanted": f"{two.total - D('0.50'):.2f}"}
    with translation.override("en"):
        assert charge_words("late_fee", args) == (
            "Social insurance for August 2025 paid late (housing fund excluded; statutory deadline Aug. 25, 2025): "
            "contributions 1,000.00 yuan × 0.05% × 1 day (Aug. 26, 2025 to Aug. 26, 2025) = 0.50 yuan; "
            "contributions 2,000.00 yuan × 0.05% × 10 days (Aug. 26, 2025 to Sept. 4, 2025) = 10.00 yuan; "
            "total 10.50 yuan; 0.50 yuan billed before, 10.00 yuan billed now")
        many = engine.late_fee_for(period=AUG, contributions=D("100000.00"), deadline=dt.date(2025, 8, 25),
                                   payments=[(dt.date(2025, 9, 1) + dt.timedelta(days=i), D("1000.00"))
                                             for i in range(20)])
        assert charge_words("late_fee", many.args, max_length=300).endswith(
            "20 late payments of contributions × 0.05% × days late, total 165.00 yuan")
    assert many.explanation.endswith("20 笔逾期到账的单位及个人缴费 × 0.05% × 逾期天数,合计 165.00 元")


def test_a_partly_billed_fee_stored_as_before_is_recognised_as_the_same():
    """Before charges kept their values, a fee with a part billed on a filed statement was
    stored as its sentence cut at 220 characters plus the billed part: the same fee."""
    from social_insurance.display import earlier_stored_words

    fee = engine.late_fee_for(period=AUG, contributions=D("30000.00"), deadline=dt.date(2025, 8, 25),
                              payments=[(dt.date(2025, 9, d), D("10000.00")) for d in (1, 5, 9)])
    args = {**fee.args, "billed": "35.00", "wanted": f"{fee.total - D('35.00'):.2f}"}
    before = f"{fee.explanation[:220]};已计收 35.00 元,本次补收 {fee.total - D('35.00'):,.2f} 元"
    assert len(fee.explanation) > 220 and earlier_stored_words("late_fee", args) == before
    assert earlier_stored_words("late_fee", fee.args) is None and earlier_stored_words("service_fee", args) is None


@pytest.mark.parametrize("today, bucket", [
    ("2025-08-15", "not_due"), ("2025-08-16", "d1_30"), ("2025-09-14", "d1_30"), ("2025-09-15", "d31_60"),
    ("2025-10-14", "d31_60"), ("2025-10-15", "d61_90"), ("2025-11-13", "d61_90"), ("2025-11-14", "over_90"),
])
def test_aging_buckets_count_days_after_the_due_day(today, bucket):
    assert engine.aging_bucket(dt.date(2025, 8, 15), dt.date.fromisoformat(today)) == bucket


# --- posting on the statements ----------------------------------------------------------------
def _file(staff, period):
    services.month_reconcile(actor=staff, period=period)
    services.month_file(actor=staff, period=period, receipt_no=f"R-{period}")


@pytest.fixture
def client_months(staff):
    """A client with one person computed for Aug, Sep and Oct 2025; Aug filed."""
    with in_branch("bj"):
        client = make_client("北京滞纳公司", staff)
        add_employee(client, 1, "10000", "2025-06-10", actor=staff)
        for period in (AUG, SEP, OCT):
            services.month_compute(actor=staff, period=period)
        _file(staff, AUG)
        st = {p: FeeStatement.objects.get(period=p, client=client) for p in (AUG, SEP, OCT)}
        return client, st


def _social_insurance(statement) -> D:
    """The statement's contributions without its housing fund (the person pays some): the late
    fee's base. The housing fund carries no statutory late fee."""
    from social_insurance.models import ContributionLine

    housing_fund = sum((line.employer_amount + line.employee_amount for line in ContributionLine.objects.filter(
        client_id=statement.client_id, period=statement.period, kind="housing_fund")), D("0.00"))
    assert housing_fund > 0
    return statement.total - housing_fund


def _late_lines(client):
    return sorted((c.statement.period, c.service, c.amount, c.explanation)
                  for c in FeeStatementCharge.objects.filter(kind="late_fee", statement__client=client)
                  .select_related("statement"))


@pytest.mark.django_db
def test_a_client_paying_late_gets_the_late_fee_line_and_recompute_twice_gives_the_same_lines(staff, client_months):
    client, st = client_months
    with in_branch("bj"):
        total = st[AUG].total
        services.fee_payment_record(actor=staff, statement_id=st[AUG].pk,
                                    data={"amount": str(total), "paid_on": "2025-09-06"})
        base = _social_insurance(st[AUG])
        expected = engine.late_fee_for(period=AUG, contributions=base, deadline=dt.date(2025, 8, 25),
                                       payments=[(dt.date(2025, 9, 6), total)])
        assert expected.total == (base * D("0.0005") * 12).quantize(D("0.01"))
        assert f"单位及个人缴费 {base:,.2f} 元" in expected.explanation
        lines = _late_lines(client)
        # On September's open statement, never on August's own (filed, and now settled).
        assert lines == [(SEP, AUG, expected.total, expected.explanation)]
        assert "× 0.05% × 12 天" in lines[0][3]
        history = FeeStatementCharge.history.count()

        for _ in range(2):
            run = late_fees.late_fees_post(actor=staff, client_id=client.pk)
            assert (run.written, run.removed, run.pending) == (0, 0, 0)
        late_fees.late_fees_sweep()
        assert _late_lines(client) == lines
        assert FeeStatementCharge.history.count() == history  # nothing rewritten

        # September's compute keeps the line (charges are not contribution lines).
        services.month_compute(actor=staff, period=SEP)
        assert _late_lines(client) == lines


@pytest.mark.django_db
def test_paying_on_time_or_before_the_deadline_costs_nothing(staff, client_months):
    client, st = client_months
    with in_branch("bj"):
        services.fee_payment_record(actor=staff, statement_id=st[AUG].pk,
                                    data={"amount": str(st[AUG].total), "paid_on": "2025-08-25"})
        assert _late_lines(client) == []


@pytest.mark.django_db
def test_a_reversed_late_payment_takes_its_late_fee_off_the_open_statement(staff, client_months):
    client, st = client_months
    with in_branch("bj"):
        half = (st[AUG].total / 2).quantize(D("0.01"))
        services.fee_payment_record(actor=staff, statement_id=st[AUG].pk, data={"amount": str(half), "paid_on": "2025-08-20"})
        late = services.fee_payment_record(actor=staff, statement_id=st[AUG].pk,
                                           data={"amount": str(st[AUG].total - half), "paid_on": "2025-09-04"})
        [(_, _, amount, _)] = _late_lines(client)
        # The half on time covered the social-insurance contributions first: only the rest of
        # them was late (the housing fund, paid late too, carries no fee).
        base = _social_insurance(st[AUG])
        assert base > half
        assert amount == ((base - half) * D("0.0005") * 10).quantize(D("0.01"))
        services.fee_payment_reverse(actor=staff, payment_id=late.pk, reason="银行退票")
        assert _late_lines(client) == []
        deleted = FeeStatementCharge.history.filter(history_type="-").get()
        assert deleted.history_user_id == staff.pk


@pytest.mark.django_db
def test_a_filed_statement_keeps_its_late_fee_and_the_next_open_one_gets_the_rest(staff, client_months):
    client, st = client_months
    with in_branch("bj"):
        services.fee_payment_record(actor=staff, statement_id=st[AUG].pk,
                                    data={"amount": "100.00", "paid_on": "2025-09-06"})
        [(period, _, first, _)] = _late_lines(client)
        assert (period, first) == (SEP, D("0.60"))  # 100 × 0.0005 × 12
        _file(staff, SEP)  # September's statement (with its 0.60) is now frozen
        services.fee_payment_record(actor=staff, statement_id=st[AUG].pk,
                                    data={"amount": "1000.00", "paid_on": "2025-09-15"})
        lines = _late_lines(client)
        # 100 × 12 days + 1,000 × 21 days = 0.60 + 10.50; 0.60 already billed in September.
        assert [(p, a) for p, _, a, _ in lines] == [(SEP, D("0.60")), (OCT, D("10.50"))]
        assert "已计收 0.60 元,本次补收 10.50 元" in lines[1][3]
        assert late_fees.late_fees_post(actor=staff, client_id=client.pk).written == 0


@pytest.mark.django_db
def test_a_late_fee_without_a_later_open_statement_waits_for_one(staff):
    with in_branch("bj"):
        client = make_client("北京待入账公司", staff)
        add_employee(client, 2, "8000", "2025-06-10", actor=staff)
        services.month_compute(actor=staff, period=AUG)
        aug = FeeStatement.objects.get(period=AUG, client=client)
        services.fee_payment_record(actor=staff, statement_id=aug.pk, data={"amount": "500.00", "paid_on": "2025-09-05"})
        assert _late_lines(client) == []
        assert late_fees.late_fees_post(actor=staff, client_id=client.pk).pending == 1
        services.month_compute(actor=staff, period=SEP)
        run = late_fees.late_fees_sweep(actor=None)
        assert run.written == 1
        assert [(p, a) for p, _, a, _ in _late_lines(client)] == [(SEP, D("2.75"))]  # 500 × 0.0005 × 11


@pytest.mark.django_db
def test_money_dates_are_the_managers_setting_and_refused_when_the_client_day_is_after_the_agencys(staff):
    with in_branch("bj"):
        assert (ClientMoneyPolicy.current().payment_due_day, ClientMoneyPolicy.current().contribution_due_day) == (15, 25)
        with pytest.raises(ValidationError) as err:
            services.money_policy_update(actor=staff, data={"payment_due_day": "26"})
        assert "不能晚于法定缴费截止日" in str(err.value)
        with pytest.raises(ValidationError):
            services.money_policy_update(actor=staff, data={"contribution_due_day": "31"})
        assert not ClientMoneyPolicy.objects.exists()
        policy = services.money_policy_update(actor=staff, data={"payment_due_day": "10", "contribution_due_day": "20"})
        assert (policy.payment_due_day, policy.contribution_due_day) == (10, 20)
        assert policy.history.get().history_user_id == staff.pk
