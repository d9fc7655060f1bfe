"""Ten recomputes of the same branch-period started at once (ten database connections): one
result, identical to a single run, and none fails with a database error (they queue on the
branch-period's advisory lock)."""
from __future__ import annotations

import json
import os
import threading
import time

from django.db import connection
from django_tenants.utils import schema_context

from bench import faults_lib

PERIOD = "2026-03"
EVENTS = int(os.environ.get("FAULT_CONCURRENT_EVENTS", "20000"))
RUNS = 10


def test_ten_simultaneous_recomputes_give_one_result(committed_branch):
    from commissions import services

    schema = committed_branch.schema_name
    people = faults_lib.make_people(committed_branch, 20)
    faults_lib.generate_events(committed_branch, people, EVENTS, PERIOD)
    start = threading.Barrier(RUNS)
    results, errors, times = [], [], []

    def run():
        try:
            start.wait()
            t = time.perf_counter()
            with schema_context(schema):
                results.append(services.recompute_period(period=PERIOD))
            times.append(time.perf_counter() - t)
        except Exception as exc:  # noqa: BLE001 — collected and reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(RUNS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert errors == []
    assert [(r.mode, r.lines) for r in results] == [("lines", EVENTS)] * RUNS
    concurrent = faults_lib.statement_digest(schema, PERIOD)
    with schema_context(schema):
        services.recompute_period(period=PERIOD)
    single = faults_lib.statement_digest(schema, PERIOD)
    assert concurrent == single
    assert single["lines"] == EVENTS and single["duplicate_keys"] == 0
    print("FIGURES " + json.dumps({"drill": "concurrent_recompute", "runs": RUNS, "lines": EVENTS, "errors": 0,
                                   "fastest_s": round(min(times), 2), "slowest_s": round(max(times), 2)}))
