"""A Celery worker SIGKILLed in the middle of a large recompute: once a new worker runs, the
statements are exactly what an undisturbed recompute produces (no lost, no duplicated lines),
and nobody re-triggers anything — the marker left in the database is drained by beat."""
from __future__ import annotations

import json
import os
import time

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from bench import faults_lib

pytestmark = pytest.mark.worker

PERIOD = "2026-03"
EVENTS = int(os.environ.get("FAULT_KILL_EVENTS", "100000"))  # bench/faults_drills.py: 1,000,000


def _insert_running(schema: str) -> int | None:
    """The pid of the backend running a recompute's INSERT of statement lines in the test database
    (only this test recomputes at this time; the query text shown is cut before the schema names)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
                    "AND pid <> pg_backend_pid() AND query LIKE %s", ["%INSERT INTO commissions_statementline%"])
        row = cur.fetchone()
    return row[0] if row else None


def _markers(schema: str) -> int:
    with connection.cursor() as cur:
        cur.execute(f'SELECT count(*) FROM "{schema}".commissions_recomputemarker')
        return cur.fetchone()[0]


def test_worker_killed_mid_recompute_loses_and_duplicates_nothing(committed_branch, own_redis, test_db_url, procs,
                                                                     tmp_path):
    from commissions import services
    from commissions.models import RecomputeMarker

    schema = committed_branch.schema_name
    people = faults_lib.make_people(committed_branch, 40)
    faults_lib.generate_events(committed_branch, people, EVENTS, PERIOD)
    with schema_context(schema):
        RecomputeMarker.objects.create(period=PERIOD)  # what the events' transaction leaves behind

    env = faults_lib.app_env(test_db_url, own_redis.url)
    worker = faults_lib.start_worker(env, tmp_path, name="worker-a")
    procs.append(worker)
    procs.append(faults_lib.start_beat(env, tmp_path, interval=1.0))

    backend = faults_lib.wait_until(lambda: _insert_running(schema), 60, "recompute INSERT running", interval=0.01)
    insert_seen = time.monotonic()
    # SIGKILL at once, mid-INSERT: an INSERT of this size can finish within a fraction of a
    # second, so waiting first would sometimes kill a worker that has already committed.
    worker.kill()
    killed_at = time.monotonic()

    # The killed worker's transaction is rolled back by PostgreSQL: nothing half-written (no line
    # and the marker still there show it was killed before its commit).
    faults_lib.wait_until(lambda: _insert_running(schema) != backend, 60, "killed backend gone", interval=0.05)
    assert faults_lib.statement_digest(schema, PERIOD)["lines"] == 0
    assert _markers(schema) == 1

    procs.append(faults_lib.start_worker(env, tmp_path, name="worker-b"))
    faults_lib.wait_until(lambda: _markers(schema) == 0, 90, "markers drained by the new worker", interval=0.2)
    recovered_s = time.monotonic() - killed_at
    after = faults_lib.statement_digest(schema, PERIOD)

    with schema_context(schema):  # the undisturbed run, for comparison
        services.recompute_period(period=PERIOD)
    undisturbed = faults_lib.statement_digest(schema, PERIOD)

    assert after == undisturbed
    assert after["lines"] == EVENTS and after["duplicate_keys"] == 0
    print("FIGURES " + json.dumps({"drill": "worker_kill", "lines": EVENTS, "killed_after_s": round(killed_at - insert_seen, 2),
                                   "recovered_s": round(recovered_s, 1), "lost": 0, "duplicated": 0}))
