"""Benchmark: plan replay (方案回放) of one branch over 12 months, and its equality with a real
recompute under the same draft.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hrsaas_bench python bench/replay.py [--specialists 100]

Generates (in SQL) a throw-away branch `replaybench` with N specialists (default 100), each
opening 8 clients a month over the 24 months up to the last replayed month (a quarter of the
clients end their contract at some point), and every live client's monthly sale of 社保代缴 —
plus 薪酬外包 for one client in three — in each of the 12 replayed months. Then:

- recompute_current_s: the 12 months recomputed under the rules in force (the statements as they are);
- replay_s: `commissions.planning.selectors.replay` of a sales-commission rule draft (new and
  existing rates changed) over the 12 months — the recompute's own SQL with the draft in it, in
  CTEs, both sides (rules in force and draft), summed by month, person and component; nothing written;
- the draft is then published (`rule_draft_publish`, effective the first replayed day) and the 12
  months recomputed for real (recompute_draft_s); every (month, person, component) total of
  the statements is compared with the replay's draft side, to the fen (mismatches must be 0).

All of it after the data runs in one transaction that is rolled back, so the script can be run
again on the same database. The last line printed is JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrsaas.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hrsaas_bench")

UNTIL = "2026-11"
MONTHS = 12
OPENINGS_PER_MONTH = 8
DRAFT = {"component": "sales_commission", "new_client_months": 12, "rates": [
    {"service": "social_insurance", "new": "2.50", "existing": "0.70"},
    {"service": "housing_fund", "new": "2.00", "existing": "1.00"},
    {"service": "payroll_outsourcing", "new": "4.50", "existing": "4.20"}]}


class Rollback(Exception):
    pass


def generate(branch, specialists: int, periods: list[str]) -> dict:
    from django.db import connection

    from branches.models import BranchMembership, User

    s = branch.schema_name
    users = []
    for i in range(specialists):
        u, _ = User.objects.get_or_create(username=f"{branch.code}.s{i}",
                                          defaults={"home_branch": branch, "display_name": f"专员{i + 1:03d}"})
        BranchMembership.objects.get_or_create(user=u, branch=branch, role="specialist")
        users.append(u.pk)
    first_open = f"{int(periods[0][:4]) - 1}-{periods[0][5:]}-01"  # 24 months of openings
    with connection.cursor() as cur:
        cur.execute(f'TRUNCATE "{s}".commissions_statementline, "{s}".commissions_sale, '
                    f'"{s}".commissions_recomputemarker, "{s}".clients_client CASCADE')
        # Openings: per specialist, OPENINGS_PER_MONTH a month over 24 months, spread over the days;
        # headcounts skewed to small firms; one client in four closes 2–20 months after opening.
        cur.execute(
            f'INSERT INTO "{s}".clients_client (name, headcount, opened_on, opened_by_id, services, grade, contract_no, '
            f"city, created_at, credit_code, name_key, closed_on) "
            f"SELECT '客户' || m || '-' || p || '-' || k, "
            f"  1 + ((m * 31 + p * 7 + k * 13) %% 10) * ((m + p + k) %% 30 + 1), "
            f"  (DATE %s + make_interval(months => m) + ((k * 3 + p) %% 28) * interval '1 day')::date, "
            f"  (%s::bigint[])[p], "
            f"  CASE WHEN k %% 3 = 0 THEN ARRAY['social_insurance','payroll_outsourcing'] ELSE ARRAY['social_insurance'] END, "
            f"  'normal', '', '', now(), '', '', "
            f"  CASE WHEN (m + p + k) %% 4 = 0 THEN (DATE %s + make_interval(months => m + 2 + (p + k) %% 19))::date END "
            f"FROM generate_series(0, 23) m, generate_series(1, %s) p, generate_series(1, %s) k",
            [first_open, users, first_open, len(users), OPENINGS_PER_MONTH])
        # Sales: every client live in a replayed month pays for each contracted service that month.
        cur.execute(
            f'INSERT INTO "{s}".commissions_sale (client_id, client_opened_on, service, period, amount, seller_id, created_at) '
            f"SELECT c.id, c.opened_on, svc, per, 500 + (c.id * 37 + length(per)) %% 4500 + (c.id %% 100) / 100.0, "
            f"  c.opened_by_id, now() "
            f'FROM "{s}".clients_client c, unnest(c.services) svc, unnest(%s::varchar[]) per '
            f"WHERE to_char(c.opened_on, 'YYYY-MM') <= per "
            f"  AND (c.closed_on IS NULL OR to_char(c.closed_on, 'YYYY-MM') > per)",
            [periods])
        cur.execute(f'ANALYZE "{s}".clients_client; ANALYZE "{s}".commissions_sale; ANALYZE public.branches_user')
        cur.execute(f'SELECT count(*) FROM "{s}".clients_client')
        clients = cur.fetchone()[0]
        cur.execute(f'SELECT count(*) FROM "{s}".commissions_sale')
        sales = cur.fetchone()[0]
    return {"specialists": len(users), "clients": clients, "sales": sales}


def stored_totals(periods) -> dict:
    from commissions.models import StatementLine

    out: dict = {}
    for period, earner, component, amount in StatementLine.objects.filter(
            period__in=periods, corrects__isnull=True).values_list("period", "earner_id", "component", "amount"):
        key = (period, earner, component)
        out[key] = out.get(key, Decimal(0)) + amount
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--specialists", type=int, default=100)
    args = parser.parse_args()
    from recompute import ensure_database, make_branch, setup_django

    ensure_database()
    setup_django()
    from django.core.management import call_command
    from django.db import transaction
    from django_tenants.utils import schema_context

    call_command("migrate", verbosity=0)
    from commissions import services
    from commissions.hq.services import parse_rule_version
    from commissions.planning import selectors, services as planning

    periods = selectors.replay_window(MONTHS, until=UNTIL)
    branch = make_branch("replaybench")
    t = time.perf_counter()
    sizes = generate(branch, args.specialists, periods)
    setup_s = time.perf_counter() - t
    print(f"branch replaybench: {sizes['specialists']} specialists, {sizes['clients']} clients opened over 24 months, "
          f"{sizes['sales']} sales in {periods[0]}..{periods[-1]} (setup {setup_s:.1f} s)", flush=True)
    result = {}
    try:
        with transaction.atomic(), schema_context(branch.schema_name):
            t = time.perf_counter()
            for p in periods:
                services.recompute_period(period=p)
            result["recompute_current_s"] = round(time.perf_counter() - t, 2)
            before = stored_totals(periods)
            data = parse_rule_version(dict(DRAFT, effective_from=f"{periods[0]}-01", note="bench"))
            draft = planning.rule_draft_create(actor=None, data=data)
            t = time.perf_counter()
            replay = selectors.replay(draft=planning.rule_draft_as_data(draft), periods=periods, branches=[branch])
            result["replay_s"] = round(time.perf_counter() - t, 2)
            rows = replay.rows
            current = {(r.period, r.earner_id, r.component): r.current for r in rows if r.current_lines}
            drafted = {(r.period, r.earner_id, r.component): r.draft for r in rows if r.draft_lines}
            assert stored_totals(periods) == before  # the replay wrote nothing
            result["current_side_mismatches"] = sum(1 for k in set(current) | set(before)
                                                    if current.get(k) != before.get(k))
            planning.rule_draft_publish(actor=None, draft_id=draft.pk)
            t = time.perf_counter()
            for p in periods:
                services.recompute_period(period=p)
            result["recompute_draft_s"] = round(time.perf_counter() - t, 2)
            after = stored_totals(periods)
            result["draft_side_mismatches"] = sum(1 for k in set(drafted) | set(after) if drafted.get(k) != after.get(k))
            result.update(
                months=len(periods), lines_per_side=replay.summary.lines, cells=len(after),
                people=len({k[1] for k in after}),
                total_current=f"{replay.summary.total.current:.2f}", total_draft=f"{replay.summary.total.draft:.2f}",
                total_recomputed=f"{sum(after.values(), Decimal(0)):.2f}",
                gainers=len(replay.summary.gainers), losers=len(replay.summary.losers))
            raise Rollback
    except Rollback:
        pass
    result.update(sizes)
    print(f"replay of {result['months']} months, {result['lines_per_side']} lines per side: {result['replay_s']} s; "
          f"real recompute under the draft {result['recompute_draft_s']} s; mismatches "
          f"{result['current_side_mismatches']} (rules in force) and {result['draft_side_mismatches']} (draft) over "
          f"{result['cells']} month × person × component totals", flush=True)
    print(json.dumps(result))
    if result["draft_side_mismatches"] or result["current_side_mismatches"] or result["replay_s"] > 30:
        sys.exit(1)


if __name__ == "__main__":
    main()
