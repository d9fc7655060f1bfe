from __future__ import annotations

from .models import Notification


def inbox_for(user, *, limit: int = 50):
    return Notification.objects.filter(recipient_id=user.pk)[:limit]


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
