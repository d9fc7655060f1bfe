"""Celery entry points for performance: ids in, one service call (runs in the sender's schema)."""
from __future__ import annotations

from celery import shared_task


@shared_task(name="performance.tasks.compute_cycle", acks_late=True)
def compute_cycle(cycle_id: int) -> dict:
    """Compute a cycle's scores from the data at its end. Safe to run twice (upserts)."""
    from . import services

    if not isinstance(cycle_id, int) or cycle_id <= 0:
        raise ValueError(f"cycle_id must be a positive integer, got {cycle_id!r}")
    return services.cycle_compute(cycle_id=cycle_id)
