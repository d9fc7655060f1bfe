"""Benchmark: compute one appraisal cycle for N people × 10 indicators (set-based, bulk writes).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hrsaas_perf python bench/performance_cycle.py [--people 10000]

Needs a migrated database (`python manage.py migrate`). Creates a throw-away branch, fills it with
people, departments, a template of 10 indicators, clients (openings), entered values and survey
answers (bulk, COPY), times `services.cycle_compute` twice (first compute, then a recompute that
upserts), then drops the branch and its users. Prints sizes and seconds; the last line is JSON.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrsaas.settings")
os.environ.setdefault("HRSAAS_TESTING", "1")  # a fixed dev key; nothing here is served

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

INDICATORS = [
    # code, metric, weight, target, direction, formula, params
    ("open", "openings", 15, 4, "higher", "capped", {"cap": 120}),
    ("sales", "sales", 15, 100000, "higher", "linear", {}),
    ("comm", "commission", 10, 2000, "higher", "linear", {}),
    ("quality", "quality", 10, 95, "higher", "thresholds",
     {"steps": [{"at": 80, "score": 60}, {"at": 90, "score": 80}, {"at": 95, "score": 100}]}),
    ("exc", "exception_hours", 10, 24, "lower", "linear", {}),
    ("claims", "claim_days", 10, 2, "lower", "linear", {}),
    ("survey", "survey_score", 10, 10, "higher", "linear", {}),
    ("entered", "entered", 5, 50, "higher", "linear", {}),
    ("att", "attendance_anomalies", 5, 1, "lower", "linear", {}),
    ("review", "peer_review", 10, 10, "higher", "linear", {}),
]
DEPARTMENTS = 10


def copy_rows(table: str, columns: list[str], rows) -> int:
    buf = io.StringIO()
    n = 0
    for row in rows:
        buf.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
        n += 1
    buf.seek(0)
    with connection.cursor() as cur:
        cur.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buf)
    return n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the branch afterwards")
    args = parser.parse_args()

    from branches import services as branch_services
    from branches.models import Branch, User
    from performance import services
    from performance.engine import IndicatorSpec
    from performance.models import Score, ScoreLine

    rnd = random.Random(42)
    code = "bench" + uuid.uuid4().hex[:6]
    t0 = time.perf_counter()
    branch_services.ensure_public_tenant()
    branch = branch_services.branch_create(actor=None, data=branch_services.BranchInput(code=code, name=code, city="beijing"))
    schema_seconds = time.perf_counter() - t0
    sizes: dict[str, int] = {"people": args.people, "indicators_per_person": len(INDICATORS)}
    try:
        t1 = time.perf_counter()
        with transaction.atomic():
            users = User.objects.bulk_create(
                [User(username=f"{code}_{n}", password="!", display_name=f"P{n}") for n in range(args.people)],
                batch_size=5000)
        user_ids = [u.pk for u in users]
        with schema_context(branch.schema_name), transaction.atomic():
            depts = [services.department_create(actor=None, code=f"d{n:02d}", name=f"部门{n}") for n in range(DEPARTMENTS)]
            dept_of = {uid: depts[i % DEPARTMENTS].pk for i, uid in enumerate(user_ids)}
            sizes["members"] = copy_rows("performance_departmentmember", ["department_id", "user_id", "role", "position"],
                                         ((d, u, "member", "") for u, d in dept_of.items()))
            specs = tuple(IndicatorSpec(c, c, m, Decimal(w), Decimal(t), d, f, p) for c, m, w, t, d, f, p in INDICATORS)
            for dept in depts:
                services.template_create(actor=None, code=f"t-{dept.code}", name=dept.name, department=dept,
                                         first=services.VersionInput("all", "", (), date(2026, 1, 1), specs))
            sizes["clients"] = copy_rows(
                "clients_client", ["name", "headcount", "opened_on", "opened_by_id", "services", "grade", "contract_no",
                                   "city", "created_at"],
                ((f"c{n}", rnd.randint(5, 300), date(2026, 3, rnd.randint(1, 31)), rnd.choice(user_ids), "{}",
                  "normal", "", "", "2026-03-01 00:00:00+08") for n in range(args.people * 2)))
            per_person = ["sales", "commission", "quality", "exception_hours", "entered", "attendance_anomalies"]
            gen = {"sales": lambda: rnd.randint(20000, 160000), "commission": lambda: rnd.randint(200, 4000),
                   "quality": lambda: rnd.randint(70, 100), "exception_hours": lambda: rnd.randint(4, 48),
                   "entered": lambda: rnd.randint(0, 80), "attendance_anomalies": lambda: rnd.choice([0, 0, 0, 1, 2, 4])}
            sizes["entered_values"] = copy_rows(
                "performance_enteredvalue", ["period", "metric", "user_id", "value", "entered_at"],
                (("2026-03", m, u, gen[m](), "2026-03-31 00:00:00+08") for u in user_ids for m in per_person))
            sizes["entered_values"] += copy_rows(
                "performance_enteredvalue", ["period", "metric", "department_id", "value", "entered_at"],
                (("2026-03", "claim_days", d.pk, "1.80", "2026-03-31 00:00:00+08") for d in depts))
            cycle = services.cycle_create(actor=None, period="2026-03")
            surveys = [services.survey_create(actor=None, cycle=cycle, target_department=d, title="满意度") for d in depts]
            answers = []
            for n, u in enumerate(user_ids[: args.people // 5]):
                target = surveys[(n + 1) % DEPARTMENTS]
                if target.target_department_id != dept_of[u]:
                    answers.append((target.pk, u, "满意", 10, "2026-03-31 00:00:00+08"))
            sizes["survey_answers"] = copy_rows("performance_surveyanswer",
                                                ["survey_id", "respondent_id", "answer", "points", "created_at"], answers)
            reviews = [(cycle.pk, u, user_ids[(i + 1) % len(user_ids)], rnd.randint(5, 10), "", "2026-03-31 00:00:00+08")
                       for i, u in enumerate(user_ids) if dept_of[u] != dept_of[user_ids[(i + 1) % len(user_ids)]]]
            sizes["reviews"] = copy_rows("performance_review",
                                         ["cycle_id", "subject_id", "reviewer_id", "points", "comment", "created_at"], reviews)
        setup_seconds = time.perf_counter() - t1
        print(f"branch schema created in {schema_seconds:.2f} s; data set up in {setup_seconds:.2f} s")
        print("sizes: " + ", ".join(f"{k}={v}" for k, v in sizes.items()))

        with schema_context(branch.schema_name):
            t2 = time.perf_counter()
            first = services.cycle_compute(cycle_id=cycle.pk)
            compute_seconds = time.perf_counter() - t2
            print(f"first compute: {first['scores']} scores, {first['lines']} lines, "
                  f"{first['risk_flags']} risk flags in {compute_seconds:.2f} s")
            t3 = time.perf_counter()
            again = services.cycle_compute(cycle_id=cycle.pk)
            recompute_seconds = time.perf_counter() - t3
            print(f"recompute (upsert): {again['scores']} scores, {again['lines']} lines in {recompute_seconds:.2f} s")
            check = (Score.objects.filter(cycle=cycle).count(), ScoreLine.objects.filter(score__cycle=cycle).count())
        ok = check == (args.people, args.people * len(INDICATORS)) and compute_seconds < 30 and recompute_seconds < 30
        print(json.dumps({"people": args.people, "indicators": len(INDICATORS), "scores": check[0], "lines": check[1],
                          "compute_seconds": round(compute_seconds, 2), "recompute_seconds": round(recompute_seconds, 2),
                          "setup_seconds": round(setup_seconds, 2), "under_30s": ok}))
    finally:
        if not args.keep:
            connection.set_schema_to_public()
            Branch.objects.get(pk=branch.pk).delete(force_drop=True)
            # Raw delete: these users have no memberships, tokens or history (bulk-created), and the
            # ORM's cascade would look for branch-only history tables in public.
            qs = User.objects.filter(username__startswith=f"{code}_")
            qs._raw_delete(qs.db)


if __name__ == "__main__":
    main()
