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
