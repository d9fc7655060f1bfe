"""Celery entry points for notifications: ids and plain values in, one service call."""
from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="notifications.tasks.notify", acks_late=True)
def notify(recipient_id: int, title: str, body: str = "", kind: str = "info", dedupe_key: str = "") -> int:
    if not isinstance(recipient_id, int) or recipient_id <= 0:
        raise ValueError(f"recipient_id must be a positive integer, got {recipient_id!r}")
    return services.notification_create(
        recipient_id=recipient_id, title=title, body=body, kind=kind, dedupe_key=dedupe_key
    ).pk
