"""Through a real Celery worker: an API-recorded opening and sale reach the statement."""
from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.conftest import wait_for
from tests.factories import make_user

pytestmark = pytest.mark.worker


def _total(api, manager, code, username, period):
    r = api(manager).get(f"/b/{code}/api/v1/statements/{username}/{period}/")
    return r.json()["total"] if r.status_code == 200 else None


def test_recorded_sale_reaches_the_statement_through_the_worker(committed_branch, celery_worker_process, api):
    code = committed_branch.code
    staff = make_user(f"{code}_staff", (code, "branch_staff"), home=code)
    manager = make_user(f"{code}_mgr", (code, "branch_manager"), home=code)
    specialist = make_user(f"{code}_s1", (code, "specialist"), home=code)

    r = api(staff).post(f"/b/{code}/api/v1/clients/", {
        "name": "大客户", "headcount": 500, "opened_on": "2024-01-05", "opened_by": specialist.username,
        "services": ["social_insurance"]}, format="json")
    assert r.status_code == 201
    r = api(staff).post(f"/b/{code}/api/v1/sales/", {
        "client": r.json()["id"], "service": "social_insurance", "period": "2026-03", "amount": "1000000.00",
        "seller": specialist.username}, format="json")
    assert r.status_code == 201

    # no explicit recompute: the marker + on_commit drain task does it
    assert wait_for(lambda: _total(api, manager, code, specialist.username, "2026-03") == "10000.00", timeout=60)
    assert wait_for(lambda: _total(api, manager, code, specialist.username, "2024-01") == "1800.00", timeout=60)
    from commissions.models import RecomputeMarker

    with schema_context(committed_branch.schema_name):
        wait_for(lambda: RecomputeMarker.objects.count() == 0, timeout=60)


def test_lost_message_is_recovered_by_the_drain(committed_branch, celery_worker_process, api):
    """A marker whose task never arrived (lost message) is picked up by the next drain (beat)."""
    from commissions.models import RecomputeMarker
    from commissions.tasks import drain_recompute_markers
    from clients.models import Client

    code = committed_branch.code
    manager = make_user(f"{code}_mgr", (code, "branch_manager"), home=code)
    specialist = make_user(f"{code}_s1", (code, "specialist"), home=code)
    with schema_context(committed_branch.schema_name):
        Client.objects.create(name="x", headcount=60, opened_on="2026-03-02", opened_by=specialist)
        RecomputeMarker.objects.create(period="2026-03")  # as if the on_commit message were lost
        drain_recompute_markers.apply_async()  # what beat's fan-out sends every 30 s
    assert wait_for(lambda: _total(api, manager, code, specialist.username, "2026-03") == "1200.00", timeout=60)
