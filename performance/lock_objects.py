"""Row and advisory locks of the performance app, in one place.

Order when several are taken: cycle → score; template and bonus-rule-code locks are taken alone.
"""
from __future__ import annotations

from django.db import connection
from django.http import Http404

from hrsaas.core import locks

from .models import AppraisalCycle, KpiTemplate, Score


def cycle(cycle_id: int) -> AppraisalCycle:
    """The cycle row, locked: compute, finalise and awards serialise on it."""
    obj = AppraisalCycle.objects.select_for_update().filter(pk=cycle_id).first()
    if obj is None:
        raise Http404
    return obj


def score(score_id: int) -> Score:
    obj = Score.objects.select_for_update(of=("self",)).select_related("cycle").filter(pk=score_id).first()
    if obj is None:
        raise Http404
    return obj


def template(template_id: int) -> None:
    """Two new versions of one template at once must not get the same number."""
    KpiTemplate.objects.select_for_update().filter(pk=template_id).first()


def bonus_rule_code(code: str) -> None:
    """Transaction-scoped advisory lock per rule code (the code may not have a row yet)."""
    locks.take((locks.Lock.PERFORMANCE_BONUS_RULE, f"{connection.schema_name}:perf-rule:{code}"))
