"""schemathesis against the branch API's own OpenAPI schema, as an authenticated branch manager
(the widest branch role): no 5xx, no response outside the schema. Suite size here; the
full-size run (≥ 2,000 requests) is bench/schemathesis_run.py."""
from __future__ import annotations

import json
import os

import pytest
from branches.models import ApiToken as Token

from bench.api_fuzz import fuzz
from tests.conftest import in_branch
from tests.factories import make_user

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))


def test_branch_api_survives_generated_requests(branches):
    from clients.models import Client

    manager = make_user("fz_mgr", ("bj", "branch_manager"), home="bj")
    specialist = make_user("fz_s1", ("bj", "specialist"), home="bj")
    with in_branch("bj"):
        Client.objects.create(name="甲公司", headcount=30, opened_on="2026-01-05", opened_by=specialist)
    token = Token.objects.create(user=manager).key

    report = fuzz("/b/bj/api/v1/schema/", token, EXAMPLES)
    summary = report.summary()
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    assert report.operations >= 40
    assert report.requests >= report.operations * 2
    assert report.errors == []
    assert report.server_errors == []
    assert report.violations == []
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w") as f:
            json.dump(summary, f, ensure_ascii=False, indent=1)
