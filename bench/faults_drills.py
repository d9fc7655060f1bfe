"""The fault drills at full size (the suite runs the same tests, tests/reliability/, smaller).

    python bench/faults_drills.py [--only worker_kill,redis_outage,concurrent_recompute,postgres_restart]

- worker_kill: a Celery worker SIGKILLed in the middle of a 1,000,000-line recompute; a new worker
  (and beat) finishes it; the statements equal an undisturbed run's (count, total, md5 of every
  line, HQ rollup), no line lost or duplicated.
- redis_outage: a throw-away redis-server (nothing on disk) killed while 30 sales are recorded
  through gunicorn, then restarted empty; beat at the production 30 s interval; every sale ends
  up on a statement with nobody re-triggering anything.
- concurrent_recompute: 10 recomputes of a 200,000-line branch-period started at once.
- postgres_restart: a throw-away PostgreSQL (copy of the test database) stopped for 10 s under
  gunicorn and a worker, then started: only clean 503s meanwhile, the same processes recover.

Each drill runs its test from tests/reliability/ with the sizes above (a fresh test database
`test_<DATABASE_URL's name>`), and its `FIGURES {...}` line is printed as JSON. The migration
drill is bench/migrate_interrupt.py.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DRILLS = {
    "worker_kill": ("tests/reliability/test_worker_kill.py", {"FAULT_KILL_EVENTS": "1000000"}),
    "redis_outage": ("tests/reliability/test_redis_outage.py", {"FAULT_REDIS_EVENTS": "30", "FAULT_BEAT_INTERVAL": "30"}),
    "concurrent_recompute": ("tests/reliability/test_concurrent_recompute.py", {"FAULT_CONCURRENT_EVENTS": "200000"}),
    "postgres_restart": ("tests/reliability/test_postgres_restart.py", {"FAULT_PG_OUTAGE_S": "10"}),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(DRILLS))
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hrsaas_faults")
    env.setdefault("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
    sys.path.insert(0, str(ROOT / "scripts"))
    from launch import _ensure_database

    _ensure_database(env["DATABASE_URL"])
    failed = 0
    for i, name in enumerate(args.only.split(",")):
        path, sizes = DRILLS[name]
        out = subprocess.run([sys.executable, "-m", "pytest", path, "-q", "-s", "-p", "no:warnings",
                              "--create-db" if i == 0 else "--reuse-db"],
                             cwd=ROOT, env=dict(env, **sizes), capture_output=True, text=True)
        figures = re.findall(r"^FIGURES (\{.*\})$", out.stdout, re.M)
        ok = out.returncode == 0
        failed += not ok
        print(json.dumps({"drill": name, "passed": ok, **(json.loads(figures[-1]) if figures else {})}), flush=True)
        if not ok:
            print(out.stdout[-4000:], file=sys.stderr)
    import dj_database_url
    import psycopg2

    cfg = dj_database_url.parse(env["DATABASE_URL"])
    conn = psycopg2.connect(host=cfg["HOST"], port=cfg["PORT"], user=cfg["USER"] or "postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:  # the drills' test database was kept between drills (--reuse-db)
        cur.execute(f'DROP DATABASE IF EXISTS "test_{cfg["NAME"]}" WITH (FORCE)')
    conn.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
