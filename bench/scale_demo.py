"""Demo data at load-test scale: 20 branches × 100 specialists × a year of activity.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hrsaas_load python bench/scale_demo.py [--branches 20]
        [--specialists 100] [--months 12] [--openings 2]

In its own database (created and migrated if needed; re-runnable: a branch already there is
refilled). Per branch `l01`…: a manager and N specialists (home branch = that branch, API token
each); every specialist opens `--openings` clients a month for `--months` months (ending this
month), and each client bills a monthly sale for every month from its opening on (alternating
social insurance / housing fund), plus marketing leads, a third of them signed. Then every
branch-period is recomputed through the production service, so statements and HQ's rollup
(leaderboards) are filled. Prints a JSON line of counts and timings.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrsaas.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hrsaas_load")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "bench-only-secret-key-not-for-production-0123456789")  # as bench/load.py


def periods_back(months: int, today: dt.date) -> list[str]:
    out, y, m = [], today.year, today.month
    for _ in range(months):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return sorted(out)


def fill_branch(branch, people: list[int], periods: list[str], openings: int) -> dict:
    from django.db import connection

    s = branch.schema_name
    first = periods[0]
    n_months = len(periods)
    with connection.cursor() as cur:
        cur.execute(f'TRUNCATE "{s}".commissions_statementline, "{s}".commissions_sale, "{s}".commissions_lead, '
                    f'"{s}".commissions_recomputemarker, "{s}".clients_client CASCADE')
        # clients: person p opens `openings` a month, on varied days
        cur.execute(
            f'INSERT INTO "{s}".clients_client (name, headcount, opened_on, opened_by_id, services, grade, contract_no, '
            f"city, created_at) "
            f"SELECT '客户' || p.i || '-' || mo || '-' || k, 5 + (p.i * 37 + mo * 11 + k * 7) %% 400, "
            f"(DATE '{first}-01' + make_interval(months => mo))::date + ((p.i + k * 9) %% 28)::int, p.id, "
            f"ARRAY['social_insurance','housing_fund'], 'normal', '', 'beijing', now() "
            f"FROM unnest(%s::bigint[]) WITH ORDINALITY p(id, i), generate_series(0, %s) mo, generate_series(1, %s) k",
            [people, n_months - 1, openings])
        # sales: every client bills every month from its opening month to the last period
        cur.execute(
            f'INSERT INTO "{s}".commissions_sale (client_id, client_opened_on, service, period, amount, seller_id, '
            f"created_at) "
            f"SELECT c.id, c.opened_on, CASE WHEN (c.id + mo) %% 2 = 0 THEN 'social_insurance' ELSE 'housing_fund' END, "
            f"to_char(date_trunc('month', c.opened_on) + make_interval(months => mo), 'YYYY-MM'), "
            f"(1000 + (c.id * 7919 + mo * 104729) %% 900000) / 100.0, c.opened_by_id, now() "
            f'FROM "{s}".clients_client c, generate_series(0, %s) mo '
            f"WHERE date_trunc('month', c.opened_on) + make_interval(months => mo) <= DATE '{periods[-1]}-01'",
            [n_months - 1])
        # leads: 3 a month per person (as marketer), one in three signed by the next person
        cur.execute(
            f'INSERT INTO "{s}".commissions_lead (name, source, marketer_id, qualified, created_on, seller_id, amount, '
            f"signed_on, created_at) "
            f"SELECT '线索' || p.i || '-' || mo || '-' || k, 'marketing', p.id, true, "
            f"(DATE '{first}-01' + make_interval(months => mo))::date + k::int * 5, "
            f"CASE WHEN k = 1 THEN (%s::bigint[])[1 + p.i %% %s] END, CASE WHEN k = 1 THEN 5000.00 END, "
            f"CASE WHEN k = 1 THEN (DATE '{first}-01' + make_interval(months => mo))::date + 20 END, now() "
            f"FROM unnest(%s::bigint[]) WITH ORDINALITY p(id, i), generate_series(0, %s) mo, generate_series(1, 3) k",
            [people, len(people), people, n_months - 1])
        cur.execute(f'ANALYZE "{s}".clients_client; ANALYZE "{s}".commissions_sale; ANALYZE "{s}".commissions_lead')
        counts = {}
        for table in ("clients_client", "commissions_sale", "commissions_lead"):
            cur.execute(f'SELECT count(*) FROM "{s}".{table}')
            counts[table] = cur.fetchone()[0]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--branches", type=int, default=20)
    parser.add_argument("--specialists", type=int, default=100)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--openings", type=int, default=2, help="clients opened per specialist per month")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "scripts"))
    from launch import _ensure_database

    _ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import schema_context

    from bench import faults_lib
    from branches import services as branch_services
    from branches.models import Branch, BranchMembership, User
    from commissions import services

    t0 = time.perf_counter()
    call_command("migrate_schemas", "--shared", verbosity=0)
    branch_services.ensure_public_tenant()
    periods = periods_back(args.months, dt.date.today())
    totals = {"clients_client": 0, "commissions_sale": 0, "commissions_lead": 0}
    timings = {"create_branches_s": 0.0, "fill_s": 0.0, "recompute_s": 0.0}
    branches = []
    for i in range(1, args.branches + 1):
        code = f"l{i:02d}"
        t = time.perf_counter()
        branch = Branch.objects.filter(code=code).first() or branch_services.branch_create(
            actor=None, data=branch_services.BranchInput(code=code, name=f"负载{i:02d}分公司", city="beijing"))
        timings["create_branches_s"] += time.perf_counter() - t
        t = time.perf_counter()
        people = faults_lib.make_people(branch, args.specialists, prefix=f"{code}.s")
        manager, _ = User.objects.get_or_create(username=f"{code}.manager", defaults={"home_branch": branch})
        BranchMembership.objects.get_or_create(user=manager, branch=branch, role="branch_manager")
        counts = fill_branch(branch, people, periods, args.openings)
        for k, v in counts.items():
            totals[k] += v
        timings["fill_s"] += time.perf_counter() - t
        branches.append(branch)
        print(f"{code}: {counts}", file=sys.stderr, flush=True)
    t = time.perf_counter()
    lines = 0
    rules = services.rulebook_load()
    for branch in branches:
        with schema_context(branch.schema_name):
            for period in periods:
                lines += services.recompute_period(period=period, rules=rules).lines
    timings["recompute_s"] = time.perf_counter() - t
    connection.set_schema_to_public()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE public.commissions_hq_earnermonthrollup")
    print(json.dumps({"branches": args.branches, "specialists_per_branch": args.specialists, "periods": periods,
                      "events": totals, "statement_lines": lines,
                      **{k: round(v, 1) for k, v in timings.items()}, "total_s": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
