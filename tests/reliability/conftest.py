"""Fault drills at suite size: real processes (gunicorn, Celery worker and beat) against the test
database, on a Redis server of the drill's own (bench/faults_lib.RedisServer) that the drill may
stop. The full-size drills are bench/faults_*.py (docs/reliability.md)."""
from __future__ import annotations

import pytest
from django.conf import settings

from bench import faults_lib


@pytest.fixture
def own_redis():
    server = faults_lib.RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def test_db_url(django_db_setup) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def procs():
    """Processes started by a test, stopped (by pid) at its end whatever happens."""
    started: list[faults_lib.Proc] = []
    yield started
    for p in reversed(started):
        p.stop()
