"""Celery entry points for performance: ids in, one service call (runs in the sender's schema)."""
from __future__ import annotations

from celery import shared_task


@shared_task(name="performance.tasks.compute_cycle", acks_late=True, bind=True)
def compute_cycle(self, cycle_id: int) -> dict:
    """Compute a cycle's scores from the data at its end. Safe to run twice (upserts)."""
    from branches.jobs import job_started

    from . import services

    if not isinstance(cycle_id, int) or cycle_id <= 0:
        raise ValueError(f"cycle_id must be a positive integer, got {cycle_id!r}")
    # Before reading anything: a request from now on must queue a new compute, not join this one.
    job_started(kind=services.CYCLE_COMPUTE_JOB, period=services.cycle_job_key(cycle_id), task_id=self.request.id)
    from .models import AppraisalCycle, CycleStatus

    if AppraisalCycle.objects.filter(pk=cycle_id, status=CycleStatus.FINALISED).exists():
        # The request was refused for a finalised cycle; this one was accepted and the cycle
        # finalised before it started: there is nothing left to compute, which is not a failure.
        return {"cycle_id": cycle_id, "skipped": "finalised"}
    return services.cycle_compute(cycle_id=cycle_id)


@shared_task(name="performance.tasks.recompute_computed_cycles", acks_late=True)
def recompute_computed_cycles() -> int:
    """Every night, per branch: recompute the cycles already computed and not yet finalised, so
    that values entered late reach the scores under review (managers' adjustments are kept).
    Cycles nobody has computed yet, and finalised ones, are left alone."""
    from . import services
    from .models import AppraisalCycle, CycleStatus

    ids = list(AppraisalCycle.objects.filter(status=CycleStatus.COMPUTED).order_by("period").values_list("pk", flat=True))
    for cycle_id in ids:
        services.cycle_compute(cycle_id=cycle_id)
    return len(ids)
