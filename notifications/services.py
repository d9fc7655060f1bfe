"""Writes for notifications: the inbox, and delivery over e-mail and the webhook."""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.audit import stamp

from . import channels, webhooks
from .models import ChannelConfig, Delivery, Notification

log = logging.getLogger(__name__)


def _queue_delivery(notification_id: int, schema: str) -> None:
    """Queue delivery; with the broker down the message is left to the beat sweep
    (`notifications_dispatch_pending`), so the request that created it still succeeds.

    The task carries the schema the message was written in. A branch's message is often written
    from HQ (a payout, a registered adjustment) inside `schema_context`, and the commit hook runs
    after that context has ended: sent from there, the task looked for the inbox in the public
    schema and failed."""
    from django_tenants.utils import schema_context

    from .tasks import deliver as deliver_task

    try:
        with schema_context(schema):
            deliver_task.delay(notification_id)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the sweep delivers it later
        log.warning("delivery of notification %s not queued (%s); the sweep will deliver it", notification_id, exc)


def notification_create(*, recipient_id: int, title: str = "", body: str = "", kind: str = "info",
                        link: str = "", dedupe_key: str = "", deliver: bool = True,
                        words: dict | None = None) -> Notification:
    """Create an inbox message and queue its outside delivery after commit. With a dedupe_key a
    repeated call (a retried task) returns the message already there instead of a second one.
    `words` (notifications/words.py) holds the title's and, unless the body is someone's own
    text, the body's words: shown in each reader's language, stored in the product's."""
    from .words import stored

    words = words or {}
    if words.get("title"):
        title = stored(words["title"])[:200]
    if words.get("body"):
        body = stored(words["body"])
    if not title or len(title) > 200:
        raise ValueError("notification title must be 1–200 characters")
    fields = {"title": title, "body": body, "kind": kind, "link": link, "words": words}
    if dedupe_key:
        obj, created = Notification.objects.get_or_create(recipient_id=recipient_id, dedupe_key=dedupe_key, defaults=fields)
    else:
        obj, created = Notification.objects.create(recipient_id=recipient_id, **fields), True
    if created and deliver:
        schema = connection.schema_name
        transaction.on_commit(lambda: _queue_delivery(obj.pk, schema))
    return obj


def notifications_mark_read(*, recipient, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient_id=recipient.pk, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def channel_config_update(*, actor, email_enabled: bool, webhook_url: str) -> ChannelConfig:
    """Save the branch's channels. A webhook must point at WeCom or a public https address
    (notifications/webhooks.py); anything else is refused with the reason and nothing saved."""
    if webhook_url:
        try:
            webhook_url = webhooks.check_for_save(webhook_url)
        except webhooks.UnsafeWebhook as exc:
            raise ValidationError({"webhook_url": [exc.message]}) from None
    config = ChannelConfig.current()
    config.email_enabled = email_enabled
    config.webhook_url = webhook_url
    stamp(config, actor=actor, reason="channels updated")
    config.full_clean()
    config.save()
    return config


def webhook_text(notification, user) -> tuple[str, str]:
    """(title, body) of `notification` as the branch's shared webhook carries it: who has
    something to read, never what. The webhook is a group chat (a WeCom group robot) that every
    colleague reads, while every notification is addressed to one person and may hold their pay
    (a statement's total, a paid commission), a client's words (a fee statement's dispute and
    the office's answer), an insured person's name and wage, or a lead they are not told of (a
    possible duplicate). Deny by default: no kind's text goes there, so a new kind cannot leak."""
    who = user.label if user is not None else ""
    return _("%(who)s 有一条新通知,请登录查看。") % {"who": who}, ""


def email_body(notification: Notification) -> str:
    """The message, then the address of the page it is about (查看:https://…/b/beijing/me/…)
    when the product's address is configured (SITE_URL)."""
    body = notification.body or notification.title
    link = notification.link or ""
    if settings.SITE_URL and link.startswith("/") and not link.startswith("//"):
        body += f"\n\n查看:{settings.SITE_URL}{link}"
    return body


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
        wanted.append((Delivery.Channel.EMAIL, lambda: channels.send_email(user.email, notification.title,
                                                                           email_body(notification))))
    if config.webhook_url:
        title, body = webhook_text(notification, user)
        wanted.append((Delivery.Channel.WEBHOOK, lambda: channels.send_webhook(config.webhook_url, title, body)))

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
    Notification.objects.filter(pk=notification.pk, dispatched_at__isnull=True).update(dispatched_at=timezone.now())
    return outcome


def notifications_dispatch_pending(*, older_than: dt.timedelta = dt.timedelta(minutes=2),
                                   within: dt.timedelta = dt.timedelta(days=2)) -> int:
    """Deliver notifications whose delivery never ran (a queue message lost while the broker was
    down). Idempotent: each channel is sent at most once (`Delivery` is unique per channel)."""
    now = timezone.now()
    pending = list(Notification.objects.filter(dispatched_at__isnull=True, created_at__lt=now - older_than,
                                               created_at__gt=now - within).values_list("pk", flat=True)[:500])
    done = 0
    for pk in pending:
        try:
            notification_deliver(notification_id=pk)
            done += 1
        except channels.TransientDeliveryError as exc:
            log.info("notification %s still not deliverable: %s", pk, exc)
    return done
