"""Benchmark: compute one social-insurance month for N insured employees across B branches,
against its like-for-like floor.

    DATABASE_URL=postgres://…/hrsaas_bench python bench/si_month.py [--employees 1000000] [--branches 20]
        [--rounds 3] [--workers 2] [--indexed-floor]

Creates (once) branches bench01…, one client each and the employees (bulk SQL, synthetic
identity hashes), computes the month before untimed (as in service, where it leaves the HQ
identity registry up to date) and clears the months (their rows and their partitions of the
lines table). Then, for each measured phase (today one: the month's first compute,
services.month_compute per branch — 增减员, lines, statements, checks, the registry's changes and
the cross-branch check), `--rounds` times: the branches are put back in the state before the
work, then branch by branch the work is timed and, right after it (same machine state: cache,
checkpoints, autovacuum, other users), its floor. The floor of the first compute is the same
rows (every column and value, read back from the lines it just stored) stored the same way:
into a bare table of the lines table's definition with the table's insert triggers (copied from
the catalogue, as the compute copies them), by the INSERT … SELECT statements the compute stores
them in (two with a second session beside it, ADR 0016: its own share of the people, then the
second session's; one with SI_COMPUTE_BESIDE=0), then the table's indexes built (also from the
catalogue). Each timed step, the work and its floor alike, starts after a CHECKPOINT (untimed;
--no-settle leaves it out), so neither pays for writing what the step before left. The headline is the median work over the median floor; the
floor is printed first. Also printed: a second compute with nothing changed, the first compute
as the system runs it — a real Celery worker with `--workers` processes (default: the number
of cores) takes one compute_month task per branch, sent the way the beat's fan-out sends them;
the time runs from sending the first task to the last result — and, with --indexed-floor, the
floor of earlier reports (an INSERT … SELECT into an indexed copy). The worker and this script
use their own Redis database (13 unless REDIS_URL is set). Prints a summary and, as the last
line, JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

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


def stored_floor_seconds(branch: Branch) -> float:
    """The like-for-like floor of a month's first compute: the month's lines, already computed
    (same rows: every column, id and value), stored the way the compute stores them — into a
    bare table of the lines table's definition (columns, defaults, check constraints), with the
    lines table's insert triggers (copied from the catalogue, as the compute copies them), by the
    INSERT … SELECT statements the compute stores them in (with a second session beside it, two:
    the people of its own share, then the second session's; else one), then the lines table's
    indexes built (from the catalogue: all of them, same definitions) — the clock covers the
    inserts and the index builds. Each INSERT reads its rows from a table holding just them,
    filled before the clock starts, so splitting costs the floor no extra reads. What it leaves
    out is what the compute adds to storing its rows: computing them, 增减员, sums, statements,
    checks, the registry, attaching, statistics and the commit."""
    share = f"mod(employee_id, {si_sql.STAGE_OF}) < {si_sql.STAGE_MINE}"
    parts = [share, f"NOT ({share})"] if settings.SI_COMPUTE_BESIDE else ["true"]
    with schema_context(branch.schema_name), transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT set_config('work_mem', %s, true)", [settings.SI_COMPUTE_WORK_MEM])
        cur.execute("DROP TABLE IF EXISTS bench_floor_lines")
        cur.execute("CREATE TABLE bench_floor_lines (LIKE social_insurance_contributionline INCLUDING DEFAULTS "
                    "INCLUDING CONSTRAINTS)")
        for i, where in enumerate(parts):  # unlogged: filling them writes no WAL for the clock to meet
            cur.execute(f"CREATE UNLOGGED TABLE bench_floor_rows_{i} AS SELECT * FROM "
                        f"social_insurance_contributionline WHERE period = %s AND {where}", [PERIOD])
        if not si_sql.copy_insert_triggers(cur, pg_sql.Identifier("bench_floor_lines")):
            raise RuntimeError("the lines table has no insert trigger to copy")
        cur.execute("SELECT pg_get_indexdef(indexrelid) FROM pg_index "
                    "WHERE indrelid = 'social_insurance_contributionline'::regclass")
        indexes = [re.sub(r"^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ ", r"CREATE \1INDEX ON bench_floor_lines ",
                          row[0]) for row in cur.fetchall()]
        if not indexes:
            raise RuntimeError("the lines table has no index to build")
        settle()
        t0 = time.perf_counter()
        for i in range(len(parts)):
            cur.execute(f"INSERT INTO bench_floor_lines SELECT * FROM bench_floor_rows_{i}")
        for definition in indexes:
            cur.execute(definition)
        elapsed = time.perf_counter() - t0
        cur.execute("DROP TABLE bench_floor_lines")
        for i in range(len(parts)):
            cur.execute(f"DROP TABLE bench_floor_rows_{i}")
    return elapsed


def indexed_floor_seconds(branch: Branch) -> float:
    """The floor of earlier reports (before the month's lines were loaded bare and indexed after):
    one INSERT … SELECT of the month's lines into an indexed copy of the table, no trigger."""
    with schema_context(branch.schema_name), transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT set_config('work_mem', %s, true)", [settings.SI_COMPUTE_WORK_MEM])
        cur.execute("DROP TABLE IF EXISTS bench_floor_lines")
        cur.execute("CREATE TABLE bench_floor_lines (LIKE social_insurance_contributionline INCLUDING DEFAULTS "
                    "INCLUDING CONSTRAINTS INCLUDING INDEXES)")
        t0 = time.perf_counter()
        cur.execute("INSERT INTO bench_floor_lines SELECT * FROM social_insurance_contributionline WHERE period = %s",
                    [PERIOD])
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


SETTLE = True  # --no-settle: time each step in whatever state the step before left


def settle() -> None:
    """A CHECKPOINT before each timed step (the work and its floor alike): writing out what the
    step before left dirty is not charged to the next. Without it, work that keeps both cores
    busy (the compute's second session, ADR 0016) leaves more of that writing for the floor
    right after it, and a higher floor flatters the ratio."""
    if SETTLE:
        with connection.cursor() as cur:
            cur.execute("CHECKPOINT")


@dataclass
class Phase:
    """One measured piece of work and its like-for-like floor. Every round, `reset` puts all
    branches back in the state before the work (untimed), then branch by branch the work is timed
    and, right after it (same machine state: cache, checkpoints, other users of the machine), its
    floor, which returns its own seconds. A phase's headline is its median work over its median
    floor (medians of the rounds' totals over the branches)."""
    key: str
    work_title: str
    floor_title: str
    reset: Callable[[list[Branch]], None]
    work: Callable[[Branch], None]
    floor: Callable[[Branch], float]
    rounds: list[dict] = field(default_factory=list)  # per round: {"work": [s per branch], "floor": [...]}

    def run_round(self, branches: list[Branch]) -> None:
        self.reset(branches)
        work, floor = [], []
        for branch in branches:
            settle()
            start = time.perf_counter()
            self.work(branch)
            work.append(time.perf_counter() - start)
            floor.append(self.floor(branch))
        self.rounds.append({"work": work, "floor": floor})

    def summary(self) -> dict:
        work = [sum(r["work"]) for r in self.rounds]
        floor = [sum(r["floor"]) for r in self.rounds]
        per_branch = [w / f for r in self.rounds for w, f in zip(r["work"], r["floor"]) if f]
        return {
            "work_s": round(statistics.median(work), 2), "floor_s": round(statistics.median(floor), 2),
            "ratio": round(statistics.median(work) / statistics.median(floor), 2),
            "rounds_work_s": [round(x, 2) for x in work], "rounds_floor_s": [round(x, 2) for x in floor],
            "rounds_ratio": [round(w / f, 2) for w, f in zip(work, floor)],
            # spread of the per-branch ratios: how noisy the machine was during the run
            "branch_ratios_min_median_max": [round(x, 2) for x in (min(per_branch), statistics.median(per_branch),
                                                                  max(per_branch))],
        }


def compute_with_worker(branches: list[Branch], workers: int, before=None) -> float:
    """Wall time of the month's compute by a real Celery worker: one task per branch. `before`
    runs once the worker answers, before the clock starts."""
    import subprocess

    from hrsaas.celery import app

    root = Path(__file__).resolve().parent.parent
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "hrsaas", "worker", "-c", str(workers),
                               "-l", "WARNING", "-n", f"si-bench-{os.getpid()}@%h", "--without-gossip",
                               "--without-mingle"], cwd=root, env=dict(os.environ),
                              stdout=subprocess.DEVNULL)  # its banner: the floor is this script's first line
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
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each phase (work, then its floor); medians")
    parser.add_argument("--indexed-floor", action="store_true",
                        help="also time the earlier reports' floor (an INSERT … SELECT into an indexed copy)")
    parser.add_argument("--no-settle", dest="settle", action="store_false",
                        help="no CHECKPOINT before each timed step (the work and its floor)")
    parser.add_argument("--clients-per-branch", type=int, default=1,
                        help="spread each branch's employees over this many clients with a service fee")
    args = parser.parse_args()
    global SETTLE
    SETTLE = args.settle
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

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

    def compute(branch: Branch) -> None:
        with schema_context(branch.schema_name):
            services.month_compute(actor=None, period=PERIOD)

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

    derives: list[float] = []  # the compute's commission-events step, timed alone after each floor

    def floor_then_derive(branch: Branch) -> float:
        floor = stored_floor_seconds(branch)
        derives.append(derive_seconds(branch))
        return floor

    # The measured phases, each against its own like-for-like floor. A phase added to the month's
    # compute (say, another derivation from the same month) adds its Phase here.
    si_month = Phase(
        key="si_month", work_title="first compute of the month (services.month_compute), one branch after another",
        floor_title="its lines stored the same way (bare table, the lines table's insert triggers, then its indexes)",
        reset=lambda _: reset_all(), work=compute, floor=floor_then_derive)
    phases = [si_month]

    t0 = time.perf_counter()
    parallel_s = compute_with_worker(branches, args.workers, before=previous_month)
    setup_s += time.perf_counter() - t0 - parallel_s
    for _ in range(args.rounds):
        for phase in phases:
            phase.run_round(branches)
    # the month is computed: a second compute with nothing changed writes nothing
    recompute_s = 0.0
    for branch in branches:
        start = time.perf_counter()
        compute(branch)
        recompute_s += time.perf_counter() - start
    indexed_floor_s = sum(indexed_floor_seconds(branch) for branch in branches) if args.indexed_floor else None
    lines = 0
    with schema_context(branches[0].schema_name), connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_index WHERE indrelid = 'social_insurance_contributionline'::regclass")
        n_indexes = cur.fetchone()[0]
    for branch in branches:
        with schema_context(branch.schema_name):
            lines += ContributionLine.objects.filter(period=PERIOD).count()

    si = si_month.summary()
    result = {
        "employees": args.employees, "branches": args.branches, "lines": lines, "period": PERIOD,
        "rounds": args.rounds, "settle": SETTLE, "floor_s": si["floor_s"], "compute_s": si["work_s"], "ratio": si["ratio"],
        **{f"si_month_{k}": v for k, v in si.items() if k not in ("work_s", "floor_s", "ratio")},
        **{f"{p.key}_{k}": v for p in phases[1:] for k, v in p.summary().items()},
        "recompute_s": round(recompute_s, 2), "recompute_ratio": round(recompute_s / si["floor_s"], 2),
        "workers": args.workers, "workers_s": round(parallel_s, 2),
        "workers_ratio": round(parallel_s / si["floor_s"], 2),
        "indexed_floor_s": round(indexed_floor_s, 2) if indexed_floor_s else None,
        "indexed_ratio": round(si["work_s"] / indexed_floor_s, 2) if indexed_floor_s else None,
        "employees_per_s": round(args.employees / si["work_s"]), "setup_s": round(setup_s, 2),
        # Commission events (issue #20): the compute's step that bills service fees and derives the
        # sales, timed alone per branch (a round's sum, median of the rounds); its share of the
        # compute (which includes it).
        "clients_per_branch": args.clients_per_branch,
        "service_fee_charges": sum(DERIVED_CHARGES[-len(branches):]),
    }
    derive_rounds = [sum(derives[i:i + len(branches)]) for i in range(0, len(derives), len(branches))]
    derive_s = statistics.median(derive_rounds)
    result["commission_events_s"] = round(derive_s, 2)
    result["commission_events_share"] = round(derive_s / (si["work_s"] - derive_s), 4)
    # The like-for-like floor first, then what is measured against it.
    print(f"floor: {lines} lines of {args.employees} employees in {args.branches} branches stored as the month's "
          f"first compute stores them (bare table, the lines table's insert triggers, then its {n_indexes} indexes): "
          f"{si['floor_s']:.2f}s (median of {args.rounds}; rounds {si['rounds_floor_s']}"
          f"{'; each timed step, work or floor, after a CHECKPOINT' if SETTLE else ''})")
    print(f"first compute of the month, one branch after another: {si['work_s']:.2f}s (median; rounds "
          f"{si['rounds_work_s']}) → ×{si['ratio']} the floor (rounds {si['rounds_ratio']}; per branch "
          f"{'–'.join(map(str, si['branch_ratios_min_median_max']))} min–median–max)")
    for phase in phases[1:]:
        ps = phase.summary()
        print(f"{phase.work_title}: {ps['work_s']:.2f}s vs {phase.floor_title} {ps['floor_s']:.2f}s → ×{ps['ratio']} "
              f"(rounds {ps['rounds_ratio']})")
    print(f"also: recompute with no change {recompute_s:.2f}s (×{result['recompute_ratio']}); first compute by a "
          f"Celery worker with {args.workers} processes {parallel_s:.2f}s (×{result['workers_ratio']})"
          + (f"; against an INSERT … SELECT into an indexed copy {indexed_floor_s:.2f}s ×{result['indexed_ratio']}"
             if indexed_floor_s else ""))
    print(f"commission events (service fees → sales, markers) for {result['service_fee_charges']} charges: "
          f"{derive_s:.2f}s, +{100 * result['commission_events_share']:.1f}% on the compute without them")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
