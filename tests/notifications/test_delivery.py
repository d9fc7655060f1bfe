"""Inbox, e-mail and the WeCom-style webhook: a real HTTP server on loopback, a real worker."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from notifications import services
from notifications.models import ChannelConfig, Delivery, Notification
from tests.conftest import in_branch, wait_for
from tests.factories import make_user


class Hook:
    """A loopback HTTP server that answers with scripted status codes and records bodies."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.bodies: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                hook.bodies.append(json.loads(self.rfile.read(length).decode("utf-8")))
                status = hook.statuses.pop(0) if hook.statuses else 200
                payload = b'{"errcode":0,"errmsg":"ok"}' if status == 200 else b"{}"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/webhook/send?key=test"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def hook_factory(settings):
    # A loopback server is an operator-allowed relay here (production allows none by default).
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    hooks = []

    def make(*statuses):
        hooks.append(Hook(statuses))
        return hooks[-1]

    yield make
    for h in hooks:
        h.close()


@pytest.mark.worker
def test_paid_notice_reaches_the_webhook_through_the_worker_with_retries(committed_branch, celery_worker_process, hook_factory):
    hook = hook_factory(500, 200)  # the first attempt fails on the server side, the retry succeeds
    user = make_user(None, (committed_branch.code, "specialist"))
    with schema_context(committed_branch.schema_name):
        config = ChannelConfig.current()
        config.webhook_url, config.email_enabled = hook.url, False
        config.save()

        note = services.notification_create(recipient_id=user.pk, title="您的开户奖励1200元已到账", dedupe_key="paid-1")

    def sent():
        with schema_context(committed_branch.schema_name):
            return Delivery.objects.filter(notification_id=note.pk, channel="webhook", status="sent").first()

    delivery = wait_for(sent, timeout=60)
    assert delivery.attempts == 2
    # the group chat learns who has news, never the amount (any kind: deny by default)
    assert hook.bodies == [{"msgtype": "text", "text": {"content": f"{user.label} 有一条新通知,请登录查看。"}}] * 2


@pytest.mark.worker
def test_a_message_written_from_hq_is_delivered_from_its_branch(committed_branch, celery_worker_process, hook_factory):
    """HQ marks a month paid in one transaction that writes each branch's inbox inside
    `schema_context`; the commit hook ran after that context ended and sent the delivery task from
    the public schema, where the worker found no inbox (relation "notifications_notification" does
    not exist) and nothing went out."""
    from django.db import transaction

    hook = hook_factory(200)
    user = make_user(None, (committed_branch.code, "specialist"))
    with schema_context(committed_branch.schema_name):
        config = ChannelConfig.current()
        config.webhook_url, config.email_enabled = hook.url, False
        config.save()
    with transaction.atomic():  # HQ's own transaction, in the public schema
        with schema_context(committed_branch.schema_name):
            note = services.notification_create(recipient_id=user.pk, title="您的2026年10月提成1,200.00元已到账")

    def sent():
        with schema_context(committed_branch.schema_name):
            return Delivery.objects.filter(notification_id=note.pk, channel="webhook", status="sent").first()

    assert wait_for(sent, timeout=60) is not None
    assert hook.bodies == [{"msgtype": "text", "text": {"content": f"{user.label} 有一条新通知,请登录查看。"}}]


@pytest.mark.django_db
def test_a_refused_webhook_is_not_retried_and_is_recorded(branches, hook_factory):
    hook = hook_factory(400)
    user = make_user(None, ("bj", "specialist"))
    with in_branch("bj"):
        ChannelConfig.objects.update_or_create(pk=1, defaults={"webhook_url": hook.url, "email_enabled": False})
        note = Notification.objects.create(recipient_id=user.pk, title="理赔已驳回")

        outcome = services.notification_deliver(notification_id=note.pk)

        assert outcome == {"webhook": "failed"}
        delivery = Delivery.objects.get(notification=note)
        assert delivery.attempts == 1 and "HTTP 400" in delivery.last_error
    assert len(hook.bodies) == 1


@pytest.mark.django_db
def test_email_is_sent_once_even_when_delivery_runs_twice(branches):
    user = make_user("mail.user", ("sh", "specialist"))
    user.email = "mail.user@example.com"
    user.save()
    with in_branch("sh"):
        note = Notification.objects.create(recipient_id=user.pk, title="您的开户奖励1200元已到账", body="2026-11 提成已发放")

        services.notification_deliver(notification_id=note.pk)
        services.notification_deliver(notification_id=note.pk)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "您的开户奖励1200元已到账"
    assert mail.outbox[0].to == ["mail.user@example.com"]
    assert mail.outbox[0].body == "2026-11 提成已发放"  # no product address configured: no link


@pytest.mark.django_db
def test_an_email_ends_with_the_address_of_its_page(branches, settings):
    settings.SITE_URL = "https://hr.example.com"
    user = make_user("mail.link", ("sh", "specialist"))
    user.email = "mail.link@example.com"
    user.save()
    with in_branch("sh"):
        note = Notification.objects.create(recipient_id=user.pk, title="您的2026年10月提成单已出", body="合计 1,200.00 元。",
                                           link="/b/sh/commissions/payslip/2026-10/")
        services.notification_deliver(notification_id=note.pk)
    assert mail.outbox[0].body == "合计 1,200.00 元。\n\n查看:https://hr.example.com/b/sh/commissions/payslip/2026-10/"


@pytest.mark.django_db
def test_inbox_api_shows_only_the_callers_messages_in_that_branch(api, branches):
    me = make_user("me", ("bj", "specialist"), ("sh", "specialist"))
    colleague = make_user("colleague", ("bj", "specialist"))
    outsider = make_user("outsider", ("gz", "specialist"))
    with in_branch("bj"):
        Notification.objects.create(recipient_id=me.pk, title="mine in bj")
        Notification.objects.create(recipient_id=colleague.pk, title="colleague's")

    body = api(me).get("/b/bj/api/v1/notifications/").json()
    assert body["unread"] == 1 and [i["title"] for i in body["items"]] == ["mine in bj"]
    assert api(me).get("/b/sh/api/v1/notifications/").json()["items"] == []
    assert api(outsider).get("/b/bj/api/v1/notifications/").status_code == 404
    assert api().get("/b/bj/api/v1/notifications/").status_code == 401

    assert api(me).post("/b/bj/api/v1/notifications/read/", {"ids": ["x"]}, format="json").status_code == 400
    assert api(me).post("/b/bj/api/v1/notifications/read/", {}, format="json").json() == {"marked": 1}
    with in_branch("bj"):
        assert Notification.objects.get(title="colleague's").read_at is None


@pytest.mark.django_db
def test_channel_settings_page_is_for_the_branch_manager(client, branches):
    manager = make_user("bj.mgr", ("bj", "branch_manager"))
    staff = make_user("bj.stf", ("bj", "branch_staff"))

    client.force_login(staff)
    assert client.get("/b/bj/settings/notifications/").status_code == 404
    client.force_login(manager)
    bad = client.post("/b/bj/settings/notifications/", {"webhook_url": "not a url", "email_enabled": "on"})
    assert bad.status_code == 200 and "not a url" in bad.content.decode()
    with in_branch("bj"):
        assert ChannelConfig.current().webhook_url == ""
    ok = client.post("/b/bj/settings/notifications/", {"webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"})
    assert ok.status_code == 302
    with in_branch("bj"):
        assert ChannelConfig.current().webhook_url.endswith("key=k")
        assert ChannelConfig.current().email_enabled is False


@pytest.mark.django_db
def test_a_notification_whose_queue_message_was_lost_is_delivered_by_the_sweep(branches):
    import datetime as dt

    from django.utils import timezone

    user = make_user("sweep.user", ("gz", "specialist"))
    user.email = "sweep.user@example.com"
    user.save()
    with in_branch("gz"):
        lost = Notification.objects.create(recipient_id=user.pk, title="您的开户奖励800元已到账")
        fresh = Notification.objects.create(recipient_id=user.pk, title="刚刚创建")
        Notification.objects.filter(pk=lost.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))

        assert services.notifications_dispatch_pending() == 1
        assert services.notifications_dispatch_pending() == 0  # nothing twice

        lost.refresh_from_db()
        fresh.refresh_from_db()
        assert lost.dispatched_at is not None and fresh.dispatched_at is None
    assert [m.subject for m in mail.outbox] == ["您的开户奖励800元已到账"]


@pytest.mark.django_db
def test_creating_a_notification_succeeds_when_the_broker_is_down(branches, settings, django_capture_on_commit_callbacks):
    from hrsaas.celery import app

    user = make_user("down.user", ("gz", "specialist"))
    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        with in_branch("gz"), django_capture_on_commit_callbacks(execute=True):
            note = services.notification_create(recipient_id=user.pk, title="您的开户奖励1200元已到账")
    finally:
        app.conf.broker_url = old
    with in_branch("gz"):
        assert Notification.objects.get(pk=note.pk).dispatched_at is None  # left for the sweep
