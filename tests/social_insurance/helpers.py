"""Test helpers for social insurance: valid identity numbers, clients, employees."""
from __future__ import annotations

import datetime as dt

from social_insurance import engine, services


def idn(n: int, region: str = "110105", born: str = "19900101") -> str:
    first17 = f"{region}{born}{n:03d}"
    return first17 + engine.identity_check_char(first17)


def make_client(name: str, opener, city: str = "beijing"):
    from clients.models import Client

    return Client.objects.create(name=name, headcount=10, opened_on=dt.date(2024, 1, 1), opened_by=opener,
                                 services=["social_insurance", "housing_fund"], city=city)


def add_employee(client, n: int, wage: str, start: str, end: str | None = None, city: str = "beijing",
                 actor=None, **extra):
    data = dict(client=client.pk, name=f"员工{n}", id_number=idn(n), insured_city=city, wage=wage,
                start_date=start, end_date=end)
    data.update(extra)
    return services.employee_create(actor=actor, data=services.EmployeeInput(**data))


def open_month_partitions(period: str) -> None:
    """Empty partitions of `period` in the lines table for a test's raw inserts (regular lines
    and corrections), as the month's first compute and the correction writers leave them."""
    from django.db import connection

    from social_insurance import sql

    month, regular, _ = sql.month_partitions(period)
    with connection.cursor() as cur:
        sql.ensure_corrections_partition(cur, period)
        cur.execute(f'CREATE TABLE IF NOT EXISTS "{regular}" PARTITION OF "{month}" FOR VALUES IN (\'regular\')')


def file_month(staff, period: str) -> None:
    """A month computed, its 增减员 reconciled and filed, as the office does it."""
    services.month_compute(actor=staff, period=period)
    services.month_reconcile(actor=staff, period=period)
    services.month_file(actor=staff, period=period, receipt_no=f"BJ-{period}")


def web(user):
    """A web client signed in as `user` (the pages, as a browser sees them)."""
    from django.test import Client as WebClient

    c = WebClient()
    c.force_login(user)
    return c


def contact_statement(staff, period: str, *, contact_username: str = "jia_contact"):
    """北京甲公司 with a client contact and one insured person (12,000), the month computed:
    (its fee statement, the contact). Call inside a test with the branch's tables (db)."""
    from social_insurance.models import ClientContact, FeeStatement
    from tests.conftest import in_branch
    from tests.factories import make_user

    contact = make_user(contact_username, ("bj", "client_contact"), home="bj")
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
        ClientContact.objects.create(user=contact, client=client)
        add_employee(client, 1, "12000", "2025-06-01", actor=staff)
        services.month_compute(actor=staff, period=period)
        return FeeStatement.objects.get(period=period, client=client), contact


def unanswered(statement_id: int) -> bool:
    """The client has neither confirmed nor disputed the fee statement (nothing recorded)."""
    from social_insurance.models import FeeStatement
    from tests.conftest import in_branch

    with in_branch("bj"):
        s = FeeStatement.objects.get(pk=statement_id)
        return (s.status, s.response_note, s.responded_at) == ("issued", "", None)
