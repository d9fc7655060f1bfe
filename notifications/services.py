"""Writes for notifications: the inbox, and delivery over e-mail and the webhook."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from branches.audit import stamp

from . import channels
from .models import ChannelConfig, Delivery, Notification


def notification_create(*, recipient_id: int, title: str, body: str = "", kind: str = "info",
                        link: str = "", dedupe_key: str = "", deliver: bool = True) -> Notification:
    """Create an inbox message and queue its outside delivery after commit. With a dedupe_key a
    repeated call (a retried task) returns the message already there instead of a second one."""
    if not title or len(title) > 200:
        raise ValueError("notification title must be 1–200 characters")
    fields = {"title": title, "body": body, "kind": kind, "link": link}
    if dedupe_key:
        obj, created = Notification.objects.get_or_create(recipient_id=recipient_id, dedupe_key=dedupe_key, defaults=fields)
    else:
        obj, created = Notification.objects.create(recipient_id=recipient_id, **fields), True
    if created and deliver:
        from .tasks import deliver as deliver_task

        transaction.on_commit(lambda: deliver_task.delay(obj.pk))
    return obj


def notifications_mark_read(*, recipient, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient_id=recipient.pk, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def channel_config_update(*, actor, email_enabled: bool, webhook_url: str) -> ChannelConfig:
    config = ChannelConfig.current()
    config.email_enabled = email_enabled
    config.webhook_url = webhook_url
    stamp(config, actor=actor, reason="channels updated")
    config.full_clean()
    config.save()
    return config


def notification_deliver(*, notification_id: int) -> dict[str, str]:
    """Send one notification over each configured channel not yet sent.

    Safe to run twice: a channel already marked sent is skipped. Raises
    `channels.TransientDeliveryError` when a channel should be retried later."""
    from branches.models import User

    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:
        raise ValueError(f"no notification {notification_id} in this branch")
    config = ChannelConfig.current()
    user = User.objects.filter(pk=notification.recipient_id).first()
    wanted = []
    if config.email_enabled and user is not None and user.email and user.notify_email:
        wanted.append((Delivery.Channel.EMAIL, lambda: channels.send_email(user.email, notification.title, notification.body)))
    if config.webhook_url:
        wanted.append((Delivery.Channel.WEBHOOK, lambda: channels.send_webhook(config.webhook_url, notification.title, notification.body)))

    outcome: dict[str, str] = {}
    transient: list[str] = []
    for channel, send in wanted:
        delivery, _ = Delivery.objects.get_or_create(notification=notification, channel=channel)
        if delivery.status == Delivery.Status.SENT:
            outcome[channel] = "sent"
            continue
        delivery.attempts += 1
        try:
            send()
        except channels.TransientDeliveryError as exc:
            delivery.last_error = str(exc)[:500]
            transient.append(str(exc))
        except channels.PermanentDeliveryError as exc:
            delivery.status, delivery.last_error = Delivery.Status.FAILED, str(exc)[:500]
        else:
            delivery.status, delivery.sent_at, delivery.last_error = Delivery.Status.SENT, timezone.now(), ""
        delivery.save()
        outcome[channel] = delivery.status
    if transient:
        raise channels.TransientDeliveryError("; ".join(transient))
    return outcome
