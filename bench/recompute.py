"""Benchmark: a full commission recompute of one branch-period against the database floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hrsaas_bench python bench/recompute.py [--events N]

Generates (in SQL) a throw-away branch `bench` with N/2 clients opened in one month and N/2
sales in that month (N events → N statement lines), then times

- recompute_s: `commissions.services.recompute_period` — the production path (lock, marker
  delete, DELETE + INSERT … SELECT of the generated rule SQL, rollup upsert), first run on an
  empty period;
- recompute_again_s: the same once more, nothing changed (lines already there: the wanted lines
  are compared with the stored ones and nothing is written);
- recompute_one_event_s: one more sale inserted, then a full recompute of the branch-period
  (compares every line, writes that one);
- drain_one_event_s: one more sale recorded through the service (its marker names the seller),
  then the drain — what the worker does after an event: only the seller's lines are recomputed
  (issue #25);
- floor_s: one plain INSERT … SELECT writing the same number of lines from the same events into a
  table shaped like the statement lines (same columns and indexes), with constant rules.

The last line printed is JSON: {"events", "lines", "recompute_s", "floor_s", "ratio", …}.
With `--latency [K]` (default 50) it also starts a real Celery worker and measures event →
statement visible (p50/p95) over K sales recorded through the service in the same branch-month
of N lines (each a new client of one of the branch's 200 specialists, who already has N/200
lines that month).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrsaas.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hrsaas_bench")

PERIOD = "2026-03"


def setup_django():
    import django

    django.setup()


def ensure_database():
    import dj_database_url
    import psycopg2

    cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
    conn = psycopg2.connect(host=cfg["HOST"], port=cfg["PORT"], user=cfg["USER"], dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    conn.close()


def make_branch(code: str):
    from branches import services as branch_services
    from branches.models import Branch

    branch = Branch.objects.filter(code=code).first()
    if branch is None:
        branch = branch_services.branch_create(actor=None, data=branch_services.BranchInput(code=code, name=code, city="beijing"))
    return branch


def generate(branch, events: int, people: int = 200) -> None:
    from django.db import connection

    from branches.models import BranchMembership, User

    s = branch.schema_name
    users = []
    for i in range(people):
        u, _ = User.objects.get_or_create(username=f"{branch.code}.s{i}", defaults={"home_branch": branch})
        BranchMembership.objects.get_or_create(user=u, branch=branch, role="specialist")
        users.append(u.pk)
    n_clients, n_sales = events // 2, events - events // 2
    with connection.cursor() as cur:
        cur.execute(f'TRUNCATE "{s}".commissions_statementline, "{s}".commissions_sale, "{s}".commissions_recomputemarker, '
                    f'"{s}".clients_client CASCADE')
        cur.execute(
            f'INSERT INTO "{s}".clients_client (name, headcount, opened_on, opened_by_id, services, grade, contract_no, city, created_at) '
            f"SELECT 'c' || g, 1 + (g::bigint * 7919) %% 300, DATE '{PERIOD}-01' + (g %% 31), (%s::bigint[])[1 + g %% %s], "
            f"ARRAY['social_insurance'], 'normal', '', '', now() FROM generate_series(1, %s) g",
            [users, len(users), n_clients],
        )
        cur.execute(
            f'INSERT INTO "{s}".commissions_sale (client_id, client_opened_on, service, period, amount, seller_id, created_at) '
            f"SELECT c.id, c.opened_on, (ARRAY['social_insurance','housing_fund','payroll_outsourcing'])[1 + c.id %% 3], "
            f"'{PERIOD}', ((c.id * 104729) %% 10000000) / 100.0 + 1, c.opened_by_id, now() "
            f'FROM "{s}".clients_client c ORDER BY c.id LIMIT %s',
            [n_sales],
        )
        cur.execute(f'ANALYZE "{s}".clients_client; ANALYZE "{s}".commissions_sale; ANALYZE public.branches_user')


def floor_run(branch) -> tuple[float, int]:
    """One plain INSERT … SELECT of the same number of lines from the same events."""
    from django.db import connection, transaction

    s = branch.schema_name
    with connection.cursor() as cur:
        cur.execute(f'DROP TABLE IF EXISTS "{s}".bench_floor')
        cur.execute(f'CREATE TABLE "{s}".bench_floor (LIKE "{s}".commissions_statementline INCLUDING ALL)')
    t = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f'INSERT INTO "{s}".bench_floor (period, earner_id, source, component, corrects, corrects_period, '
            f"source_branch_id, event_date, rule_version_id, base, rate, adjustment_percent, amount, home_rules_applied) "
            f"SELECT '{PERIOD}', c.opened_by_id, 'c' || c.id, 'opening_reward', NULL, NULL, {branch.id}, c.opened_on, 1, "
            f"800, 100, 0, 800, false FROM \"{s}\".clients_client c "
            f"WHERE c.opened_on BETWEEN DATE '{PERIOD}-01' AND DATE '{PERIOD}-31' "
            f"UNION ALL SELECT '{PERIOD}', s.seller_id, 's' || s.id, 'sales_commission', NULL, NULL, {branch.id}, "
            f"DATE '{PERIOD}-01', 3, s.amount, 1, 0, round(s.amount * 0.01, 2), false "
            f"FROM \"{s}\".commissions_sale s WHERE s.period = '{PERIOD}'"
        )
        rows = cur.rowcount
    elapsed = time.perf_counter() - t
    with connection.cursor() as cur:
        cur.execute(f'DROP TABLE "{s}".bench_floor')
    return elapsed, rows


def recompute_run(branch) -> tuple[float, int]:
    from django_tenants.utils import schema_context

    from commissions import services

    with schema_context(branch.schema_name):
        t = time.perf_counter()
        result = services.recompute_period(period=PERIOD)
        return time.perf_counter() - t, result.lines


def _sale_with_new_client(branch, seller, n: int):
    """A new client of `seller` opened on the period's first day (no marker of its own) and its
    sale recorded through the service — the event (marker naming the seller, drain on commit)."""
    import datetime as dt
    from decimal import Decimal

    from clients.models import Client
    from commissions import services

    client = Client.objects.create(name=f"lat{n}-{time.time_ns()}", headcount=10, services=["social_insurance"],
                                   opened_on=dt.date.fromisoformat(f"{PERIOD}-01"), opened_by=seller)
    return services.sale_create(actor=None, data=services.SaleInput(
        client_id=client.pk, service="social_insurance", period=PERIOD, amount=Decimal("1000.00"), seller=seller))


def drain_one_event(branch) -> float:
    """One sale recorded through the service, then the drain in this process (per-earner)."""
    from django_tenants.utils import schema_context

    from branches.models import User
    from commissions import services

    seller = User.objects.get(username=f"{branch.code}.s7")
    with schema_context(branch.schema_name):
        _sale_with_new_client(branch, seller, 0)
        t = time.perf_counter()
        results = services.recompute_drain()
        elapsed = time.perf_counter() - t
    assert [r.mode for r in results] == ["earners"], results
    return elapsed


def latency(branch, samples: int) -> dict:
    """Event → statement visible through a real worker, in the branch-month of N lines."""
    import redis
    from django_tenants.utils import schema_context

    from branches.models import User
    from commissions.models import StatementLine

    redis_url = os.environ["CELERY_BROKER_URL"]  # set by main() before Django starts
    redis.Redis.from_url(redis_url).flushdb()
    env = dict(os.environ, REDIS_URL=redis_url, CELERY_BROKER_URL=redis_url)
    log = open(ROOT / ".bench-worker.log", "w")
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "hrsaas", "worker", "-P", "solo", "-l", "WARNING",
                               "--without-gossip", "--without-mingle", "-n", "bench@%h"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        time.sleep(6)
        sellers = list(User.objects.filter(username__startswith=f"{branch.code}.s").order_by("pk"))
        times = []
        with schema_context(branch.schema_name):
            for i in range(samples):
                seller = sellers[(i * 37) % len(sellers)]
                t = time.perf_counter()
                sale = _sale_with_new_client(branch, seller, i + 1)
                source = f"{branch.code}:sale:{sale.pk}"
                deadline = t + 30
                while not StatementLine.objects.filter(period=PERIOD, earner=seller, source=source).exists():
                    if time.perf_counter() > deadline:
                        raise RuntimeError("line not visible within 30 s")
                    time.sleep(0.005)
                times.append(time.perf_counter() - t)
                time.sleep(0.2)  # one event at a time, as a person records them
            lines = StatementLine.objects.filter(period=PERIOD).count()
        times.sort()
        return {"latency_samples": samples, "latency_lines_in_period": lines,
                "latency_p50_s": round(statistics.median(times), 3),
                "latency_p95_s": round(times[int(0.95 * (len(times) - 1))], 3),
                "latency_max_s": round(times[-1], 3)}
    finally:
        worker.terminate()
        worker.wait(timeout=10)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--latency", type=int, nargs="?", const=50, default=0,
                        help="also measure event → statement over K events (default 50) with a real worker")
    args = parser.parse_args()
    if args.latency:  # the broker must be chosen before Django and Celery read their settings
        url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
        os.environ["REDIS_URL"] = os.environ["CELERY_BROKER_URL"] = url
    ensure_database()
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from branches import services as branch_services

    branch_services.ensure_public_tenant()
    branch = make_branch("bench")
    t = time.perf_counter()
    generate(branch, args.events)
    gen_s = time.perf_counter() - t
    connection.set_schema_to_public()
    with connection.cursor() as cur:
        cur.execute(f'SELECT count(*) FROM "{branch.schema_name}".clients_client')  # warm the cache
        cur.execute(f'SELECT count(*) FROM "{branch.schema_name}".commissions_sale')
        cur.execute("CHECKPOINT")
    floor1, floor_rows = floor_run(branch)
    with connection.cursor() as cur:
        cur.execute("CHECKPOINT")
    recompute_s, lines = recompute_run(branch)
    with connection.cursor() as cur:
        cur.execute("CHECKPOINT")
    again_s, again_lines = recompute_run(branch)
    with connection.cursor() as cur:
        cur.execute("CHECKPOINT")
        cur.execute(f'INSERT INTO "{branch.schema_name}".commissions_sale (client_id, client_opened_on, service, period, '
                    f"amount, seller_id, created_at) SELECT c.id, c.opened_on, "
                    f"(ARRAY['housing_fund','payroll_outsourcing','social_insurance'])[1 + c.id % 3], '{PERIOD}', 1234.56, "
                    f'c.opened_by_id, now() FROM "{branch.schema_name}".clients_client c ORDER BY c.id DESC LIMIT 1')
    one_event_s, one_event_lines = recompute_run(branch)
    with connection.cursor() as cur:
        cur.execute("CHECKPOINT")
    drain_s = drain_one_event(branch)
    connection.set_schema_to_public()
    with connection.cursor() as cur:
        cur.execute("CHECKPOINT")
    floor2, _ = floor_run(branch)
    floor_s = (floor1 + floor2) / 2
    out = {"events": args.events, "lines": lines, "floor_lines": floor_rows, "recompute_s": round(recompute_s, 3),
           "floor_s": round(floor_s, 3), "ratio": round(recompute_s / floor_s, 3),
           "recompute_again_s": round(again_s, 3), "ratio_again": round(again_s / floor_s, 3),
           "recompute_one_event_s": round(one_event_s, 3), "ratio_one_event": round(one_event_s / floor_s, 3),
           "drain_one_event_s": round(drain_s, 3),
           "floor_runs_s": [round(floor1, 3), round(floor2, 3)], "generate_s": round(gen_s, 1)}
    assert lines == again_lines == floor_rows == args.events and one_event_lines == args.events + 1, out
    if args.latency:
        out.update(latency(branch, args.latency))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
