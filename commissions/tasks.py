"""Celery entry points of commissions: thin, safe to run twice, in the schema they were sent from."""
from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="commissions.tasks.drain_recompute_markers", acks_late=True)
def drain_recompute_markers() -> list[str]:
    """Recompute every branch-period marked by an event (on commit, and every 30 s by beat)."""
    return [r.period for r in services.recompute_drain()]


@shared_task(name="commissions.tasks.recompute_period", acks_late=True)
def recompute_period_task(period: str) -> int:
    if not isinstance(period, str) or not services.inputs.PERIOD_RE.match(period):
        raise ValueError(f"period must be YYYY-MM, got {period!r}")
    return services.recompute_period(period=period).lines


@shared_task(name="commissions.tasks.recompute_open_periods", acks_late=True)
def recompute_open_periods() -> list[str]:
    return [r.period for r in services.recompute_open_periods()]


@shared_task(name="commissions.tasks.alert_stuck_leads", acks_late=True)
def alert_stuck_leads() -> int:
    """Hourly, per branch: a lead waiting in a stage past the branch's limit alerts the person
    whose turn it is and the managers (once per lead and stage)."""
    from .lead_services import stuck_leads_alert

    return stuck_leads_alert()
