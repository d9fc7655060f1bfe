"""Fault drill: a migration of many branches killed midway, then run again.

    python bench/migrate_interrupt.py [--branches 50]

Uses its own database (hrsaas_faults_migrate, dropped and recreated). Creates N branches, rolls
the newest notifications migration back in all of them, starts `migrate_schemas --tenant`,
SIGKILLs it once about half the branches are done, and checks that every branch is either fully
at the new state or fully at the old one (migration recorded ⇔ its tables exist). Then runs
the migration again and checks that all branches completed. Prints a JSON line of figures.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "hrsaas_faults_migrate"
APP, OLD, NEW = "notifications", "0001_initial", "0002_channelconfig_historicalchannelconfig_delivery"
NEW_TABLES = ("notifications_channelconfig", "notifications_delivery")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--branches", type=int, default=50)
    args = parser.parse_args()
    base = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432")
    env = dict(os.environ, DATABASE_URL=f"{base}/{DB}", DEBUG="1", DJANGO_SETTINGS_MODULE="hrsaas.settings")

    import psycopg2

    admin = psycopg2.connect(dbname="postgres", user="postgres", host="127.0.0.1")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {DB}")

    def manage(*a, **kw):
        return subprocess.run([sys.executable, "manage.py", *a], cwd=ROOT, env=env, check=True,
                              capture_output=True, text=True, **kw)

    t0 = time.monotonic()
    manage("migrate_schemas", "--shared")
    code = (
        "import django; django.setup();"
        "from branches import services;"
        f"[services.branch_create(actor=None, data=services.BranchInput(code=f'f{{i:03d}}', name=f'F{{i}}')) for i in range({args.branches})]"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True)
    created_s = time.monotonic() - t0
    manage("migrate_schemas", "--tenant", APP, OLD)

    proc = subprocess.Popen([sys.executable, "manage.py", "migrate_schemas", "--tenant"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done = 0
    for line in proc.stdout:
        m = re.search(r"\[(\d+)/(\d+)", line)
        if m and f"Applying {APP}.{NEW}... OK" in line:
            done += 1
        if done >= args.branches // 2:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()

    conn = psycopg2.connect(dbname=DB, user="postgres", host="127.0.0.1")
    conn.autocommit = True

    def states() -> dict[str, str]:
        out = {}
        with conn.cursor() as cur:
            cur.execute("select schema_name from public.branches_branch where schema_name <> 'public'")
            for (schema,) in cur.fetchall():
                cur.execute(f'select count(*) from "{schema}".django_migrations where app=%s and name=%s', [APP, NEW])
                recorded = cur.fetchone()[0] == 1
                cur.execute("select count(*) from information_schema.tables where table_schema=%s and table_name = any(%s)",
                            [schema, list(NEW_TABLES)])
                tables = cur.fetchone()[0]
                out[schema] = ("new" if recorded and tables == len(NEW_TABLES)
                               else "old" if not recorded and tables == 0 else "HALF")
        return out

    after_kill = states()
    t1 = time.monotonic()
    manage("migrate_schemas", "--tenant")
    rerun_s = time.monotonic() - t1
    after_rerun = states()
    result = {
        "branches": args.branches,
        "create_s": round(created_s, 1),
        "after_kill": {k: sum(1 for v in after_kill.values() if v == k) for k in ("new", "old", "HALF")},
        "after_rerun": {k: sum(1 for v in after_rerun.values() if v == k) for k in ("new", "old", "HALF")},
        "rerun_s": round(rerun_s, 1),
    }
    print(json.dumps(result))
    ok = result["after_kill"]["HALF"] == 0 and result["after_rerun"] == {"new": args.branches, "old": 0, "HALF": 0}
    with admin.cursor() as cur:
        conn.close()
        cur.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
