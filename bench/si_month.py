"""Benchmark: compute one social-insurance month for N insured employees across B branches.

    DATABASE_URL=postgres://…/hrsaas_bench python bench/si_month.py [--employees 1000000] [--branches 20]

Creates (once) branches bench01…, one client each and the employees (bulk SQL, synthetic
identity hashes), computes the month before untimed (as in service, where it leaves the HQ
identity registry up to date) and clears the months (their rows and their partitions of the
lines table), then times services.month_compute per branch (the real set-based compute:
增减员, lines, statements, checks, the registry's changes and the cross-branch check) — the
month's first compute, which loads the lines into the month's new partition —, a second
idempotent recompute with no changes, and the database floor: one INSERT … SELECT of the same
lines into a table shaped like the real one (same columns and indexes), timed right after each
branch's compute so that both run in the same state of this noisy machine (checkpoints,
autovacuum, cache). A second floor gives that table the lines' statement-level integrity
trigger too (what the database does for every write of lines, the compute's or any other). A
third stores the rows as the first compute does: into a bare table with that trigger, then the
table's indexes built. All three ratios are printed; the first is the target's.

The first compute is timed twice: one branch after another in this process (like for like
with the floor, which is one statement on one core), and as the system runs it — a real Celery
worker with `--workers` processes (default: the number of cores) takes one compute_month task
per branch, sent the way the beat's fan-out sends them; the time runs from sending the first
task to the last result. The worker and this script use their own Redis database (13 unless
REDIS_URL is set). Prints a summary and, as the last line, JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrsaas.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")  # the bench worker's own broker and results

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from branches import services as branch_services  # noqa: E402
from branches.models import Branch, User  # noqa: E402
from psycopg2 import sql as pg_sql  # noqa: E402
from social_insurance import sql as si_sql  # noqa: E402

PERIOD = "2025-08"
PREVIOUS = "2025-07"
CITIES = ["beijing", "shanghai", "guangzhou", "shenzhen", "hangzhou"]


def ensure_branch(i: int) -> Branch:
    code = f"bench{i:02d}"
    branch = Branch.objects.filter(code=code).first()
    if branch is None:
        branch = branch_services.branch_create(
            actor=None, data=branch_services.BranchInput(code=code, name=f"压测{i:02d}", city=CITIES[i % len(CITIES)]))
    connection.set_schema_to_public()
    return branch


def ensure_employees(branch: Branch, count: int, opener_id: int) -> None:
    with schema_context(branch.schema_name), connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM social_insurance_insuredemployee")
        have = cur.fetchone()[0]
        if have == count:
            return
        cur.execute("TRUNCATE social_insurance_contributionline, social_insurance_staffchange, "
                    "social_insurance_checkfinding, social_insurance_feestatement, social_insurance_monthcycle, "
                    "social_insurance_insuredemployee CASCADE")
        drop_month_partitions(cur)
        cur.execute("SELECT id FROM clients_client WHERE name = 'bench client'")
        row = cur.fetchone()
        if row is None:
            cur.execute("INSERT INTO clients_client (name, headcount, opened_on, opened_by_id, services, grade, "
                        "contract_no, city, created_at) VALUES ('bench client', 1000, '2024-01-01', %s, "
                        "'{social_insurance}', 'normal', '', %s, now()) RETURNING id", [opener_id, branch.city])
            row = cur.fetchone()
        client_id = row[0]
        # Wages 3000–52999 cover below-floor, between and above-ceiling; 1 in 50 starts in the
        # month (增员), 1 in 50 leaves in it (减员), 1 in 100 has a location mismatch.
        cur.execute("""
            INSERT INTO social_insurance_insuredemployee
              (client_id, name, id_number_encrypted, id_number_hash, id_number_masked, insured_city,
               contract_city, payroll_city, wage, housing_fund_percent, injury_rate, start_date, end_date, created_at)
            SELECT %(client)s, 'bench ' || g, 'synthetic', md5(%(schema)s || g), '110***********' || lpad((g %% 10000)::text, 4, '0'),
                   %(city)s, CASE WHEN g %% 100 = 0 THEN 'shanghai' ELSE %(city)s END, %(city)s,
                   3000 + (g * 7919) %% 50000, CASE WHEN g %% 3 = 0 THEN 7 ELSE NULL END, NULL,
                   CASE WHEN g %% 50 = 1 THEN DATE '2025-08-12' ELSE DATE '2024-01-01' END,
                   CASE WHEN g %% 50 = 2 THEN DATE '2025-08-20' ELSE NULL END, now()
              FROM generate_series(1, %(n)s) g
        """, {"client": client_id, "schema": branch.schema_name, "city": branch.city, "n": count})
        cur.execute("ANALYZE social_insurance_insuredemployee")


def reset_month(branch: Branch) -> None:
    """Forget the months computed (lines, statements, checks, 增减员, cycles) so that every run
    times the same first compute of the month, not a recompute of a previous run's rows. The
    HQ identity registry stays as the previous month's compute left it, as it does in service."""
    with schema_context(branch.schema_name), transaction.atomic(), connection.cursor() as cur:
        cur.execute("TRUNCATE social_insurance_contributionline, social_insurance_staffchange, "
                    "social_insurance_checkfinding, social_insurance_feestatement, social_insurance_monthcycle, "
                    "social_insurance_feestatementcharge, social_insurance_feepayment")
        cur.execute("DELETE FROM commissions_sale WHERE source = 'cycle'")  # derived from the statements
        drop_month_partitions(cur)


def drop_month_partitions(cur) -> None:
    """A month's first compute creates the month's partition of the lines table: without it."""
    cur.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'social_insurance_contributionline'::regclass")
    for (name,) in cur.fetchall():
        cur.execute(f'DROP TABLE "{name}"')


def floor_seconds(branch: Branch, *, checked: bool = False, load: bool = False) -> float:
    """One INSERT … SELECT of the month's lines into a table shaped like the real one (same
    columns, defaults, check constraints and indexes). `checked` also gives it the real table's
    insert triggers (today the statement-level integrity check of migration 0006: filed-month
    guard and the references to employees and clients, the table's stand-in for foreign keys),
    so that it costs what storing these rows in the lines table costs at the least. `load` (with
    the triggers too) stores them the way a month's first compute does: into a bare table, then
    the table's indexes built (the clock covers both)."""
    with schema_context(branch.schema_name), transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT set_config('work_mem', %s, true)", [settings.SI_COMPUTE_WORK_MEM])
        cur.execute("DROP TABLE IF EXISTS bench_floor_lines")
        cur.execute("CREATE TABLE bench_floor_lines (LIKE social_insurance_contributionline INCLUDING DEFAULTS "
                    "INCLUDING CONSTRAINTS" + ("" if load else " INCLUDING INDEXES") + ")")
        # the real table's insert triggers, as defined now (they cannot drift apart)
        if (checked or load) and not si_sql.copy_insert_triggers(cur, pg_sql.Identifier("bench_floor_lines")):
            raise RuntimeError("the lines table has no insert trigger to copy")
        indexes = []
        if load:  # the real table's indexes, as defined now
            cur.execute("SELECT pg_get_indexdef(indexrelid) FROM pg_index "
                        "WHERE indrelid = 'social_insurance_contributionline'::regclass")
            indexes = [re.sub(r"^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ ", r"CREATE \1INDEX ON bench_floor_lines ",
                              row[0]) for row in cur.fetchall()]
        t0 = time.perf_counter()
        cur.execute("INSERT INTO bench_floor_lines SELECT * FROM social_insurance_contributionline WHERE period = %s",
                    [PERIOD])
        for definition in indexes:
            cur.execute(definition)
        elapsed = time.perf_counter() - t0
        cur.execute("DROP TABLE bench_floor_lines")
    return elapsed


# ---------------------------------------------------------------------------------------------
# Commission events from the cycle (issue #20): what deriving them adds to the month compute
# ---------------------------------------------------------------------------------------------
def ensure_clients(branch: Branch, count: int, opener_id: int) -> None:
    """`--clients-per-branch`: the branch's employees spread over `count` clients (by id), each
    contracting 社保代缴 at 30.00 元/人·月, so the compute bills one service fee per client and
    derives one sale each. Left as it is when the branch already has that many clients."""
    if count <= 1:
        return
    with schema_context(branch.schema_name), connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM clients_client WHERE name LIKE 'bench client%%'")
        if cur.fetchone()[0] == count:
            return
        cur.execute("INSERT INTO clients_client (name, headcount, opened_on, opened_by_id, services, grade, "
                    "contract_no, city, created_at) SELECT 'bench client ' || g, 50, '2024-01-01', %s, "
                    "'{social_insurance}', 'normal', '', %s, now() FROM generate_series(2, %s) g",
                    [opener_id, branch.city, count])
        cur.execute("UPDATE clients_client SET fee_social_insurance = 30 WHERE name LIKE 'bench client%%'")
        cur.execute("""
            UPDATE social_insurance_insuredemployee e SET client_id = c.id
              FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM clients_client
                     WHERE name LIKE 'bench client%%') c
             WHERE c.rn = e.id %% %s AND e.client_id IS DISTINCT FROM c.id""", [count])
        cur.execute("ANALYZE social_insurance_insuredemployee")
        cur.execute("ANALYZE clients_client")


def derive_seconds(branch: Branch) -> float:
    """The month compute's commission-events step (service-fee charges, the sales they are, the
    recompute markers) timed alone on the month as its compute left it, with the step's own
    writes removed first so that it does what a month's first compute does; rolled back."""
    from social_insurance import commission_events
    from social_insurance.engine import month_start

    with schema_context(branch.schema_name), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM social_insurance_feestatementcharge WHERE kind = 'service_fee'")
        cur.execute("DELETE FROM commissions_sale WHERE source = 'cycle' AND period = %s", [PERIOD])
        t0 = time.perf_counter()
        commission_events.derive_after_compute(cur, {"period": PERIOD, "m": month_start(PERIOD),
                                                     "branch_id": branch.pk})
        elapsed = time.perf_counter() - t0
        cur.execute("SELECT count(*) FROM social_insurance_feestatementcharge")
        charges = cur.fetchone()[0]
        transaction.set_rollback(True)
    DERIVED_CHARGES.append(charges)
    return elapsed


DERIVED_CHARGES: list[int] = []


def compute_with_worker(branches: list[Branch], workers: int, before=None) -> float:
    """Wall time of the month's compute by a real Celery worker: one task per branch. `before`
    runs once the worker answers, before the clock starts."""
    import subprocess

    from hrsaas.celery import app

    root = Path(__file__).resolve().parent.parent
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "hrsaas", "worker", "-c", str(workers),
                               "-l", "WARNING", "-n", f"si-bench-{os.getpid()}@%h", "--without-gossip",
                               "--without-mingle"], cwd=root, env=dict(os.environ))
    try:
        for _ in range(120):
            if app.control.ping(timeout=0.5):
                break
            if worker.poll() is not None:
                raise RuntimeError("the Celery worker exited on start")
        else:
            raise RuntimeError("the Celery worker did not answer within a minute")
        if before is not None:
            before(app)
        start = time.perf_counter()
        results = [app.send_task("social_insurance.tasks.compute_month", args=[PERIOD],
                                 headers={"_schema_name": b.schema_name}) for b in branches]
        for result in results:
            result.get(timeout=3600)
        return time.perf_counter() - start
    finally:
        worker.terminate()
        worker.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=1_000_000)
    parser.add_argument("--branches", type=int, default=20)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--clients-per-branch", type=int, default=1,
                        help="spread each branch's employees over this many clients with a service fee")
    args = parser.parse_args()

    from social_insurance import services
    from social_insurance.models import ContributionLine

    branch_services.ensure_public_tenant()
    opener = User.objects.filter(username="bench").first() or User.objects.create_user("bench", password=None)
    per_branch = [args.employees // args.branches + (1 if i < args.employees % args.branches else 0)
                  for i in range(args.branches)]
    t0 = time.perf_counter()
    branches = [ensure_branch(i + 1) for i in range(args.branches)]
    for branch, n in zip(branches, per_branch):
        ensure_employees(branch, n, opener.pk)
        ensure_clients(branch, args.clients_per_branch, opener.pk)
    setup_s = time.perf_counter() - t0

    def compute_all(floor: list[float] | None = None, each: list[float] | None = None,
                    checked_floor: list[float] | None = None, load_floor: list[float] | None = None,
                    derive: list[float] | None = None) -> float:
        elapsed = 0.0
        for branch in branches:
            start = time.perf_counter()
            with schema_context(branch.schema_name):
                services.month_compute(actor=None, period=PERIOD)
            elapsed += time.perf_counter() - start
            if each is not None:
                each.append(time.perf_counter() - start)
            if floor is not None:  # right after the branch's compute: both see the same machine state
                floor.append(floor_seconds(branch))
            if checked_floor is not None:
                checked_floor.append(floor_seconds(branch, checked=True))
            if load_floor is not None:
                load_floor.append(floor_seconds(branch, load=True))
            if derive is not None:
                derive.append(derive_seconds(branch))
        return elapsed

    def reset_all() -> None:
        for branch in branches:
            reset_month(branch)
        with connection.cursor() as cur:  # statistics of the registry as the previous month left it
            cur.execute("VACUUM ANALYZE public.si_policies_insuredidentityspan")

    def previous_month(app) -> None:
        # In service every month's compute follows the previous one, which left the HQ identity
        # registry up to date; computing the month before (untimed) gives that state.
        results = [app.send_task("social_insurance.tasks.compute_month", args=[PREVIOUS],
                                 headers={"_schema_name": b.schema_name}) for b in branches]
        for result in results:
            result.get(timeout=3600)
        reset_all()

    t0 = time.perf_counter()
    parallel_s = compute_with_worker(branches, args.workers, before=previous_month)
    setup_s += time.perf_counter() - t0 - parallel_s
    reset_all()
    floors: list[float] = []
    checked_floors: list[float] = []
    load_floors: list[float] = []
    computes: list[float] = []
    derives: list[float] = []
    compute_s = compute_all(floors, computes, checked_floors, load_floors, derives)
    recompute_s = compute_all()
    lines = 0
    for branch in branches:
        with schema_context(branch.schema_name):
            lines += ContributionLine.objects.filter(period=PERIOD).count()
    floor_s = sum(floors)
    checked_floor_s = sum(checked_floors)
    load_floor_s = sum(load_floors)
    result = {
        "employees": args.employees, "branches": args.branches, "lines": lines, "period": PERIOD,
        "setup_s": round(setup_s, 2), "compute_s": round(compute_s, 2), "recompute_s": round(recompute_s, 2),
        "floor_s": round(floor_s, 2), "ratio": round(compute_s / floor_s, 2) if floor_s else None,
        "checked_floor_s": round(checked_floor_s, 2),
        "checked_ratio": round(compute_s / checked_floor_s, 2) if checked_floor_s else None,
        "load_floor_s": round(load_floor_s, 2),
        "load_ratio": round(compute_s / load_floor_s, 2) if load_floor_s else None,
        "recompute_ratio": round(recompute_s / floor_s, 2) if floor_s else None,
        "workers": args.workers, "workers_s": round(parallel_s, 2),
        "workers_ratio": round(parallel_s / floor_s, 2) if floor_s else None,
        "employees_per_s": round(args.employees / compute_s) if compute_s else None,
        # spread of the per-branch ratios: how noisy the machine was during the run
        "branch_ratios_min_median_max": [round(r, 2) for r in (min(ratios), statistics.median(ratios), max(ratios))]
        if (ratios := [c / f for c, f in zip(computes, floors) if f]) else None,
        "branch_checked_ratios_min_median_max": [round(r, 2) for r in (min(cr), statistics.median(cr), max(cr))]
        if (cr := [c / f for c, f in zip(computes, checked_floors) if f]) else None,
        "branch_load_ratios_min_median_max": [round(r, 2) for r in (min(lr), statistics.median(lr), max(lr))]
        if (lr := [c / f for c, f in zip(computes, load_floors) if f]) else None,
        # Commission events (issue #20): the compute's step that bills service fees and derives the
        # sales, timed alone per branch; its share of the compute (which includes it).
        "clients_per_branch": args.clients_per_branch, "service_fee_charges": sum(DERIVED_CHARGES),
        "commission_events_s": round(sum(derives), 2),
        "commission_events_share": round(sum(derives) / (compute_s - sum(derives)), 4) if compute_s else None,
    }
    print(f"computed {lines} lines for {args.employees} employees in {args.branches} branches: "
          f"{compute_s:.2f}s one branch after another (recompute {recompute_s:.2f}s) vs floor {floor_s:.2f}s "
          f"→ ×{result['ratio']} (floor with the lines' integrity trigger {checked_floor_s:.2f}s "
          f"→ ×{result['checked_ratio']}; stored as the first compute stores them, bare then indexed, "
          f"{load_floor_s:.2f}s → ×{result['load_ratio']}); by a Celery worker with {args.workers} processes {parallel_s:.2f}s "
          f"→ ×{result['workers_ratio']}")
    print(f"commission events (service fees → sales, markers) for {sum(DERIVED_CHARGES)} charges: "
          f"{sum(derives):.2f}s, +{100 * (result['commission_events_share'] or 0):.1f}% on the compute without them")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
