"""Through a real Celery worker: an API-recorded opening and sale reach the statement."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from django_tenants.utils import schema_context

from tests.conftest import wait_for
from tests.factories import make_user

pytestmark = pytest.mark.worker


def _total(api, manager, code, username, period):
    r = api(manager).get(f"/b/{code}/api/v1/statements/{username}/{period}/")
    return r.json()["total"] if r.status_code == 200 else None


def _people(code):
    """(staff, manager, specialist) of a branch."""
    return (make_user(f"{code}_staff", (code, "branch_staff"), home=code),
            make_user(f"{code}_mgr", (code, "branch_manager"), home=code),
            make_user(f"{code}_s1", (code, "specialist"), home=code))


def _open_client(api, staff, code, opener, name):
    r = api(staff).post(f"/b/{code}/api/v1/clients/", {
        "name": name, "headcount": 60, "opened_on": "2026-03-02", "opened_by": opener.username,
        "services": ["social_insurance"]}, format="json")
    assert r.status_code == 201, r.content


@contextmanager
def _rollup_rows_held(branch):
    """Another session holding HQ's rollup rows of `branch` (a recompute's last step waits on
    them): yields that session and `wait()`, which returns once a recompute waits there."""
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    holder = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"])
    watcher = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"])
    watcher.autocommit = True

    def waiting():
        with watcher.cursor() as cur:
            # This test database's sessions only: another run's (another xdist worker's) recompute
            # waiting on its own rollup rows is not this one's, and counting it let the holder take
            # the branch-period lock before this recompute had it (no deadlock, a flaky test).
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database() "
                        "AND query LIKE 'DELETE FROM public.commissions_hq_earnermonthrollup%%'")
            return cur.fetchone()[0] == 1
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT 1 FROM public.commissions_hq_earnermonthrollup WHERE branch_id = %s FOR UPDATE",
                        [branch.id])
            assert cur.rowcount == 1
        yield holder, lambda: wait_for(waiting, timeout=60)
    finally:
        holder.rollback()
        holder.close()
        watcher.close()


def test_recorded_sale_reaches_the_statement_through_the_worker(committed_branch, celery_worker_process, api):
    code = committed_branch.code
    staff = make_user(f"{code}_staff", (code, "branch_staff"), home=code)
    manager = make_user(f"{code}_mgr", (code, "branch_manager"), home=code)
    specialist = make_user(f"{code}_s1", (code, "specialist"), home=code)

    r = api(staff).post(f"/b/{code}/api/v1/clients/", {
        "name": "大客户", "headcount": 500, "opened_on": "2024-01-05", "opened_by": specialist.username,
        "services": ["social_insurance"]}, format="json")
    assert r.status_code == 201
    r = api(staff).post(f"/b/{code}/api/v1/sales/", {
        "client": r.json()["id"], "service": "social_insurance", "period": "2026-03", "amount": "1000000.00",
        "seller": specialist.username}, format="json")
    assert r.status_code == 201

    # no explicit recompute: the marker + on_commit drain task does it
    assert wait_for(lambda: _total(api, manager, code, specialist.username, "2026-03") == "10000.00", timeout=60)
    assert wait_for(lambda: _total(api, manager, code, specialist.username, "2024-01") == "1800.00", timeout=60)
    from commissions.models import RecomputeMarker

    with schema_context(committed_branch.schema_name):
        wait_for(lambda: RecomputeMarker.objects.count() == 0, timeout=60)


def test_lost_message_is_recovered_by_the_drain(committed_branch, celery_worker_process, api):
    """A marker whose task never arrived (lost message) is picked up by the next drain (beat)."""
    from commissions.models import RecomputeMarker
    from commissions.tasks import drain_recompute_markers
    from clients.models import Client

    code = committed_branch.code
    manager = make_user(f"{code}_mgr", (code, "branch_manager"), home=code)
    specialist = make_user(f"{code}_s1", (code, "specialist"), home=code)
    with schema_context(committed_branch.schema_name):
        Client.objects.create(name="x", headcount=60, opened_on="2026-03-02", opened_by=specialist)
        RecomputeMarker.objects.create(period="2026-03")  # as if the on_commit message were lost
        drain_recompute_markers.apply_async()  # what beat's fan-out sends every 30 s
    assert wait_for(lambda: _total(api, manager, code, specialist.username, "2026-03") == "1200.00", timeout=60)


def test_thirty_recompute_requests_are_one_job_and_one_follow_up(committed_branch, celery_worker_process, api,
                                                                 monkeypatch):
    """Issue #23 (floods): a job waits under the branch-period lock; 30 requests meanwhile enqueue
    exactly one follow-up (counted in the broker's queue), which then sees data recorded after
    the first job started."""
    import psycopg2
    import redis
    from django.conf import settings

    from branches.jobs import pending_key
    from branches.throttles import JobTriggerThrottle
    from hrsaas.celery import task_queue
    from clients.models import Client
    from commissions.lock_objects import branch_period_key
    from hrsaas.core.locks import Lock
    from tests.conftest import TEST_REDIS_URL

    monkeypatch.setattr(JobTriggerThrottle, "THROTTLE_RATES", {"job-trigger": "1000/min"})
    code, schema, period = committed_branch.code, committed_branch.schema_name, "2026-03"
    staff = make_user(f"{code}_staff", (code, "branch_staff"), home=code)
    manager = make_user(f"{code}_mgr", (code, "branch_manager"), home=code)
    specialist = make_user(f"{code}_s1", (code, "specialist"), home=code)
    broker = redis.Redis.from_url(TEST_REDIS_URL)
    db = settings.DATABASES["default"]
    holder = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"])
    holder.autocommit = True
    try:
        with holder.cursor() as cur:  # what a long recompute of this branch-period would hold
            cur.execute("SELECT pg_advisory_lock(%s, %s)", [int(Lock.COMMISSION_PERIOD), branch_period_key(schema, period)])
        first = api(staff).post(f"/b/{code}/api/v1/recompute/", {"period": period}, format="json").json()["task_id"]
        # The job has started (no longer pending) and waits for the lock.
        wait_for(lambda: broker.get(pending_key(schema, "commissions.recompute", period)) is None, timeout=60)
        assert broker.llen(task_queue()) == 0
        with schema_context(schema):  # recorded while the first job runs
            Client.objects.create(name="x", headcount=60, opened_on="2026-03-02", opened_by=specialist)

        ids = [api(staff).post(f"/b/{code}/api/v1/recompute/", {"period": period}, format="json").json()["task_id"]
               for _ in range(30)]

        assert len(set(ids)) == 1 and ids[0] != first
        assert broker.llen(task_queue()) == 1  # one follow-up queued, not 30
    finally:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock_all()")
        holder.close()
    assert wait_for(lambda: _total(api, manager, code, specialist.username, period) == "1200.00", timeout=60)
    wait_for(lambda: broker.llen(task_queue()) == 0, timeout=60)


def test_marker_committed_while_a_drain_finishes_gets_its_own_drain(committed_branch, celery_worker_process, api):
    """Issue #19 (every event arrives, no beat): an event whose marker is committed after a running
    drain consumed the markers it could see, and whose own drain message never ran (lost, or the
    enqueue failed), used to wait for beat — forever without one. The drain that finishes with
    markers left now queues one more drain."""
    from django.db import transaction

    from clients.models import Client
    from commissions.models import RecomputeMarker

    code, schema, period = committed_branch.code, committed_branch.schema_name, "2026-03"
    staff, manager, specialist = _people(code)
    _open_client(api, staff, code, specialist, "甲")
    assert wait_for(lambda: _total(api, manager, code, specialist.username, period) == "1200.00", timeout=60)
    with _rollup_rows_held(committed_branch) as (_holder, recompute_waits):
        _open_client(api, staff, code, specialist, "乙")  # its drain consumes its marker, reads, then waits
        recompute_waits()
        with schema_context(schema), transaction.atomic():  # an event whose drain message is lost
            Client.objects.create(name="丙", headcount=60, opened_on="2026-03-03", opened_by=specialist)
            RecomputeMarker.objects.create(period=period)
    assert wait_for(lambda: _total(api, manager, code, specialist.username, period) == "3600.00", timeout=30)
    with schema_context(schema):
        wait_for(lambda: RecomputeMarker.objects.count() == 0, timeout=30)


@pytest.mark.parametrize("trigger", ["opening", "request"])
def test_a_recompute_that_loses_a_deadlock_is_tried_again(committed_branch, celery_worker_process, api, trigger):
    """Issue #19 (every event arrives, no beat): a recompute chosen by PostgreSQL as a deadlock's
    victim — a transient error, the same recompute a moment later succeeds — used to mark its
    markers failed, and failed markers wait for beat (forever without one): the event never
    reached the statement. Now the markers count the try and the branch is drained again after
    a back-off. Both ways a recompute runs: the drain an opening queues, and `POST recompute/`."""
    from clients.models import Client
    from commissions.lock_objects import branch_period_key
    from commissions.models import RecomputeMarker
    from hrsaas.core.locks import Lock
    from tests.conftest import worker_file

    code, schema, period = committed_branch.code, committed_branch.schema_name, "2026-03"
    staff, manager, specialist = _people(code)
    _open_client(api, staff, code, specialist, "甲")
    assert wait_for(lambda: _total(api, manager, code, specialist.username, period) == "1200.00", timeout=60)
    log_before = worker_file(".test-worker.log").read_text(errors="replace")
    with _rollup_rows_held(committed_branch) as (holder, recompute_waits):
        if trigger == "opening":
            _open_client(api, staff, code, specialist, "乙")  # its drain takes the branch-period, then waits
        else:
            with schema_context(schema):  # a client whose event is seen by the requested recompute only
                Client.objects.create(name="乙", headcount=60, opened_on="2026-03-03", opened_by=specialist)
            r = api(staff).post(f"/b/{code}/api/v1/recompute/", {"period": period}, format="json")
            assert r.status_code == 202, r.content
        recompute_waits()
        with holder.cursor() as cur:  # …while it holds the branch-period: a deadlock, the worker loses
            cur.execute("SET deadlock_timeout = '60s'")
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                        [int(Lock.COMMISSION_PERIOD), branch_period_key(schema, period)])
    wait_for(lambda: "deadlock detected" in worker_file(".test-worker.log").read_text(errors="replace")[len(log_before):],
             timeout=30)
    assert wait_for(lambda: _total(api, manager, code, specialist.username, period) == "2400.00", timeout=60)
    with schema_context(schema):
        wait_for(lambda: RecomputeMarker.objects.count() == 0, timeout=30)


def test_a_worker_of_another_database_on_the_same_redis_takes_none_of_these_tasks(committed_branch,
                                                                                  celery_worker_process, api,
                                                                                  tmp_path):
    """Issue #19 (an event missed once in four runs, no error logged, on a machine shared by
    several checkouts and test runs): every deployment's tasks went to one queue, `celery`, in its
    Redis database, so a worker of another PostgreSQL database reading the same Redis database took
    about half of them, ran them against its own database (the error, if any, in its own log) and
    acknowledged them. An event was missed when both its drain and the branch's recompute went
    there — one in four with two workers. Now each database's tasks have their own queue."""
    from django.conf import settings

    from commissions.models import RecomputeMarker
    from tests.conftest import _celery_worker

    code, schema, period = committed_branch.code, committed_branch.schema_name, "2026-03"
    staff, manager, specialist = _people(code)
    db = settings.DATABASES["default"]
    foreign_log = tmp_path / "worker-of-another-database.log"
    foreign = _celery_worker(["-P", "solo"], foreign_log,
                             database_url=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/postgres")
    next(foreign)
    try:
        for n in range(8):
            _open_client(api, staff, code, specialist, f"客户{n}")
            r = api(staff).post(f"/b/{code}/api/v1/recompute/", {"period": period}, format="json")
            assert r.status_code == 202, r.content
        assert wait_for(lambda: _total(api, manager, code, specialist.username, period) == "9600.00", timeout=60)
        with schema_context(schema):
            wait_for(lambda: RecomputeMarker.objects.count() == 0, timeout=30)
    finally:
        next(foreign, None)  # stopped
    received = [line for line in foreign_log.read_text(errors="replace").splitlines() if "received" in line]
    assert received == [], "a worker of another database took this database's tasks"
