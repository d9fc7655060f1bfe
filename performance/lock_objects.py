"""Row and advisory locks of the performance app, in one place.

Order when several are taken: cycle → score; bonus rules → cycles (ascending id); the template
lock and the departments lock are taken alone.
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


def bonus_rules() -> None:
    """Transaction-scoped advisory lock on the branch's bonus rules: a new version's number and
    the one-rule-per-department check read the other rules (of any code, some without a row yet),
    so two new rules of a branch are written one after the other."""
    locks.take((locks.Lock.PERFORMANCE_BONUS_RULE, f"{connection.schema_name}:perf-rules"))


def departments() -> None:
    """Transaction-scoped advisory lock on the branch's departments: a new department's name is
    checked against the others (no unique constraint can compare names as people read them) and
    its code generated from theirs, so two new departments of a branch are written one after the
    other — two at once with different names both succeed, with the same name one is refused."""
    locks.take((locks.Lock.PERFORMANCE_DEPARTMENTS, f"{connection.schema_name}:perf-departments"))


def cycles_ending_on_or_after(day) -> list[AppraisalCycle]:
    """The cycles a rule effective from `day` would apply to, locked (ascending id): a bonus
    compute of one of them (which holds its row) finishes first, so a new rule sees its lines."""
    return list(AppraisalCycle.objects.select_for_update().filter(ends_on__gte=day).order_by("pk"))
