"""One pending job per branch, kind and period (commission recompute, SI month compute,
appraisal cycle compute: its "period" is the cycle).

A request to (re)compute puts the new task's id under a Redis key for (schema, kind, period) —
only if no id is there — and enqueues the task; while the key holds an id, every further request
answers that id and enqueues nothing. The task removes its own id first thing when it starts,
before it reads anything. So:

- requests while a job waits in the queue join it (it has not read the data yet: it will see
  whatever they were about);
- the first request while a job runs enqueues exactly one follow-up, which later requests join,
  so a result is never older than the last request.

The key expires after `PENDING_TTL` seconds, so a job that never starts (a lost message, a
failed enqueue after the id was set) holds back new ones for that long at most.
"""
from __future__ import annotations

import logging
import uuid
from typing import Callable

from django.core.cache import cache
from django.db import connection

PENDING_TTL = 600  # seconds

# Delete the key only if it still holds this task's id (a follow-up's id must stay).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

log = logging.getLogger(__name__)


def _redis():
    return cache._cache.get_client(None, write=True)


def pending_key(schema: str, kind: str, period: str) -> str:
    """The key carries the database's identity: a request must never join a job pending in
    another database that shares the Redis database (same schema names), which would run there."""
    from hrsaas.core.prepared import epoch

    return f"hrsaas:job-pending:{epoch()}:{schema}:{kind}:{period}"


def request_job(*, kind: str, period: str, send: Callable[[str], None]) -> tuple[str, bool]:
    """(task id, whether a task was enqueued now) for `kind` of `period` in the current schema.
    `send(task_id)` enqueues the task under that id (it may defer to on_commit)."""
    key = pending_key(connection.schema_name, kind, period)
    client = _redis()
    for _attempt in range(3):
        task_id = str(uuid.uuid4())
        if client.set(key, task_id, nx=True, ex=PENDING_TTL):
            try:
                send(task_id)
            except Exception:
                client.eval(_RELEASE, 1, key, task_id)
                raise
            return task_id, True
        existing = client.get(key)
        if existing is not None:
            return existing.decode(), False
        # The pending job started between SET and GET: try again to become the follow-up.
    raise RuntimeError(f"could not settle the pending job of {key}")


def is_pending(*, kind: str, period: str, task_id: str, schema: str) -> bool:
    """Whether job `task_id` of `kind` and `period` in `schema` is still waiting to start (its id
    still under the key). False when Redis cannot answer: the caller then acts as if it had
    started, which at worst repeats work."""
    try:
        value = _redis().get(pending_key(schema, kind, period))
    except Exception:  # noqa: BLE001 - Redis down: assume started
        log.warning("could not read the pending mark of %s %s", kind, period)
        return False
    return value is not None and value.decode() == task_id


def job_started(*, kind: str, period: str, task_id: str | None) -> None:
    """First thing a job does: it is no longer pending, so a request from now on needs a new one."""
    if not task_id:
        return
    try:
        _redis().eval(_RELEASE, 1, pending_key(connection.schema_name, kind, period), task_id)
    except Exception:  # noqa: BLE001 - Redis down: the key expires by itself; the job must still run
        log.warning("could not clear the pending mark of %s %s", kind, period)
