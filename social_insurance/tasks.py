"""Celery entry points for 社保/公积金: plain values in, one service call, safe to run twice."""
from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import services
from .engine import period_of
from .models import CycleStatus, MonthCycle


COMPUTE_JOB = "social_insurance.compute_month"


@shared_task(name="social_insurance.tasks.compute_month", acks_late=True, bind=True)
def compute_month(self, period: str, actor_id: int | None = None) -> int:
    from branches.jobs import job_started
    from branches.models import User

    # Before reading anything: a request from now on must get a follow-up, not join this run.
    job_started(kind=COMPUTE_JOB, period=str(period), task_id=self.request.id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return services.month_compute(actor=actor, period=period).employee_count


@shared_task(name="social_insurance.tasks.policy_true_up", acks_late=True)
def policy_true_up(policy_id: int, actor_id: int | None = None) -> int:
    """补差 of a newly published policy version in this branch (sent to every branch)."""
    from branches.models import User

    if isinstance(policy_id, bool) or not isinstance(policy_id, int):
        raise ValueError(f"policy_true_up needs a policy id, got {policy_id!r}")
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    result = services.policy_true_up(actor=actor, policy_id=policy_id)
    return result.inserted + result.updated + result.deleted


@shared_task(name="social_insurance.tasks.daily_cycle", acks_late=True)
def daily_cycle() -> str:
    """Every morning, per branch: post the 补差 of versions published in the last week (a no-op
    when already posted: this catches a true-up whose message was lost), then recompute this
    month's draft (and its checks) unless filed."""
    import datetime as dt

    from .policies.models import CityPolicy
    from .policies.services import PUBLISHED_REASON

    # Only versions HQ published (not the shipped data loaded at install): their audit record says so.
    published = CityPolicy.history.filter(
        history_type="+", history_change_reason=PUBLISHED_REASON,
        history_date__gte=timezone.now() - dt.timedelta(days=7)).values_list("id", flat=True)
    for policy_id in CityPolicy.objects.filter(pk__in=list(published)).values_list("pk", flat=True):
        services.policy_true_up(actor=None, policy_id=policy_id)
    period = period_of(timezone.localdate())
    if MonthCycle.objects.filter(period__gte=period, status=CycleStatus.FILED).exists():
        return "filed"  # this month, or a later one (then this month is no longer computed)
    services.month_compute(actor=None, period=period)
    return "computed"


@shared_task(name="social_insurance.tasks.escalate_exceptions", acks_late=True)
def escalate_exceptions() -> int:
    """Every 15 minutes, per branch: tell the managers about exceptions past a clock, once per stage."""
    from .exceptions import exceptions_escalate

    return exceptions_escalate()


@shared_task(name="social_insurance.tasks.post_late_fees", acks_late=True)
def post_late_fees() -> int:
    """Every morning, per branch: late fees (滞纳金) that waited for a client's next open fee
    statement are posted once it exists (idempotent: nothing changes when nothing is owed)."""
    from .late_fees import late_fees_sweep

    return late_fees_sweep(actor=None).written
