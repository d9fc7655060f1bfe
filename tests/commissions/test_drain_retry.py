"""Every event arrives (issue #19): how an event's drain is queued and when a failed recompute is
tried again (the worker-level cases are in test_worker.py)."""
from __future__ import annotations

import pytest
from django.db import connection, transaction

from tests.commissions.conftest import drain, open_client
from tests.conftest import in_branch


def test_a_drain_queued_in_a_rolled_back_savepoint_does_not_hold_back_the_surviving_one(
        people, django_capture_on_commit_callbacks):
    """recompute_mark queues one drain per schema per transaction, judged from the transaction's
    on-commit list: a drain registered inside a savepoint that rolls back leaves that list with it,
    so the mark that survives still queues its own (and marks that survive together queue one)."""
    from branches.models import Branch
    from commissions import services

    sh, bj_schema = Branch.objects.get(code="sh"), Branch.schema_for_code("bj")
    cross = dict(event_branch=sh, earners=[people["bj_s1"]], periods={"2026-03"})  # 跨区域支援
    with in_branch("sh"), django_capture_on_commit_callbacks(execute=False) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.recompute_mark(**cross)
            raise RuntimeError("the event is refused after its mark")
        services.recompute_mark(**cross)
        with transaction.atomic():
            services.recompute_mark(**cross)
        with pytest.raises(RuntimeError), transaction.atomic():
            services.recompute_mark(**cross)
            raise RuntimeError
    assert [c.schema for c in callbacks if isinstance(c, services._SendDrain)] == [bj_schema]
    with in_branch("bj"):
        from commissions.models import RecomputeMarker

        assert RecomputeMarker.objects.count() == 2


def test_a_recompute_that_cannot_take_its_lock_is_tried_again_then_fails(api, people):
    """A transient error (here PostgreSQL's lock_not_available: another session holds the
    branch-period) keeps the markers waiting with their tries counted, so the task queues another
    drain after a back-off; after TRANSIENT_TRIES they fail like any other error (beat's drain
    still takes failed markers). A deterministic error fails at once (test_impossible_periods)."""
    import psycopg2
    from django.conf import settings

    from branches.models import Branch
    from commissions import services
    from commissions.lock_objects import branch_period_key
    from commissions.models import RecomputeMarker, StatementLine
    from hrsaas.core.locks import Lock

    open_client(api, people["bj_staff"], opened_by="bj_s1", opened_on="2026-03-10")
    db = settings.DATABASES["default"]
    holder = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"])
    holder.autocommit = True
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s, %s)",
                        [int(Lock.COMMISSION_PERIOD), branch_period_key(Branch.schema_for_code("bj"), "2026-03")])
        with connection.cursor() as cur:
            cur.execute("SET lock_timeout = '50ms'")  # undone with the test's transaction
        for tries in range(1, services.TRANSIENT_TRIES):
            assert drain("bj") == []
            with in_branch("bj"):
                marker = RecomputeMarker.objects.get()
                assert (marker.attempts, marker.failed_at) == (tries, None)
                assert marker.last_error.startswith("OperationalError: canceling statement due to lock timeout")
                assert services.markers_waiting() == tries  # the next drain waits retry_delay(tries)
            assert services.retry_delay(tries) == min(2 ** tries, 60)
        assert drain("bj") == []
        with in_branch("bj"):
            marker = RecomputeMarker.objects.get()
            assert marker.attempts == services.TRANSIENT_TRIES and marker.failed_at is not None
            assert services.markers_waiting() is None
    finally:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock_all()")
        holder.close()
    assert [r.period for r in drain("bj")] == ["2026-03"]  # beat's drain, once the lock is free
    with in_branch("bj"):
        assert StatementLine.objects.filter(period="2026-03", earner=people["bj_s1"]).count() == 1
        assert RecomputeMarker.objects.count() == 0
