"""First computes started at once in one branch (separate database connections): three of
August and two of September, all creating or attaching the months' partitions of the lines table
(they queue on the month's cycle row and on the table's attach lock). Every compute succeeds,
each month has its partition once and one line per person and item, and a further compute
changes nothing."""
from __future__ import annotations

import threading

import psycopg2
from django.db import connection
from django_tenants.utils import schema_context

from social_insurance import services
from social_insurance.models import ContributionLine
from tests.conftest import _test_database_url
from tests.factories import make_user

from .helpers import add_employee, make_client

RUNS = {"2025-08": 3, "2025-09": 2}


def test_simultaneous_first_computes_of_two_months_give_one_result(committed_branch):
    schema = committed_branch.schema_name
    code = committed_branch.code
    with schema_context(schema):
        user = make_user(f"{code}_staff", (code, "branch_staff"), home=code)
        client = make_client("并发客户", user)
        for n in range(1, 21):
            add_employee(client, n, str(3000 + 2500 * n), "2025-01-01" if n % 4 else "2025-09-03", actor=user)
    start = threading.Barrier(sum(RUNS.values()))
    errors: list[str] = []

    def run(period: str):
        try:
            start.wait()
            with schema_context(schema):
                services.month_compute(actor=None, period=period)
        except Exception as exc:  # noqa: BLE001 — collected and reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(period,)) for period, n in RUNS.items() for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors and not any(t.is_alive() for t in threads), errors
    with schema_context(schema):
        together = {p: sorted(ContributionLine.objects.filter(period=p).values_list(
            "employee_id", "kind", "base", "employer_amount", "employee_amount")) for p in RUNS}
        with connection.cursor() as cur:
            cur.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                        "WHERE i.inhparent = 'social_insurance_contributionline'::regclass ORDER BY 1")
            months = [name for (name,) in cur.fetchall()]
        assert months == ["social_insurance_contributionline_2025_08", "social_insurance_contributionline_2025_09"]
        # 15 people insured in August, all 20 in September; five items each.
        assert (len(together["2025-08"]), len(together["2025-09"])) == (15 * 5, 20 * 5)
        for period in RUNS:  # one more compute changes nothing
            services.month_compute(actor=None, period=period)
            assert sorted(ContributionLine.objects.filter(period=period).values_list(
                "employee_id", "kind", "base", "employer_amount", "employee_amount")) == together[period]


def test_a_first_compute_beside_corrections_does_not_lock_out_the_branchs_lines(committed_branch):
    """September already holds a refund (a dispute resolved before its first compute). While
    September's first compute is still open, another connection can still read every month's
    lines (as 补缴/补差 do, by for_period) and write a correction into September."""
    from django.db import transaction

    schema, code = committed_branch.schema_name, committed_branch.code
    with schema_context(schema):
        user = make_user(f"{code}_staff", (code, "branch_staff"), home=code)
        client = make_client("并发客户", user)
        people = [add_employee(client, n, "20000", "2025-01-01", actor=user) for n in (1, 2)]
        services.month_compute(actor=user, period="2025-08")
        services.month_reconcile(actor=user, period="2025-08")
        services.month_file(actor=user, period="2025-08", receipt_no="BJ-1")
        d = services.dispute_raise(actor=user, employee_id=people[0].pk, period="2025-08", claimed_wage="15000",
                                   reason="多报")
        services.dispute_resolve(actor=user, dispute_id=d.pk, corrected_wage="15000")
        refund = ContributionLine.objects.filter(period="2025-09", source="refund").first()
    computed, release, outcome = threading.Event(), threading.Event(), []

    def compute_and_hold():
        try:
            with schema_context(schema), transaction.atomic():
                services.month_compute(actor=None, period="2025-09")
                computed.set()
                release.wait(60)
            outcome.append("committed")
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            outcome.append(repr(exc))
        finally:
            computed.set()
            connection.close()

    other = psycopg2.connect(_test_database_url())
    worker = threading.Thread(target=compute_and_hold)
    worker.start()
    try:
        assert computed.wait(60) and not outcome, outcome
        with other.cursor() as cur:
            cur.execute(f'SET search_path = "{schema}", public')
            cur.execute("SET lock_timeout = '3s'")
            cur.execute("SELECT count(*) FROM social_insurance_contributionline WHERE for_period = '2025-08'")
            assert cur.fetchone()[0] == 2 * 5 + 5  # August's lines of both people and the refund
            cur.execute("SELECT count(*) FROM social_insurance_contributionline WHERE id = %s", [refund.pk])
            assert cur.fetchone()[0] == 1
            cur.execute("UPDATE social_insurance_contributionline SET computed_at = now() WHERE id = %s", [refund.pk])
            assert cur.rowcount == 1
        other.rollback()
    finally:
        release.set()
        worker.join(60)
        other.close()
    assert outcome == ["committed"]
    with schema_context(schema):
        assert ContributionLine.objects.filter(period="2025-09", source="regular").count() == 2 * 5
