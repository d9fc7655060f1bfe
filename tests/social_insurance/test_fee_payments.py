"""Client money: charges billed on a fee statement and payments received against it (回款)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from social_insurance import selectors, services
from social_insurance.models import FeePayment, FeeStatement, FeeStatementCharge
from tests.conftest import in_branch

from .helpers import add_employee, make_client

pytestmark = pytest.mark.django_db
M = "2025-08"
D = Decimal


@pytest.fixture
def statement(staff):
    with in_branch("bj"):
        client = make_client("北京回款公司", staff)
        add_employee(client, 1, "10000", "2025-06-10", actor=staff)
        services.month_compute(actor=staff, period=M)
        st = FeeStatement.objects.get(period=M, client=client)
        FeeStatementCharge.objects.create(statement=st, kind="service_fee", service="social_insurance",
                                          amount=D("30.00"), explanation="1 人 × 30.00 元/人·月")
        return st


def test_payments_settle_a_statement_on_the_day_they_cover_it(staff, statement):
    with in_branch("bj"):
        due = statement.total + D("30.00")
        money = selectors.statement_money(statement)
        assert (money.due, money.paid, money.settled_on) == (due, D("0.00"), None)

        services.fee_payment_record(actor=staff, statement_id=statement.pk,
                                    data={"amount": "1,000.00", "paid_on": "2025-09-05"})
        assert selectors.statement_money(statement).outstanding == due - D("1000.00")
        assert selectors.statements_settled_on([statement.pk]) == {}

        last = services.fee_payment_record(actor=staff, statement_id=statement.pk,
                                           data={"amount": str(due - D("1000.00")), "paid_on": "2025-09-20"})
        assert selectors.statements_settled_on([statement.pk]) == {statement.pk: dt.date(2025, 9, 20)}
        assert last.history.first().history_user_id == staff.pk

        # A reversal reopens the balance; the statement is no longer settled.
        services.fee_payment_reverse(actor=staff, payment_id=last.pk, reason="银行退票")
        assert selectors.statement_money(statement).outstanding == due - D("1000.00")
        assert selectors.statements_settled_on([statement.pk]) == {}


@pytest.mark.parametrize("data, field", [
    ({"amount": "abc", "paid_on": "2025-09-05"}, "amount"),
    ({"amount": "-5", "paid_on": "2025-09-05"}, "amount"),
    ({"amount": "10", "paid_on": "2999-01-01"}, "paid_on"),
    ({"amount": "10", "paid_on": (dt.date.today() + dt.timedelta(days=2)).isoformat()}, "paid_on"),
    ({"amount": "99999999", "paid_on": "2025-09-05"}, "amount"),   # more than outstanding
])
def test_a_bad_payment_is_refused_and_writes_nothing(staff, statement, data, field):
    with in_branch("bj"):
        with pytest.raises(ValidationError) as exc:
            services.fee_payment_record(actor=staff, statement_id=statement.pk, data=data)
        assert field in exc.value.message_dict
        assert FeePayment.objects.count() == 0


def test_a_bank_reference_pays_once_in_the_branch(staff, statement):
    with in_branch("bj"):
        other = FeeStatement.objects.create(period="2025-09", client=statement.client, employer_total=D("100.00"),
                                            employee_total=D("0.00"), total=D("100.00"))
        first = services.fee_payment_record(actor=staff, statement_id=statement.pk,
                                            data={"amount": "100.00", "paid_on": "2025-09-05", "reference": "CMB-0001"})
        for target, ref in ((other.pk, "CMB-0001"), (statement.pk, " cmb-0001 "), (other.pk, "ＣＭＢ－０００１")):
            with pytest.raises(ValidationError) as exc:
                services.fee_payment_record(actor=staff, statement_id=target,
                                            data={"amount": "10.00", "paid_on": "2025-09-06", "reference": ref})
            assert exc.value.message_dict == {"reference": [
                "流水号 CMB-0001 已登记过:北京回款公司 2025年8月费用明细表,2025年9月5日 到账 100.00 元。"
                "同一笔银行流水不能登记两次;如果那笔登记错了,请先在该费用明细表上冲销。"]}
        assert list(FeePayment.objects.values_list("pk", flat=True)) == [first.pk]

        # Booked on the wrong statement: reversed, it may be recorded on the right one.
        services.fee_payment_reverse(actor=staff, payment_id=first.pk, reason="记错明细表")
        again = services.fee_payment_record(actor=staff, statement_id=other.pk,
                                            data={"amount": "100.00", "paid_on": "2025-09-05", "reference": "CMB-0001"})
        assert again.statement_id == other.pk
        # Payments without a reference are not compared.
        services.fee_payment_record(actor=staff, statement_id=statement.pk, data={"amount": "1.00", "paid_on": "2025-09-06"})
        services.fee_payment_record(actor=staff, statement_id=statement.pk, data={"amount": "1.00", "paid_on": "2025-09-06"})


def test_a_payment_dated_before_its_statements_month_is_refused(staff, statement):
    with in_branch("bj"):
        for day in ("2022-08-20", "2025-07-31"):
            with pytest.raises(ValidationError) as exc:
                services.fee_payment_record(actor=staff, statement_id=statement.pk,
                                            data={"amount": "10.00", "paid_on": day, "reference": "B-9"})
            assert exc.value.message_dict == {"paid_on": [
                "到账日期不能早于 2025年8月1日:2025年8月的费用明细表在此之前尚未开出。欠费账龄和滞纳金按到账日期计算,请按银行流水核对日期。"]}
        assert FeePayment.objects.count() == 0
        assert services.fee_payment_record(actor=staff, statement_id=statement.pk,
                                           data={"amount": "10.00", "paid_on": "2025-08-01"}).paid_on == dt.date(2025, 8, 1)


def test_a_month_computed_ahead_takes_payments_from_the_day_it_was_computed(staff, statement):
    from django.utils import timezone

    with in_branch("bj"):
        today = timezone.localdate()
        ahead = f"{today.year + (today.month == 12)}-{today.month % 12 + 1:02d}"  # next month, computed today
        services.month_compute(actor=staff, period=ahead)
        st = FeeStatement.objects.get(period=ahead, client=statement.client)
        assert services.earliest_payment_day(st) == today
        assert services.fee_payment_record(actor=staff, statement_id=st.pk,
                                           data={"amount": "10.00", "paid_on": today.isoformat()}).paid_on == today
