"""Benchmark: a policy version published late (补差) for one branch's filed months.

    DATABASE_URL=postgres://…/hrsaas_bench python bench/si_true_up.py [--employees 50000]

Creates (once) branch `benchtu` in Guangzhou with N insured employees (the same synthetic people
as bench/si_month.py), then, inside one transaction that is rolled back at the end (nothing is
left behind, no task is sent): computes, reconciles and files 2025-08 and 2025-09, publishes a
Guangzhou version from 2025-08-01 with every base floor 500 higher, and times
services.policy_true_up twice from the same state — in batches of people as it runs
(TRUE_UP_BATCH), and as one batch, the baseline of the same work with everything in memory at
once. Prints time and peak memory growth of each and their ratios, and, as the last line, JSON.
"""
from __future__ import annotations

import argparse
import json
import resource
import time
from decimal import Decimal

import si_month  # noqa: F401  (Django set up the same way, and the same synthetic people)
from django.db import connection, transaction
from django_tenants.utils import schema_context

from branches import services as branch_services
from branches.models import Branch, User

CITY = "guangzhou"
MONTHS = ("2025-08", "2025-09")


class _RollBack(Exception):
    pass


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _items_with_higher_floors(policy) -> dict:
    from social_insurance.policies.selectors import items_as_data

    items = items_as_data(policy)
    for kind, row in items.items():
        if kind != "housing_fund":
            row["base"][0] = str(Decimal(row["base"][0]) + 500)
    return items


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=50_000)
    args = parser.parse_args()

    from social_insurance import services
    from social_insurance.policies import services as policy_services
    from social_insurance.policies.models import CityPolicy

    branch_services.ensure_public_tenant()
    actor = User.objects.filter(username="bench").first() or User.objects.create_user("bench", password=None)
    branch = Branch.objects.filter(code="benchtu").first() or branch_services.branch_create(
        actor=None, data=branch_services.BranchInput(code="benchtu", name="压测补差", city=CITY))
    connection.set_schema_to_public()
    si_month.ensure_employees(branch, args.employees, actor.pk)
    si_month.reset_month(branch)

    def true_up(policy_id: int, batch: int) -> tuple[float, float, int]:
        """Seconds, peak memory growth (MB) and lines written, rolled back afterwards."""
        services.TRUE_UP_BATCH = batch
        rss = _max_rss_mb()
        try:
            with schema_context(branch.schema_name), transaction.atomic():
                start = time.perf_counter()
                result = services.policy_true_up(actor=actor, policy_id=policy_id)
                elapsed = time.perf_counter() - start
                raise _RollBack
        except _RollBack:
            pass
        return elapsed, _max_rss_mb() - rss, result.inserted + result.updated

    batched = services.TRUE_UP_BATCH
    try:
        with transaction.atomic():
            with schema_context(branch.schema_name):
                for period in MONTHS:
                    services.month_compute(actor=actor, period=period)
                    services.month_reconcile(actor=actor, period=period)
                    services.month_file(actor=actor, period=period, receipt_no=f"BENCH-{period}")
                with connection.cursor() as cur:
                    cur.execute("SELECT count(*) FROM social_insurance_contributionline")
                    filed_lines = cur.fetchone()[0]
            in_force = CityPolicy.objects.get(city=CITY, effective_from__lte="2025-08-01", effective_to__gte="2025-08-01")
            policy = policy_services.policy_publish(
                actor=actor, city=CITY, year_label="压测调整", effective_from="2025-08-01",
                effective_to=in_force.effective_to, items=_items_with_higher_floors(in_force),
                sources=["benchmark"], confidence="low")
            # Batched first: peak memory only grows, so the one-batch run's growth is its own.
            batched_s, batched_mb, written = true_up(policy.pk, batched)
            whole_s, whole_mb, written_whole = true_up(policy.pk, 10 ** 9)
            if written != written_whole:
                raise SystemExit(f"batched and one-batch true-ups differ: {written} vs {written_whole} lines")
            raise _RollBack
    except _RollBack:
        pass
    finally:
        services.TRUE_UP_BATCH = batched
    result = {
        "employees": args.employees, "filed_months": list(MONTHS), "filed_lines": filed_lines,
        "lines_written": written, "batch": batched,
        "batched_s": round(batched_s, 2), "one_batch_s": round(whole_s, 2),
        "time_ratio": round(batched_s / whole_s, 2),
        "batched_peak_growth_mb": round(batched_mb), "one_batch_peak_growth_mb": round(whole_mb),
    }
    print(f"true-up of {args.employees} people over {len(MONTHS)} filed months ({filed_lines} lines, "
          f"{written} written): batches of {batched} {batched_s:.2f}s, +{batched_mb:.0f} MB peak; one batch "
          f"{whole_s:.2f}s, +{whole_mb:.0f} MB → time ×{result['time_ratio']}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
