"""Load test: the specialist's statement and the leaderboards under wrk, beside a trivial view
served by the same gunicorn in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hrsaas_load python bench/scale_demo.py   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hrsaas_load python bench/load.py [--connections 32]
        [--duration 20] [--workers 4]

gunicorn (production settings, DEBUG off, plain HTTP on loopback; bench/load_settings.py adds
only `/bench/trivial/`) serves the scaled demo. For each scenario wrk runs `--duration` seconds
at `--connections` connections (after a short warm-up) with a Lua script that rotates over every
specialist of every branch (each with their own API token, issued by the run as if signed in at
different moments of the last minute, so that their once-a-minute last-use writes are spread as
people's are) and every period:

- trivial:        GET /bench/trivial/ (no database, no template: the server's ceiling)
- statement:      GET /b/<code>/api/v1/statements/<own username>/<period>/ (the specialist's own)
- leaderboard:    GET /b/<code>/api/v1/leaderboards/?period=<period>&metric=openings|sales (branch)
- hq_leaderboard: GET /api/v1/leaderboards/?period=<period>&metric=openings|sales (company-wide)

(The boards are asked by the specialists themselves, by openings and by sales: boards of
commission amounts are for managers and HQ only since deny-by-default, issue #23.)

Each scenario runs at `--connections` and again at `--low-connections`. Prints one JSON line
per scenario and connection count (RPS, p50/p95/p99/max in ms, errors) and a final summary with
each endpoint's RPS and p95 as multiples of the trivial view's at `--connections`, its p95 at
`--low-connections`, and the targets of issue #25 (≥ 0.5× the RPS, p95 ≤ 2.5× the trivial
view's, p95 ≤ 50 ms at the lower count, zero errors).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LUA = r"""
local reqs = {%(rows)s}
local n = 0
init = function(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) %% 1000)
  n = math.random(#reqs)
end
request = function()
  n = n + 1
  local r = reqs[(n %% #reqs) + 1]
  if r[2] == "" then return wrk.format("GET", r[1]) end
  return wrk.format("GET", r[1], {["Authorization"] = "Token " .. r[2]})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "duration_s": %%.3f, "rps": %%.1f, "p50_ms": %%.2f, "p95_ms": %%.2f, ' ..
    '"p99_ms": %%.2f, "max_ms": %%.2f, "errors": {"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def targets() -> dict[str, list[tuple[str, str]]]:
    """(path, token) rows per scenario, from the scaled demo database."""
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT u.username, b.code, u.id FROM branches_user u JOIN branches_branch b ON b.id = u.home_branch_id "
                    "JOIN branches_branchmembership m ON m.user_id = u.id "
                    "AND m.branch_id = b.id AND m.role = 'specialist' WHERE b.code LIKE 'l%%' ORDER BY b.code, u.username")
        found = cur.fetchall()
    # Only digests of API tokens are stored: each run issues its own (they expire by themselves).
    # As if signed in at different moments of the last minute: a token's last use is written at
    # most once a minute (branches/tokens.py), and 2,000 tokens issued in the same second would
    # all be written in the same second a minute later — inside whichever scenario runs then —
    # where people signing in at different times are written evenly (2,000 a minute either way).
    import datetime as dt
    import random

    from django.utils import timezone

    from branches.models import ApiToken

    now, rnd = timezone.now(), random.Random(25)
    people = []
    for username, code, uid in found:
        signed_in = now - dt.timedelta(seconds=rnd.uniform(0, 60))
        people.append((username, code, ApiToken.objects.create(user_id=uid, created_at=signed_in,
                                                               last_used_at=signed_in).key))
    with connection.cursor() as cur:
        cur.execute("SELECT DISTINCT period FROM commissions_hq_earnermonthrollup ORDER BY period")
        periods = [r[0] for r in cur.fetchall()]
    if not people or not periods:
        sys.exit("no scaled demo here: run bench/scale_demo.py first (same DATABASE_URL)")
    rows = {"trivial": [("/bench/trivial/", "")], "statement": [], "leaderboard": [], "hq_leaderboard": []}
    for i, (username, code, token) in enumerate(people):
        for j in range(3):  # each person asks for a few periods, spread over the year
            period = periods[(i + j * 5) % len(periods)]
            rows["statement"].append((f"/b/{code}/api/v1/statements/{username}/{period}/", token))
            metric = ("openings", "sales")[(i + j) % 2]
            rows["leaderboard"].append((f"/b/{code}/api/v1/leaderboards/?period={period}&metric={metric}", token))
            rows["hq_leaderboard"].append((f"/api/v1/leaderboards/?period={period}&metric={metric}", token))
    return rows


def lua_script(rows: list[tuple[str, str]]) -> Path:
    body = ",".join(f'{{"{p}","{t}"}}' for p, t in rows)
    path = Path(tempfile.mkstemp(suffix=".lua")[1])
    path.write_text(LUA % {"rows": body})
    return path


def wrk(url: str, script: Path, connections: int, duration: int, threads: int = 2) -> dict:
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s",
                          "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^RESULT (\{.*\})$", out, re.M)
    if not match:
        raise RuntimeError(out)
    return json.loads(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--low-connections", type=int, default=8)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--scenarios", default="trivial,statement,leaderboard,hq_leaderboard")
    args = parser.parse_args()

    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.load_settings", DEBUG="0", LOG_LEVEL="ERROR",
               ALLOWED_HOSTS="127.0.0.1,localhost")
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hrsaas_load")
    env.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
    # The key scale_demo.py encrypted the bench data with (the former fallback to SECRET_KEY).
    env.setdefault("FIELD_ENCRYPTION_KEY", "bench-only-secret-key-not-for-production-0123456789")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")  # the cache too: prepared bodies live there
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY", "FIELD_ENCRYPTION_KEY", "REDIS_URL")})
    rows = targets()

    from bench import faults_lib

    port = faults_lib.free_port()
    log_dir = Path(tempfile.mkdtemp(prefix="hrsaas-load-"))
    web = faults_lib.start_gunicorn(env, log_dir, port, workers=args.workers, extra=["--backlog", "2048"])
    base = f"http://127.0.0.1:{port}"
    results, low = {}, {}
    try:
        for name in args.scenarios.split(","):
            sample_path, sample_token = rows[name][0]
            status, body, _ = faults_lib.http("GET", base + sample_path, token=sample_token or None)
            assert status == 200, (name, status, str(body)[:300])
            script = lua_script(rows[name])
            wrk(base + "/", script, args.connections, args.warmup)
            for conns, into in ((args.connections, results), (args.low_connections, low)):
                into[name] = wrk(base + "/", script, conns, args.duration)
                into[name]["distinct_urls"] = len(rows[name])
                print(json.dumps({"scenario": name, "connections": conns, **into[name]}), flush=True)
            script.unlink()
    finally:
        web.stop()
    if "trivial" in results:
        base_rps, base_p95 = results["trivial"]["rps"], results["trivial"]["p95_ms"]
        summary = {}
        for name, r in results.items():
            if name == "trivial":
                continue
            errors = sum(r["errors"].values()) + sum(low[name]["errors"].values())
            summary[name] = {"rps": r["rps"], "vs_trivial": round(r["rps"] / base_rps, 2), "p95_ms": r["p95_ms"],
                             "p95_vs_trivial": round(r["p95_ms"] / base_p95, 2),
                             f"p95_ms_at_{args.low_connections}": low[name]["p95_ms"], "errors": errors,
                             "meets_targets": (r["rps"] >= 0.5 * base_rps and r["p95_ms"] <= 2.5 * base_p95
                                               and low[name]["p95_ms"] <= 50 and errors == 0)}
        print(json.dumps({"connections": args.connections, "low_connections": args.low_connections,
                          "duration_s": args.duration, "gunicorn_workers": args.workers,
                          "trivial_rps": base_rps, "trivial_p95_ms": base_p95,
                          f"trivial_p95_ms_at_{args.low_connections}": low["trivial"]["p95_ms"],
                          "endpoints": summary}))


if __name__ == "__main__":
    main()
