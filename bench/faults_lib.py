"""Building blocks of the fault drills (bench/faults_*.py and tests/reliability/): throw-away
PostgreSQL and Redis servers that a drill may stop and restart, the app's real processes
(gunicorn, Celery worker, Celery beat) started against them, and a tiny HTTP client.

Nothing here ever touches the machine's shared PostgreSQL (5432) or Redis (6379) servers
beyond using a database on them: the servers that a drill stops are its own.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout} s")


# ---------------------------------------------------------------------------------------------
# Throw-away servers
# ---------------------------------------------------------------------------------------------
class RedisServer:
    """`redis-server` on its own port, keeping nothing on disk: a restart comes back empty."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", tempfile.gettempdir(), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: answers(self.port), 10, "redis-server start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()  # nothing to save; the abrupt end of a crash
            self.proc.wait(timeout=10)
        wait_until(lambda: not answers(self.port), 10, "redis-server stop")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


class PgServer:
    """A PostgreSQL 15 cluster of its own (initdb + pg_ctl, run as the `postgres` user when we
    are root), on its own TCP port on loopback, trust authentication."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="hrsaas-pg-"))
        self.data = self.dir / "data"
        self._as_root = os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(PG_BIN / args[0]), *args[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def init(self) -> None:
        if self._as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir} "
                f"-c fsync=off -c full_page_writes=off -c max_connections=60")
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def psql(self, sql: str, db: str = "postgres") -> str:
        out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db, "-Atqc", sql],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def copy_database_from(self, source_url: str, db: str) -> None:
        """pg_dump of `source_url` restored as `db` here (a ready, migrated database in seconds)."""
        self.psql(f'CREATE DATABASE "{db}"')
        dump = subprocess.Popen(["pg_dump", "--no-owner", "-d", source_url], stdout=subprocess.PIPE)
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port), "-U",
                        "postgres", "-d", db], stdin=dump.stdout, check=True, stdout=subprocess.DEVNULL)
        if dump.wait() != 0:
            raise RuntimeError("pg_dump failed")

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The app's processes
# ---------------------------------------------------------------------------------------------
def app_env(database_url: str, redis_url: str, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    env.update(DJANGO_SETTINGS_MODULE="hrsaas.settings_test", HRSAAS_TESTING="1", DATABASE_URL=database_url,
               REDIS_URL=redis_url, CELERY_BROKER_URL=redis_url, CELERY_RESULT_BACKEND=redis_url,
               PYTHONUNBUFFERED="1", **extra)
    return env


class Proc:
    """A child process with its output in a log file; stop() by its own pid only."""

    def __init__(self, name: str, cmd: list[str], env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole process group it leads (a worker's pool children too)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


def start_worker(env: dict, log_dir: Path, name: str = "worker", ready_timeout: float = 40) -> Proc:
    p = Proc(name, [sys.executable, "-m", "celery", "-A", "hrsaas", "worker", "-P", "solo", "-l", "INFO",
                    "--without-gossip", "--without-mingle", "--without-heartbeat",
                    "-n", f"{name}-{os.getpid()}@%h"], env, log_dir)
    wait_until(lambda: "ready." in p.log() or p.proc.poll() is not None, ready_timeout, f"{name} ready")
    if p.proc.poll() is not None:
        raise RuntimeError(f"{name} exited:\n{p.log()[-3000:]}")
    return p


# Celery beat with the production schedule, except that the marker drain runs every
# `interval` seconds instead of 30 (so that a drill does not wait half a minute per round).
_BEAT = """
import sys
from hrsaas.celery import app
app.loader.import_default_modules()
app.finalize()
app.conf.beat_schedule["fan-out-drain-recompute-markers"]["schedule"] = float(sys.argv[1])
app.start(["beat", "-l", "INFO", "-s", sys.argv[2], "--max-interval", "1"])
"""


def start_beat(env: dict, log_dir: Path, interval: float = 30.0) -> Proc:
    schedule = log_dir / f"beat-{os.getpid()}-{time.monotonic_ns()}"
    p = Proc("beat", [sys.executable, "-c", _BEAT, str(interval), str(schedule)], env, log_dir)
    wait_until(lambda: "beat: Starting" in p.log() or p.proc.poll() is not None, 30, "beat start")
    if p.proc.poll() is not None:
        raise RuntimeError(f"beat exited:\n{p.log()[-3000:]}")
    return p


def start_gunicorn(env: dict, log_dir: Path, port: int, workers: int = 2, extra: list[str] | None = None,
                   app: str = "hrsaas.wsgi") -> Proc:
    p = Proc("gunicorn", [sys.executable, "-m", "gunicorn", app, "-b", f"127.0.0.1:{port}", "-w", str(workers),
                          "--timeout", "60", *(extra or [])], env, log_dir)
    wait_until(lambda: answers(port) or p.proc.poll() is not None, 30, "gunicorn start")
    if p.proc.poll() is not None:
        raise RuntimeError(f"gunicorn exited:\n{p.log()[-3000:]}")
    return p


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------
def http(method: str, url: str, *, token: str | None = None, body: dict | None = None,
         timeout: float = 30) -> tuple[int, dict | str, dict]:
    """(status, parsed JSON or text, headers); never raises on an HTTP error status."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Token {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, raw, headers = r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        status, raw, headers = e.code, e.read(), dict(e.headers)
    text = raw.decode(errors="replace")
    try:
        return status, json.loads(text), headers
    except ValueError:
        return status, text, headers


# ---------------------------------------------------------------------------------------------
# Data (Django must be set up by the caller)
# ---------------------------------------------------------------------------------------------
def make_people(branch, count: int, prefix: str | None = None) -> list[int]:
    """`count` specialists whose home is `branch`; returns their ids."""
    from branches.models import BranchMembership, User

    prefix = prefix or f"{branch.code}.s"
    ids = []
    for i in range(count):
        user, _ = User.objects.get_or_create(username=f"{prefix}{i}", defaults={"home_branch": branch})
        BranchMembership.objects.get_or_create(user=user, branch=branch, role="specialist")
        ids.append(user.pk)
    return ids


def generate_events(branch, people: list[int], events: int, period: str) -> None:
    """`events` commission events in `period` written in SQL: half client openings, half sales,
    each earning exactly one statement line (as bench/recompute.py)."""
    from django.db import connection

    s = branch.schema_name
    n_clients, n_sales = events - events // 2, events // 2
    with connection.cursor() as cur:
        cur.execute(
            f'INSERT INTO "{s}".clients_client (name, headcount, opened_on, opened_by_id, services, grade, contract_no, '
            f"city, created_at) SELECT 'c' || g, 1 + (g::bigint * 7919) %% 300, DATE '{period}-01' + (g %% 28), "
            f"(%s::bigint[])[1 + g %% %s], ARRAY['social_insurance'], 'normal', '', '', now() "
            f"FROM generate_series(1, %s) g", [people, len(people), n_clients])
        cur.execute(
            f'INSERT INTO "{s}".commissions_sale (client_id, client_opened_on, service, period, amount, seller_id, '
            f"created_at) SELECT c.id, c.opened_on, (ARRAY['social_insurance','housing_fund','payroll_outsourcing'])"
            f"[1 + c.id %% 3], '{period}', ((c.id * 104729) %% 10000000) / 100.0 + 1, c.opened_by_id, now() "
            f'FROM "{s}".clients_client c ORDER BY c.id LIMIT %s', [n_sales])
        cur.execute(f'ANALYZE "{s}".clients_client; ANALYZE "{s}".commissions_sale')


def statement_digest(schema: str, period: str | None = None) -> dict:
    """Count, total and an md5 over every statement line (in business-key order) of a branch,
    plus the rows of HQ's rollup that the recompute maintains: equal digests ⇔ equal statements."""
    from django.db import connection

    where = "WHERE period = %s" if period else ""
    params = [period] if period else []
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT count(*), coalesce(sum(amount), 0)::text, md5(coalesce(string_agg(concat_ws('|', period, earner_id, "
            f"source, component, corrects, base, rate, adjustment_percent, amount, rule_version_id, event_date), "
            f"E'\\n' ORDER BY period, earner_id, source, component, corrects), '')), "
            f"count(*) - count(DISTINCT (period, earner_id, source, component, coalesce(corrects, ''))) "
            f'FROM "{schema}".commissions_statementline {where}', params)
        lines, total, md5, duplicates = cur.fetchone()
        cur.execute(
            "SELECT md5(coalesce(string_agg(concat_ws('|', r.period, r.user_id, r.openings, r.sales_amount, "
            "r.commission), E'\\n' ORDER BY r.period, r.user_id), '')) FROM public.commissions_hq_earnermonthrollup r "
            "JOIN public.branches_branch b ON b.id = r.branch_id WHERE b.schema_name = %s" +
            (" AND r.period = %s" if period else ""), [schema, *params])
        rollup = cur.fetchone()[0]
    return {"lines": lines, "total": total, "md5": md5, "duplicate_keys": duplicates, "rollup_md5": rollup}
