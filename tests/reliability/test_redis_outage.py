"""Redis (broker and cache; it keeps nothing on disk) stopped and restarted while events are
being recorded through the web server: every event recorded during the outage reaches the
statements once Redis is back, without anyone re-triggering anything (the recompute markers
written with the events are drained by beat)."""
from __future__ import annotations

import json
import os
import time

import pytest
from django.db import connection
from branches.models import ApiToken as Token

from bench import faults_lib
from tests.factories import make_user

pytestmark = pytest.mark.worker

DURING = int(os.environ.get("FAULT_REDIS_EVENTS", "6"))  # events recorded while Redis is down
# Beat drains markers every 30 s in production; the suite uses 2 s (bench/faults_drills.py uses 30).
BEAT_INTERVAL = float(os.environ.get("FAULT_BEAT_INTERVAL", "2"))


def _lines_for(schema: str, sources: list[str]) -> int:
    with connection.cursor() as cur:
        cur.execute(f'SELECT count(*) FROM "{schema}".commissions_statementline WHERE source = ANY(%s)', [sources])
        return cur.fetchone()[0]


def test_events_recorded_while_redis_is_down_reach_the_statements(committed_branch, own_redis, test_db_url, procs,
                                                                     tmp_path):
    code, schema = committed_branch.code, committed_branch.schema_name
    staff = make_user(f"{code}_staff", (code, "branch_staff"), home=code)
    seller = make_user(f"{code}_s1", (code, "specialist"), home=code)
    token = Token.objects.create(user=staff).key

    env = faults_lib.app_env(test_db_url, own_redis.url)
    port = faults_lib.free_port()
    web = faults_lib.start_gunicorn(env, tmp_path, port, workers=1)
    procs.append(web)
    procs.append(faults_lib.start_worker(env, tmp_path))
    procs.append(faults_lib.start_beat(env, tmp_path, interval=BEAT_INTERVAL))
    base = f"http://127.0.0.1:{port}/b/{code}/api/v1"

    status, body, _ = faults_lib.http("POST", f"{base}/clients/", token=token, body={
        "name": "大客户", "headcount": 500, "opened_on": "2020-01-05", "opened_by": seller.username,
        "services": ["social_insurance"]})
    assert status == 201, body
    client_id = body["id"]
    months = iter(f"{2021 + i // 12}-{1 + i % 12:02d}" for i in range(12 * 40))

    def record(n: int) -> list[tuple[str, float]]:
        out = []
        for _ in range(n):
            t = time.monotonic()
            status, body, _ = faults_lib.http("POST", f"{base}/sales/", token=token, body={
                "client": client_id, "service": "social_insurance", "period": next(months), "amount": "1000.00",
                "seller": seller.username})
            assert status == 201, body
            out.append((f"{code}:sale:{body['id']}", time.monotonic() - t))
        return out

    before = record(3)
    own_redis.stop()
    down_at = time.monotonic()
    during = record(DURING)
    own_redis.start()
    outage_s = time.monotonic() - down_at  # empty: every queued message and cached value is gone
    after = record(3)

    sources = [s for s, _ in before + during + after]
    back_at = time.monotonic()
    faults_lib.wait_until(lambda: _lines_for(schema, sources) == len(sources), BEAT_INTERVAL * 2 + 30,
                          "every sale on a statement")
    caught_up_s = time.monotonic() - back_at
    with connection.cursor() as cur:
        def markers():
            cur.execute(f'SELECT count(*) FROM "{schema}".commissions_recomputemarker')
            return cur.fetchone()[0]
        faults_lib.wait_until(lambda: markers() == 0, 30, "markers drained")
    # Only the sends made during the outage failed (and were logged); once Redis was back the
    # same web process sent again without a restart.
    assert web.log().count("could not enqueue drain") == len(during)
    slowest = max(t for _, t in during)
    print("FIGURES " + json.dumps({"drill": "redis_outage", "events_during_outage": len(during), "outage_s": round(outage_s, 1),
                                   "slowest_request_during_s": round(slowest, 2), "all_on_statements_after_s": round(caught_up_s, 1),
                                   "beat_interval_s": BEAT_INTERVAL, "events_total": len(sources), "lost": 0}))
    assert slowest < 10, "recording an event must not hang while Redis is down"
