"""Issue #23, smaller points: the OpenAPI schema was public, and `/b/<unknown>/…` answered
differently from `/b/<real-but-not-yours>/…`, so branch codes could be probed."""
from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from branches.models import ApiToken
from tests.factories import TEST_PASSWORD, make_user

UNKNOWN = "zz-nowhere"
PATHS = [
    ("get", "/b/{c}/"),
    ("get", "/b/{c}/commissions/adjustments/"),
    ("post", "/b/{c}/si/actions/compute/"),
    ("get", "/b/{c}/no-such-page/"),
    ("get", "/b/{c}/api/v1/statements/?period=2026-03"),
    ("post", "/b/{c}/api/v1/recompute/"),
    ("get", "/b/{c}/api/v1/adjustments/1/"),
    ("get", "/b/{c}/api/v1/schema/"),
    ("get", "/b/{c}/api/v1/docs/"),
    ("get", "/b/{c}/api/v1/no-such-route/"),
]


def _answer(client, method: str, path: str, code: str, **extra) -> tuple:
    r = getattr(client, method)(path.format(c=code), **extra)
    body = r.content.decode().replace(code, "<code>")
    return r.status_code, body, r.get("Location", "").replace(code, "<code>"), r.get("WWW-Authenticate")


@pytest.mark.django_db
def test_unknown_branch_answers_exactly_as_a_real_branch_that_is_not_yours(branches):
    outsider = make_user("outsider", ("sh", "specialist"), home="sh")
    token = ApiToken.objects.create(user=outsider).key
    session = Client()
    session.login(username="outsider", password=TEST_PASSWORD)
    callers = {"anonymous": (Client(), {}), "signed in elsewhere": (session, {}),
               "token of another branch": (APIClient(), {"HTTP_AUTHORIZATION": f"Token {token}"}),
               "bad token": (APIClient(), {"HTTP_AUTHORIZATION": "Token " + "0" * 40})}

    compared, statuses = 0, set()
    for who, (client, extra) in callers.items():
        for method, path in PATHS:
            real = _answer(client, method, path, "bj", **extra)
            unknown = _answer(client, method, path, UNKNOWN, **extra)
            assert unknown == real, (who, path, real[:1], unknown[:1])
            assert real[0] in (302, 401, 404), (who, path, real[0])
            statuses.add(real[0])
            compared += 1
    assert compared == 40 and statuses == {302, 401, 404}


@pytest.mark.django_db
def test_openapi_schema_and_docs_need_a_sign_in_and_a_branch_schema_its_membership(branches):
    make_user("reader", ("bj", "specialist"), home="bj")
    anonymous = APIClient()
    assert anonymous.get("/api/v1/schema/").status_code == 401
    assert anonymous.get("/b/bj/api/v1/schema/").status_code == 401
    docs = anonymous.get("/api/v1/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/login/?next=")

    member = Client()
    member.login(username="reader", password=TEST_PASSWORD)
    assert member.get("/api/v1/schema/").status_code == 200
    assert member.get("/b/bj/api/v1/schema/").status_code == 200
    assert member.get("/b/bj/api/v1/docs/").status_code == 200
    assert member.get("/b/sh/api/v1/schema/").status_code == 404
    assert member.get("/b/sh/api/v1/docs/").status_code == 404
