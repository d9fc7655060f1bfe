"""PostgreSQL restarted while the web server and the worker run (a PostgreSQL of the drill's own,
holding a copy of the test database): during the outage requests that need the database fail
cleanly — 503 with a clear message, never a stack trace — (prepared statements and boards may
still answer, unchanged) and afterwards the same processes serve and compute again, with
no restart."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from bench import faults_lib
from tests.conftest import ROOT

pytestmark = pytest.mark.worker
OUTAGE_S = float(os.environ.get("FAULT_PG_OUTAGE_S", "3"))

SETUP = """
import json, django
django.setup()
from branches.models import ApiToken as Token
from branches.models import Branch, BranchMembership, User
from clients.models import Client
from django_tenants.utils import schema_context
bj = Branch.objects.get(code="bj")
out = {}
for name, role in (("pg_mgr", "branch_manager"), ("pg_s1", "specialist")):
    u = User.objects.create(username=name, home_branch=bj)
    BranchMembership.objects.create(user=u, branch=bj, role=role)
    out[name] = Token.objects.create(user=u).key
with schema_context(bj.schema_name):
    out["client"] = Client.objects.create(name="x", headcount=10, opened_on="2020-01-01", services=["social_insurance"],
                                          opened_by=User.objects.get(username="pg_s1")).pk
print(json.dumps(out))
"""


def test_postgres_restart_gives_clean_503s_then_recovers_without_restart(own_redis, test_db_url, procs, tmp_path):
    pg = faults_lib.PgServer()
    try:
        pg.init()
        pg.start()
        pg.copy_database_from(test_db_url, "hrsaas_pgdrill")
        env = faults_lib.app_env(pg.url("hrsaas_pgdrill"), own_redis.url)
        made = json.loads(subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, check=True,
                                         capture_output=True, text=True).stdout)
        port = faults_lib.free_port()
        web = faults_lib.start_gunicorn(env, tmp_path, port, workers=2)
        procs.append(web)
        procs.append(faults_lib.start_worker(env, tmp_path))
        base, token = f"http://127.0.0.1:{port}", made["pg_mgr"]
        probes = [("GET", f"{base}/b/bj/api/v1/statements/pg_s1/2026-03/", token, "application/json"),
                  ("GET", f"{base}/b/bj/api/v1/leaderboards/?period=2026-03", token, "application/json"),
                  ("GET", f"{base}/login/", None, "text/html"),
                  ("GET", f"{base}/b/bj/api/v1/si/statements/", token, "application/json")]

        def sweep():
            return [faults_lib.http(m, u, token=t, timeout=15) + (kind,) for m, u, t, kind in probes]

        before = sweep()
        assert [s for s, *_ in before] == [200, 200, 200, 200]

        pg.stop("fast")
        outage, deadline = [], time.monotonic() + OUTAGE_S
        while time.monotonic() < deadline:
            outage += sweep()
        # The statement and the board are prepared when a recompute commits (commissions/prepared.py)
        # and served from Redis with the caller's token: during the outage they may still answer —
        # with exactly what they answered before it (nothing can commit meanwhile); the sign-in page
        # needs no database. A read that needs the database fails cleanly, every time.
        prepared = {i: before[i][1] for i in (0, 1)}
        served = [(i % len(probes), o[1]) for i, o in enumerate(outage) if o[0] == 200]
        assert all(p == 2 or body == prepared[p] for p, body in served), served
        assert all(o[0] == 503 for i, o in enumerate(outage) if i % len(probes) == 3)
        refused = [o for o in outage if o[0] != 200]
        assert len(refused) >= len(outage) // len(probes)  # at least every database read
        for status, body, headers, kind in refused:
            assert status == 503, (status, body)
            assert headers["Content-Type"].startswith(kind)
            text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
            assert "数据库暂时不可用" in text and "Traceback" not in text and "psycopg" not in text
            assert headers["Retry-After"] == "5"

        pg.start()
        restarted = time.monotonic()
        faults_lib.wait_until(lambda: all(s == 200 for s, *_ in sweep()), 30, "web answers again", interval=0.2)
        recovered_s = time.monotonic() - restarted
        after = [s for _ in range(10) for s, *_ in sweep()]
        assert after == [200] * len(after)

        # The worker survived too: a sale recorded now reaches the statement.
        status, body, _ = faults_lib.http("POST", f"{base}/b/bj/api/v1/sales/", token=token, body={
            "client": made["client"], "service": "social_insurance", "period": "2026-03", "amount": "1000.00",
            "seller": "pg_s1"})
        assert status == 201, body
        faults_lib.wait_until(
            lambda: faults_lib.http("GET", probes[0][1], token=token)[1].get("total") == "10.00", 30,
            "worker recomputed after the restart", interval=0.2)
        assert web.log().count("Booting worker") == 2  # the same two web workers throughout
        print("FIGURES " + json.dumps({"drill": "postgres_restart", "outage_s": OUTAGE_S, "requests_during_outage": len(outage), "served_prepared": len(served),
                                       "all_503_clean": True, "recovered_s": round(recovered_s, 2),
                                       "requests_after": len(after), "worker_recomputed_after": True, "web_restarts": 0}))
    finally:
        for p in reversed(procs):
            p.stop()
        procs.clear()
        pg.destroy()
