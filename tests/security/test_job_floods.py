"""Issue #23, floods: 30 `POST recompute/` were 30 full jobs, and 30 SI computes likewise.

Now one job is pending per branch and period (later requests get its task id and enqueue
nothing) and the triggers are throttled per person and branch (429 past the rate). Inside the
test transaction on_commit callbacks are captured, not run: each is one task sent to the broker,
so their number is the number of jobs enqueued. The worker-side half (a request while a job runs
schedules exactly one follow-up) is in tests/commissions/test_worker.py."""
from __future__ import annotations

import pytest
import redis
from django.core.cache import cache

from branches.jobs import pending_key
from branches.models import Branch
from branches.throttles import JobTriggerThrottle
from commissions.models import RecomputeMarker
from tests.conftest import TEST_REDIS_URL, in_branch
from tests.factories import make_user

# The seconds left of the throttle's minute, counted from the first request.
THROTTLED = "请求过于频繁:重新计算已在排队或进行中,请 {} 秒后再试。"


@pytest.fixture(autouse=True)
def _empty_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def generous_rate(monkeypatch):
    monkeypatch.setattr(JobTriggerThrottle, "THROTTLE_RATES", {"job-trigger": "1000/min"})


@pytest.mark.django_db
def test_thirty_recompute_requests_enqueue_one_job(api, branches, generous_rate, django_capture_on_commit_callbacks):
    staff = make_user("flood_staff", ("bj", "branch_staff"), home="bj")

    with django_capture_on_commit_callbacks() as enqueued:
        answers = [api(staff).post("/b/bj/api/v1/recompute/", {"period": "2026-03"}, format="json") for _ in range(30)]

    assert [r.status_code for r in answers] == [202] * 30
    assert len({r.json()["task_id"] for r in answers}) == 1
    assert len(enqueued) == 1
    with in_branch("bj"):
        assert RecomputeMarker.objects.filter(period="2026-03").count() == 1
    # Another period is another job.
    with django_capture_on_commit_callbacks() as enqueued:
        other = api(staff).post("/b/bj/api/v1/recompute/", {"period": "2026-02"}, format="json")
    assert other.json()["task_id"] != answers[0].json()["task_id"] and len(enqueued) == 1
    pending = redis.Redis.from_url(TEST_REDIS_URL).get(pending_key(Branch.schema_for_code("bj"), "commissions.recompute", "2026-03"))
    assert pending.decode() == answers[0].json()["task_id"]


@pytest.mark.django_db
def test_a_request_joining_a_job_whose_marker_is_gone_queues_a_drain_once_the_job_has_started(
        api, branches, generous_rate, django_capture_on_commit_callbacks, monkeypatch):
    """The pending job's marker was consumed (by a drain, or by the job itself if it started
    meanwhile): a request that joins it writes a marker of its own. After its commit, a drain is
    queued for that marker if the job has started (it may already have looked for markers for
    the last time), and none while the job still waits (it will consume the marker)."""
    from branches.jobs import job_started
    from commissions.services import RECOMPUTE_JOB, _SendDrain

    sent = []
    monkeypatch.setattr(_SendDrain, "__call__", lambda self: sent.append(self.schema))
    staff = make_user("late_joiner", ("bj", "branch_staff"), home="bj")
    with django_capture_on_commit_callbacks() as enqueued:
        first = api(staff).post("/b/bj/api/v1/recompute/", {"period": "2026-03"}, format="json")
    assert first.status_code == 202 and len(enqueued) == 1
    with in_branch("bj"):
        RecomputeMarker.objects.filter(period="2026-03").delete()  # consumed
        # An event's marker naming one earner does not stand for a request of the whole period.
        RecomputeMarker.objects.create(period="2026-03", earners=[staff.pk])
    with django_capture_on_commit_callbacks() as enqueued:
        joined = api(staff).post("/b/bj/api/v1/recompute/", {"period": "2026-03"}, format="json")
        again = api(staff).post("/b/bj/api/v1/recompute/", {"period": "2026-03"}, format="json")
    assert joined.json()["task_id"] == again.json()["task_id"] == first.json()["task_id"]
    with in_branch("bj"):  # one marker for the whole period, for both joiners
        assert list(RecomputeMarker.objects.filter(period="2026-03", earners__isnull=True)
                    .values_list("period", flat=True)) == ["2026-03"]
    [after_commit] = enqueued
    after_commit()
    assert sent == []  # the job still waits: it will consume the marker
    with in_branch("bj"):
        job_started(kind=RECOMPUTE_JOB, period="2026-03", task_id=first.json()["task_id"])
    after_commit()
    assert sent == [Branch.schema_for_code("bj")]  # started: the marker gets a drain of its own


@pytest.mark.django_db
def test_thirty_si_computes_enqueue_one_job(api, branches, generous_rate, django_capture_on_commit_callbacks):
    staff = make_user("si_flood", ("bj", "branch_staff"), home="bj")

    with django_capture_on_commit_callbacks() as enqueued:
        answers = [api(staff).post("/b/bj/api/v1/si/months/2025-08/compute/") for _ in range(30)]

    assert [r.status_code for r in answers] == [202] * 30
    assert len({r.json()["task_id"] for r in answers}) == 1
    assert len(enqueued) == 1


@pytest.mark.django_db
def test_recompute_and_si_compute_triggers_are_throttled(api, branches, django_capture_on_commit_callbacks):
    staff = make_user("eager", ("bj", "branch_staff"), home="bj")

    with django_capture_on_commit_callbacks() as enqueued:
        codes = [api(staff).post("/b/bj/api/v1/recompute/", {"period": f"2025-{m:02d}"}, format="json").status_code
                 for m in range(1, 13)]
    assert codes == [202] * 10 + [429] * 2
    assert len(enqueued) == 10  # the refused ones enqueued nothing
    refused = api(staff).post("/b/bj/api/v1/si/months/2025-08/compute/")
    assert refused.status_code == 429
    # The message and Retry-After name the same wait: the minute less the time the requests took.
    seconds = int(refused["Retry-After"])
    assert 30 <= seconds <= 60 and refused.json() == {"detail": THROTTLED.format(seconds)}
    # Per person and branch: a colleague is not held back.
    colleague = make_user("calm", ("bj", "branch_staff"), home="bj")
    assert api(colleague).post("/b/bj/api/v1/recompute/", {"period": "2025-01"}, format="json").status_code == 202


def test_a_joining_requests_marker_gets_its_drain_when_redis_cannot_say_whether_the_job_started(monkeypatch):
    """Redis down when the joining request's marker commits: the job is taken as started and the
    drain is queued (at worst one more recompute), so the marker is never left for beat alone."""
    from branches import jobs
    from commissions.services import _DrainUnlessJobWaits, _SendDrain

    sent = []
    monkeypatch.setattr(_SendDrain, "__call__", lambda self: sent.append(self.schema))

    def unreachable():
        raise ConnectionError("redis is down")

    monkeypatch.setattr(jobs, "_redis", unreachable)
    assert jobs.is_pending(kind="commissions.recompute", period="2026-03", task_id="t", schema="br_bj") is False
    _DrainUnlessJobWaits("br_bj", "2026-03", "t")()
    assert sent == ["br_bj"]
