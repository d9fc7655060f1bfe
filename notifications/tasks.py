"""Celery entry points for notifications: ids and plain values in, one service call."""
from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import services
from .channels import TransientDeliveryError


@shared_task(name="notifications.tasks.notify", acks_late=True)
def notify(recipient_id: int, title: str, body: str = "", kind: str = "info", dedupe_key: str = "") -> int:
    if not isinstance(recipient_id, int) or isinstance(recipient_id, bool) or recipient_id <= 0:
        raise ValueError(f"recipient_id must be a positive integer, got {recipient_id!r}")
    return services.notification_create(
        recipient_id=recipient_id, title=title, body=body, kind=kind, dedupe_key=dedupe_key
    ).pk


@shared_task(name="notifications.tasks.deliver", bind=True, acks_late=True, max_retries=6)
def deliver(self, notification_id: int) -> dict:
    if not isinstance(notification_id, int) or notification_id <= 0:
        raise ValueError(f"notification_id must be a positive integer, got {notification_id!r}")
    try:
        return services.notification_deliver(notification_id=notification_id)
    except TransientDeliveryError as exc:
        # Only network-type failures are retried, with exponential backoff.
        base = getattr(settings, "NOTIFY_RETRY_BASE_SECONDS", 30)
        raise self.retry(exc=exc, countdown=base * (2 ** self.request.retries))


@shared_task(name="notifications.tasks.dispatch_pending", acks_late=True)
def dispatch_pending() -> int:
    return services.notifications_dispatch_pending()
