"""A task sent from a branch runs in that branch's schema, through a real worker and Redis."""
from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from notifications.models import Notification
from notifications.tasks import notify
from tests.conftest import wait_for
from tests.factories import make_user

pytestmark = pytest.mark.worker


def _count(schema: str, user) -> int:
    with schema_context(schema):
        return Notification.objects.filter(recipient_id=user.pk).count()


def test_task_sent_from_a_branch_writes_in_that_branch_only(committed_branch, celery_worker_process):
    user = make_user(None, (committed_branch.code, "specialist"), home=committed_branch.code)

    with schema_context(committed_branch.schema_name):
        notify.delay(user.pk, "您的开户奖励1200元已到账", dedupe_key="probe-1")

    wait_for(lambda: _count(committed_branch.schema_name, user) == 1)
    with schema_context(committed_branch.schema_name):
        note = Notification.objects.get(recipient_id=user.pk)
    assert note.title == "您的开户奖励1200元已到账"
    for other in ("br_bj", "br_sh", "br_gz"):
        assert _count(other, user) == 0
    with connection.cursor() as cur:  # and nothing in public either
        cur.execute("select to_regclass('public.notifications_notification')")
        assert cur.fetchone()[0] is None


def test_fan_out_runs_once_in_every_active_branch(committed_branch, celery_worker_process):
    from branches.tasks import fan_out

    user = make_user(None, (committed_branch.code, "specialist"))
    result = fan_out.delay("notifications.tasks.notify", user.pk, "排班提醒", "", "info", "fan-out-1")

    sent = result.get(timeout=60)
    assert sent >= 4  # bj, sh, gz and the throw-away branch are active
    wait_for(lambda: _count(committed_branch.schema_name, user) == 1)
    # Re-running the same fan-out (a retried beat tick) delivers nothing twice.
    fan_out.delay("notifications.tasks.notify", user.pk, "排班提醒", "", "info", "fan-out-1").get(timeout=60)
    wait_for(lambda: all(_count(s, user) == 1 for s in ("br_bj", "br_sh", "br_gz", committed_branch.schema_name)))


def test_task_refuses_bad_arguments_and_writes_nothing(committed_branch, celery_worker_process):
    with schema_context(committed_branch.schema_name):
        result = notify.delay("not-an-id", "x")
        with pytest.raises(ValueError, match="recipient_id must be a positive integer"):
            result.get(timeout=60, propagate=True)
        assert Notification.objects.count() == 0
