"""Celery entry points of commissions: thin, safe to run twice, in the schema they were sent from."""
from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from hrsaas.core.period import valid_period

from . import services

# A database that is briefly away outside the per-period recompute (listing the markers, queueing
# the next drain): the task itself is tried again, so its markers do not wait for beat.
RETRY_ON_DATABASE = dict(autoretry_for=(OperationalError, InterfaceError), retry_backoff=2, retry_backoff_max=60,
                         max_retries=services.TRANSIENT_TRIES)


@shared_task(name="commissions.tasks.drain_recompute_markers", acks_late=True, **RETRY_ON_DATABASE)
def drain_recompute_markers() -> list[str]:
    """Recompute every branch-period marked by an event (on commit, and every 30 s by beat);
    markers committed meanwhile, or kept after a transient error, get one more drain
    (`services.drain_again_if_marked`)."""
    periods = [r.period for r in services.recompute_drain()]
    services.drain_again_if_marked()
    return periods


@shared_task(name="commissions.tasks.recompute_period", acks_late=True, bind=True, **RETRY_ON_DATABASE)
def recompute_period_task(self, period: str) -> int | None:
    from branches.jobs import job_started

    # Before reading anything: a request from now on must get a follow-up, not join this run.
    job_started(kind=services.RECOMPUTE_JOB, period=period, task_id=self.request.id)
    if not isinstance(period, str) or not valid_period(period):
        raise ValueError(f"period must be YYYY-MM, got {period!r}")
    # As a drain does it: an error is kept on the request's marker (a transient one is drained
    # again after a back-off, another waits for beat), never lost with the message.
    results = services.recompute_requested(period)
    services.drain_again_if_marked()
    return results[0].lines if results else None


@shared_task(name="commissions.tasks.recompute_open_periods", acks_late=True)
def recompute_open_periods() -> list[str]:
    return [r.period for r in services.recompute_open_periods()]


@shared_task(name="commissions.tasks.alert_stuck_leads", acks_late=True)
def alert_stuck_leads() -> int:
    """Hourly, per branch: a lead waiting in a stage past the branch's limit alerts the person
    whose turn it is and the managers (once per lead and stage)."""
    from .lead_services import stuck_leads_alert

    return stuck_leads_alert()


@shared_task(name="commissions.tasks.remind_unconfirmed_statements", acks_late=True)
def remind_unconfirmed_statements() -> int:
    """Remind earners of this branch who have neither confirmed nor questioned a statement sent
    N days ago (STATEMENT_CONFIRM_REMIND_DAYS). Safe to run twice: a reminder is due again only
    N days after the last one."""
    from .hq.payouts.receipts import receipts_remind

    return receipts_remind(branch=services.current_branch())


@shared_task(name="commissions.tasks.prepare_statements", acks_late=True)
def prepare_statements_task(schema: str, period: str, earner_ids: list[int], lang: str = "zh") -> int:
    """Statements of a large recompute prepared after it (commissions/prepared.py); a lost or
    repeated run only costs readers a computed read."""
    from .prepared import prepare_statements

    if not isinstance(period, str) or not valid_period(period):
        raise ValueError(f"period must be YYYY-MM, got {period!r}")
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be zh or en, got {lang!r}")
    if (not isinstance(earner_ids, list)
            or not all(isinstance(e, int) and not isinstance(e, bool) and e > 0 for e in earner_ids)):
        raise ValueError(f"earner_ids must be a list of person ids, got {earner_ids!r}")
    from branches.models import Branch

    if not isinstance(schema, str) or not Branch.objects.filter(schema_name=schema).exists():
        raise ValueError(f"schema must be a branch's schema name, got {schema!r}")
    return prepare_statements(schema, period, earner_ids, lang=lang)
