"""Container checks and first setup for docker-compose.yml (no curl or procps in the slim image).

  healthcheck.py web     /healthz on 127.0.0.1:8000 answers 200 (database and Redis reached)
  healthcheck.py beat    the broker answers and beat has written its schedule recently
  healthcheck.py setup   migrate, then the first HQ admin when DJANGO_SUPERUSER_USERNAME is set
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

BEAT_SCHEDULE = "/tmp/celerybeat-schedule"
# Beat writes its schedule at start and at least every few minutes (Celery syncs it every 180 s).
BEAT_STALE_AFTER = 600


def web() -> int:
    with urllib.request.urlopen("http://127.0.0.1:8000/healthz", timeout=5) as response:
        return 0 if response.status == 200 else 1


def beat() -> int:
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=3).ping()
    candidates = [p for p in (BEAT_SCHEDULE, BEAT_SCHEDULE + ".db", BEAT_SCHEDULE + ".dat") if os.path.exists(p)]
    if not candidates:
        print("beat has not written its schedule", file=sys.stderr)
        return 1
    age = time.time() - max(os.path.getmtime(p) for p in candidates)
    if age > BEAT_STALE_AFTER:
        print(f"beat's schedule is {int(age)} s old", file=sys.stderr)
        return 1
    return 0


def setup() -> int:
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], check=True)
    if os.environ.get("DJANGO_SUPERUSER_USERNAME"):
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrsaas.settings")
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        django.setup()
        from django.contrib.auth import get_user_model

        if not get_user_model().objects.filter(username=os.environ["DJANGO_SUPERUSER_USERNAME"]).exists():
            subprocess.run([sys.executable, "manage.py", "createsuperuser", "--noinput"], check=True)
    return 0


if __name__ == "__main__":
    checks = {"web": web, "beat": beat, "setup": setup}
    if len(sys.argv) != 2 or sys.argv[1] not in checks:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(checks)}")
    try:
        sys.exit(checks[sys.argv[1]]())
    except Exception as exc:  # noqa: BLE001 - a failed check is exit 1 with its reason
        print(f"{sys.argv[1]} check failed: {exc}", file=sys.stderr)
        sys.exit(1)
