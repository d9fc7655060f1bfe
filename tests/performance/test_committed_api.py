"""Appraisal through the API with committed data (no test transaction around the request), as
in service: what a test's transaction would hide — a write that needs its own transaction."""
from __future__ import annotations

from performance import services
from tests.factories import make_user
from tests.performance.conftest import indicator


def test_a_new_template_version_through_the_api_outside_a_test_transaction(committed_branch):
    """A new version locks its template (SELECT … FOR UPDATE): the service holds its own
    transaction, as an API request has none (a test's transaction would hide a missing one)."""
    from django_tenants.utils import schema_context
    from rest_framework.test import APIClient

    code = committed_branch.code
    boss = make_user(f"{code}_boss", (code, "branch_manager"), home=code)
    client = APIClient()
    client.force_authenticate(boss)
    with schema_context(committed_branch.schema_name):
        services.department_create(actor=boss, code="cs", name="客服部", star_title="")
    base = f"/b/{code}/api/v1/performance/"
    r = client.post(base + "templates/", {"code": "cs-kpi", "name": "客服部考核", "department": "cs",
                                          "effective_from": "2026-01-01",
                                          "indicators": [indicator("q", "quality", 100, 90)]}, format="json")
    assert r.status_code == 201, r.content
    r = client.post(base + "templates/cs-kpi/versions/", {"effective_from": "2026-07-01",
                                                         "indicators": [indicator("q", "quality", 100, 95)]},
                    format="json")
    assert r.status_code == 201, r.content
