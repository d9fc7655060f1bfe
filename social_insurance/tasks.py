"""Celery entry points for 社保/公积金: plain values in, one service call, safe to run twice."""
from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import services
from .engine import period_of
from .models import CycleStatus, MonthCycle


@shared_task(name="social_insurance.tasks.compute_month", acks_late=True)
def compute_month(period: str, actor_id: int | None = None) -> int:
    from branches.models import User

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return services.month_compute(actor=actor, period=period).employee_count


@shared_task(name="social_insurance.tasks.daily_cycle", acks_late=True)
def daily_cycle() -> str:
    """Every morning, per branch: recompute this month's draft (and its checks) unless filed."""
    period = period_of(timezone.localdate())
    if MonthCycle.objects.filter(period=period, status=CycleStatus.FILED).exists():
        return "filed"
    services.month_compute(actor=None, period=period)
    return "computed"
