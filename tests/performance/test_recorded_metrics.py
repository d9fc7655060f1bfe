"""Sales and commission indicators read what the commission core recorded for the cycle."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clients.models import Client
from commissions.models import Sale, StatementLine
from performance.metrics import MetricContext, provide_commission, provide_sales
from tests.conftest import in_branch
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _line(period, earner, source, amount, branch):
    return StatementLine(period=period, earner=earner, source=source, component="sales_commission",
                         source_branch_id=branch.id, event_date=dt.date(2026, 10, 1), base=amount * 100,
                         rate=Decimal("1.00"), adjustment_percent=Decimal("0.00"), amount=amount)


def test_sales_and_commission_come_from_the_recorded_work_of_the_cycle(branches):
    ana, bo = make_user("m.ana", ("bj", "specialist")), make_user("m.bo", ("bj", "specialist"))
    with in_branch("bj"):
        client = Client.objects.create(name="乙公司", headcount=80, opened_on=dt.date(2026, 1, 5), opened_by=ana)
        for period, amount in (("2026-09", "1000.00"), ("2026-10", "2500.50"), ("2026-12", "999.00")):
            Sale.objects.create(client=client, client_opened_on=client.opened_on, service="social_insurance",
                                period=period, amount=Decimal(amount), seller=ana)
        StatementLine.objects.bulk_create([
            _line("2026-10", ana, "bj:sale:1", Decimal("25.01"), branches["bj"]),
            _line("2026-11", ana, "bj:sale:2", Decimal("10.00"), branches["bj"]),
            _line("2027-01", ana, "bj:sale:3", Decimal("99.00"), branches["bj"]),
        ])
        ctx = MetricContext(cycle_id=None, period="2026-Q4", starts_on=dt.date(2026, 10, 1),
                            ends_on=dt.date(2026, 12, 31), members={ana.pk: 1, bo.pk: 1})

        assert provide_sales(ctx, "sales") == {ana.pk: Decimal("3499.50"), bo.pk: Decimal(0)}
        assert provide_commission(ctx, "commission") == {ana.pk: Decimal("35.01"), bo.pk: Decimal(0)}
