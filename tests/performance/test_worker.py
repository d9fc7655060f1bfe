"""The cycle computation through a real Celery worker, in a throw-away branch with committed data."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from tests.conftest import wait_for
from tests.factories import make_user

pytestmark = pytest.mark.worker


def test_a_worker_computes_the_cycle_in_the_branch_schema(committed_branch, celery_worker_process):
    from performance import services
    from performance.engine import IndicatorSpec
    from performance.models import AppraisalCycle, CycleStatus, Score

    code = committed_branch.code
    hr = make_user(f"{code}_hr", (code, "branch_staff"))
    people = [make_user(f"{code}_p{n}", (code, "specialist")) for n in range(3)]
    with schema_context(committed_branch.schema_name):
        dept = services.department_create(actor=hr, code="claims", name="理赔部")
        for p in people:
            services.member_set(actor=hr, department=dept, user=p)
        services.template_create(actor=hr, code="claims-kpi", name="理赔部", department=dept, first=services.VersionInput(
            season="all", season_label="", months=(), effective_from=date(2026, 1, 1),
            indicators=(IndicatorSpec("days", "理赔时效", "claim_days", Decimal(100), Decimal(2), direction="lower"),)))
        services.values_enter(actor=hr, period="2026-03", rows=[
            services.ValueInput("claim_days", Decimal("2.50"), department_id=dept.pk),
            services.ValueInput("claim_days", Decimal("1.00"), user_id=people[0].pk)])
        cycle = services.cycle_create(actor=hr, period="2026-03")

        task_id = services.cycle_compute_request(actor=hr, cycle=cycle)  # autocommit: sent at once

        assert task_id
        wait_for(lambda: AppraisalCycle.objects.get(pk=cycle.pk).status == CycleStatus.COMPUTED, timeout=60)
        totals = dict(Score.objects.filter(cycle=cycle).values_list("user_id", "total"))
    assert totals == {people[0].pk: Decimal("100.00"), people[1].pk: Decimal("80.00"), people[2].pk: Decimal("80.00")}
