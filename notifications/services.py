"""Writes for the in-app inbox."""
from __future__ import annotations

from django.utils import timezone

from .models import Notification


def notification_create(*, recipient_id: int, title: str, body: str = "", kind: str = "info",
                        link: str = "", dedupe_key: str = "") -> Notification:
    """Create an inbox message. With a dedupe_key a repeated call (a retried task) returns the
    message already there instead of a second one."""
    if not title or len(title) > 200:
        raise ValueError("notification title must be 1–200 characters")
    fields = {"title": title, "body": body, "kind": kind, "link": link}
    if not dedupe_key:
        return Notification.objects.create(recipient_id=recipient_id, **fields)
    obj, _ = Notification.objects.get_or_create(
        recipient_id=recipient_id, dedupe_key=dedupe_key, defaults=fields
    )
    return obj


def notifications_mark_read(*, recipient, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient_id=recipient.pk, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
