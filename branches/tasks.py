"""Celery entry points for the platform."""
from __future__ import annotations

from celery import shared_task

from .selectors import active_branches


@shared_task(name="branches.tasks.fan_out", acks_late=True)
def fan_out(task_name: str, *args) -> int:
    """Run `task_name` once in every active branch's schema; returns how many were sent."""
    from hrsaas.celery import app

    if not isinstance(task_name, str) or "." not in task_name:
        raise ValueError(f"fan_out needs a task name, got {task_name!r}")
    sent = 0
    for branch in active_branches():
        app.send_task(task_name, args=list(args), headers={"_schema_name": branch.schema_name})
        sent += 1
    return sent
