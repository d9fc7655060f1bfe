"""Celery entry point of the history app: the three checks of a big sheet, off the request."""
from __future__ import annotations

from celery import shared_task

from branches.models import User

from . import services


@shared_task(name="history.tasks.check_import", acks_late=True)
def check_import(import_id: int, actor_id: int) -> int:
    """Run the three checks of one import with its kept mapping and rules (in the schema it was
    sent from); safe to run twice (the same report)."""
    actor = User.objects.get(pk=actor_id)
    return services.import_check(actor=actor, import_id=import_id).differences
