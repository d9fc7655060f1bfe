"""A real worker computes a branch's month from the API's 202, in that branch's schema."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from social_insurance.models import ContributionLine, MonthCycle
from tests.conftest import wait_for
from tests.factories import make_user

from .helpers import add_employee, make_client

pytestmark = pytest.mark.worker


def test_the_worker_computes_the_month_requested_through_the_api(committed_branch, celery_worker_process, api):
    staff = make_user(f"{committed_branch.code}_staff", (committed_branch.code, "branch_staff"), home=committed_branch.code)
    with schema_context(committed_branch.schema_name):
        client = make_client("工作者测试公司", staff)
        for n, wage in enumerate(["8000", "20000", "50000"], start=1):
            add_employee(client, n, wage, "2025-07-01", actor=staff)

    resp = api(staff).post(f"/b/{committed_branch.code}/api/v1/si/months/2025-08/compute/")
    assert resp.status_code == 202 and resp.json()["task_id"]

    def done():
        with schema_context(committed_branch.schema_name):
            cycle = MonthCycle.objects.filter(period="2025-08", computed_at__isnull=False).first()
            return cycle and ContributionLine.objects.filter(period="2025-08").count() == 15 and cycle

    cycle = wait_for(done, timeout=60)
    assert cycle.employee_count == 3
    with schema_context(committed_branch.schema_name):
        # 8000 + 20000 + 35811 (ceiling) × 16%
        assert sum(l.employer_amount for l in ContributionLine.objects.filter(period="2025-08", kind="pension")) == Decimal("10209.76")
    # Nothing leaked into the session's shared test branches.
    with schema_context("br_bj"):
        assert not ContributionLine.objects.filter(period="2025-08").exists()
