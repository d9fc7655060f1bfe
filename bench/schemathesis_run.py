"""schemathesis at full size: every operation of the branch API's OpenAPI schema, ≥ 2,000
generated requests (valid and invalid), as an authenticated branch manager; zero 5xx and zero
schema violations expected.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hrsaas_fuzz python bench/schemathesis_run.py [--examples 40]

Runs tests/reliability/test_api_fuzz.py (the suite runs it with 5 examples per operation) with
`--examples` per operation against a fresh test database, and prints the JSON summary: requests,
status counts, 5xx, schema violations, failures grouped by operation.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=40, help="generated requests per operation")
    args = parser.parse_args()
    report = Path(tempfile.mkstemp(suffix=".json")[1])
    env = dict(os.environ, FUZZ_EXAMPLES=str(args.examples), FUZZ_REPORT=str(report))
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hrsaas_fuzz")
    env.setdefault("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    sys.path.insert(0, str(ROOT / "scripts"))
    from launch import _ensure_database

    _ensure_database(env["DATABASE_URL"])
    code = subprocess.call([sys.executable, "-m", "pytest", "tests/reliability/test_api_fuzz.py", "-q", "-p",
                            "no:warnings", "--create-db"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    if report.stat().st_size:
        print(json.dumps(json.loads(report.read_text()), ensure_ascii=False))
    report.unlink()
    return code


if __name__ == "__main__":
    sys.exit(main())
