"""First computes started at once in one branch (separate database connections): three of
August and two of September, all creating or attaching the months' partitions of the lines table
(they queue on the month's cycle row and on the table's attach lock). Every compute succeeds,
each month has its partition once and one line per person and item, and a further compute
changes nothing."""
from __future__ import annotations

import threading

from django.db import connection
from django_tenants.utils import schema_context

from social_insurance import services
from social_insurance.models import ContributionLine
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
