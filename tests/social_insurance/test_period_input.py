"""A month with a trailing newline passed the format check (Python's `$` matches before a final
"\\n") and reached a varchar(7) column: 500s on the SI API, the board's actions and the worker."""
from __future__ import annotations

import pytest
from django.test import Client as WebClient

from social_insurance.models import MonthCycle
from tests.conftest import in_branch

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path, body", [("si/months/2026-10%0A/", None), ("si/months/2026-10%0A/compute/", {}),
                                        ("si/months/2026-10%0A/reconcile/", {}),
                                        ("si/months/2026-10%0A/file/", {"receipt_no": "X1"})])
def test_a_month_with_a_trailing_newline_is_refused_by_the_api(api, staff, path, body):
    url = f"/b/bj/api/v1/{path}"
    r = api(staff).get(url) if body is None else api(staff).post(url, body, format="json")
    assert r.status_code in (400, 404), (path, r.status_code, r.content[:200])
    with in_branch("bj"):
        assert not MonthCycle.objects.exists()


def test_a_month_with_a_trailing_newline_is_refused_by_the_board(staff):
    page = WebClient()
    page.force_login(staff)
    r = page.post("/b/bj/si/actions/compute/", {"period": "2026-10\n"})
    assert r.status_code == 404
    with in_branch("bj"):
        assert not MonthCycle.objects.exists()
