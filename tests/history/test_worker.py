"""A big sheet's three checks run in a real Celery worker (the API answers 202 with a task id)."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from history.sample_sheet import build_sheet, sheet_xlsx
from tests.conftest import wait_for
from tests.factories import make_user

pytestmark = pytest.mark.worker


def test_checks_of_a_sheet_run_in_the_worker(committed_branch, celery_worker_process, api):
    code = committed_branch.code
    manager = make_user(f"{code}_hmgr", (code, "branch_manager"), home=code)
    people = [make_user(f"{code}_h{i:02d}", (code, "specialist"), home=code).username for i in range(12)]
    header, rows, expected = build_sheet(people=people, first_period="2025-01", months=3, lines=300)
    base = f"/b/{code}/api/v1/history/imports/"
    imp = api(manager).post(base, {"file": SimpleUploadedFile("s.xlsx", sheet_xlsx(header, rows)),
                                   "kind": "history"}, format="multipart").json()
    bad = api(manager).post(f"{base}{imp['id']}/check/", {"run_async": True, "mapping": {"amount": "nope"}},
                            format="json")
    assert bad.status_code == 400  # refused in the request, nothing queued
    r = api(manager).post(f"{base}{imp['id']}/check/", {"run_async": True}, format="json")
    assert r.status_code == 202 and r.json()["task_id"]

    def done():
        body = api(manager).get(f"{base}{imp['id']}/").json()
        return body if body["status"] == "checked" else None

    body = wait_for(done, timeout=60)
    assert body, "the worker did not check the sheet"
    found = {(c, i["row"], i["code"]) for c in ("format", "logic", "compare") for i in body["report"][c]["issues"]}
    assert found == expected
