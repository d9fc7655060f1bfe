"""`GET /healthz`: is this process able to serve? (the database and Redis answer).

Answered before tenant routing, host validation and the HTTPS redirect, so a container health
check passes behind a TLS proxy with `SECURE_SSL_REDIRECT=1` and whatever `ALLOWED_HOSTS` says:
the probe speaks plain HTTP to 127.0.0.1 inside the container. It reveals nothing but "ok" or
which dependency failed."""
from __future__ import annotations

import json

from django.conf import settings
from django.db import connection
from django.http import HttpResponse

HEALTH_PATH = "/healthz"


def check() -> dict[str, str]:
    """Each dependency → "ok" or "down"."""
    result = {}
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
        result["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means "not healthy", never a 500 page
        connection.close()
        result["database"] = "down"
    try:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        result["redis"] = "ok" if client.ping() else "down"
    except Exception:  # noqa: BLE001
        result["redis"] = "down"
    return result


class HealthCheckMiddleware:
    """First in MIDDLEWARE: only `/healthz` stops here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != HEALTH_PATH or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        status = check()
        healthy = all(v == "ok" for v in status.values())
        response = HttpResponse(json.dumps({"status": "ok" if healthy else "down", **status}),
                                status=200 if healthy else 503, content_type="application/json")
        response["Cache-Control"] = "no-store"
        return response
