"""Isolation sweep generated from the URL configuration.

Every branch page and endpoint, filled with real ids of the demo data of 北京, is requested by
(a) a user of another branch, (b) an anonymous caller; every HQ page and endpoint by branch
people. None may get data: only 401/403/404/405 (or, for anonymous pages, the login redirect),
and no response may contain a canary taken from 北京's data. Endpoints named by a username are
also requested by a specialist for a colleague. New routes are covered without editing this file.
"""
from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver
from rest_framework.test import APIClient

from tests.conftest import drop_committed

DENIED = {401, 403, 404, 405}
# Not branch data: language switch, login/logout, API schema and docs.
PUBLIC_OK = re.compile(r"(^|/)(i18n/.*|login/|logout/|api/v1/schema/|api/v1/docs/|api/v1/auth/token/(revoke/)?)$")  # revoke: one's own tokens
# Company-wide on purpose (SPEC §5: every specialist sees the company leaderboard); read-only.
COMPANY_WIDE_READS = {"api/v1/leaderboards/"}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _fill(route: str, values: dict[str, str]) -> list[str]:
    """Concrete paths for a route; each <conv:name> takes each candidate value of its name."""
    route = route.lstrip("^").rstrip("$").replace("\\Z", "")
    params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
    if not params:
        return [route]
    paths = [route]
    for conv, name in params:
        key = name if name in values else (conv or "str")
        candidates = values.get(key) or values.get(conv or "str")
        paths = [p.replace(f"<{conv + ':' if conv else ''}{name}>", c, 1) for p in paths for c in candidates]
    return paths


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from branches.demo import seed_all
    from branches.models import User

    with django_db_blocker.unblock():
        before = set(User.objects.values_list("pk", flat=True))
        org = seed_all()
    try:
        with django_db_blocker.unblock():
            yield org
    finally:
        with django_db_blocker.unblock():
            drop_committed(list(org.branches.values()), before)


def _client(user=None) -> APIClient:
    c = APIClient()
    if user is not None:
        c.force_login(user)
    return c


def _canaries(org) -> list[str]:
    from django_tenants.utils import schema_context

    from clients.models import Client

    with schema_context(org.branches["beijing"].schema_name):
        names = list(Client.objects.values_list("name", flat=True)[:20])
    return names + [u.display_name for u in org.people["beijing"]["specialist"]]


def _branch_paths(org) -> list[str]:
    from hrsaas import urls_branch

    victim = org.people["beijing"]["specialist"][0]
    values = {
        "int": ["1", "2"], "str": ["1", "x"], "path": ["x"], "slug": ["x"],
        "username": [victim.username], "period": ["2026-11", "2026-10"], "code": ["beijing"],
        "user_id": [str(victim.pk)],
    }
    paths = set()
    for route in _walk(urls_branch.urlpatterns):
        paths.update(_fill(route, values))
    return sorted(p for p in paths if not PUBLIC_OK.search(p))


def test_another_branchs_user_gets_nothing_anywhere_in_a_branch(demo):
    outsider = demo.people["guangzhou"]["branch_manager"][0]
    canaries = _canaries(demo)
    client = _client(outsider)
    checked = 0
    for path in _branch_paths(demo):
        url = f"/b/beijing/{path}"
        for method in ("get", "post", "put", "patch", "delete"):
            response = getattr(client, method)(url, {}, format="json")
            assert response.status_code in DENIED, (method, url, response.status_code)
            body = response.content.decode(errors="replace")
            assert not any(c and c in body for c in canaries), (method, url)
            checked += 1
    assert checked >= 30  # the sweep really covered the routes


def test_anonymous_callers_get_nothing_in_a_branch(demo):
    client = _client()
    for path in _branch_paths(demo):
        url = f"/b/beijing/{path}"
        for method in ("get", "post"):
            response = getattr(client, method)(url, {}, format="json")
            if "/api/" in url:
                assert response.status_code in DENIED, (method, url, response.status_code)
            else:
                assert response.status_code in DENIED | {302}, (method, url, response.status_code)
                if response.status_code == 302:
                    assert response["Location"].startswith("/login/"), url


def test_a_specialist_cannot_read_a_colleagues_personal_data(demo):
    me, colleague = demo.people["beijing"]["specialist"][1], demo.people["beijing"]["specialist"][0]
    client = _client(me)
    for path in _branch_paths(demo):
        if colleague.username not in path and str(colleague.pk) not in path.split("/"):
            continue
        response = client.get(f"/b/beijing/{path}")
        assert response.status_code in DENIED, (path, response.status_code)


def test_branch_people_get_nothing_from_hq(demo):
    from hrsaas import urls_hq

    values = {"int": ["1"], "str": ["beijing"], "code": ["beijing"], "user_id": ["1"], "path": ["x"], "slug": ["beijing"],
              "period": ["2026-11"], "username": ["admin"]}
    people = [demo.people["beijing"]["branch_manager"][0], demo.people["beijing"]["specialist"][0]]
    routes = sorted({p for r in _walk(urls_hq.urlpatterns) for p in _fill(r, values)})
    for user in people:
        client = _client(user)
        for path in routes:
            if PUBLIC_OK.search(path) or path == "":
                continue
            for method in ("get", "post"):
                response = getattr(client, method)(f"/{path}", {}, format="json")
                if method == "get" and path in COMPANY_WIDE_READS:
                    continue
                assert response.status_code in DENIED, (user.username, method, path, response.status_code)


def _upload_files(org) -> dict[str, bytes]:
    s1 = org.people["beijing"]["specialist"][0].username
    return {
        "clients": f"name,headcount,opened_on,opened_by\n入侵公司,30,2026-03-01,{s1}\n".encode(),
        "sales": f"client,service,period,amount,seller\n1,social_insurance,2026-03,100.00,{s1}\n".encode(),
        "si": "client,name,id_number,insured_city,wage,start_date\n1,张三,11010519900101007X,beijing,9000,2026-01-01\n".encode(),
    }


def _branch_row_counts(org) -> dict[str, int]:
    from django.db import connection

    schema = org.branches["beijing"].schema_name
    counts = {}
    with connection.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE'",
                    [schema])
        for (table,) in cur.fetchall():
            cur.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
            counts[table] = cur.fetchone()[0]
    return counts


def test_uploads_from_outside_the_branch_or_below_the_role_write_nothing(demo):
    """Every import endpoint gets a real, valid-looking file from another branch's manager, an
    anonymous caller and (commission imports) a specialist of the branch: refused, and no table
    of the branch changes."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    uploads = [p for p in _branch_paths(demo) if "import" in p]
    assert len(uploads) >= 2
    files = _upload_files(demo)
    callers = {"outsider": demo.people["guangzhou"]["branch_manager"][0], "anonymous": None,
               "specialist": demo.people["beijing"]["specialist"][1]}
    before = _branch_row_counts(demo)
    for path in uploads:
        kind = "si" if "/si/" in path else "sales" if "sales" in path else "clients"
        for who, user in callers.items():
            if who == "specialist" and "/si/" in path:
                continue  # specialists run the social-insurance work of their branch (SPEC §1)
            for name in ("x.csv", "x.xlsx"):
                response = _client(user).post(f"/b/beijing/{path}", {"file": SimpleUploadedFile(name, files[kind])},
                                              format="multipart")
                expected = DENIED if who != "anonymous" or "/api/" in path else DENIED | {302}
                assert response.status_code in expected, (who, path, response.status_code)
    assert _branch_row_counts(demo) == before


def test_exports_are_only_for_the_branch(demo):
    """Whatever a branch manager can download as a file (CSV/XLSX/attachment) is refused to
    another branch's manager and to anonymous callers, with no content."""
    manager = _client(demo.people["beijing"]["branch_manager"][0])
    exports = []
    for path in _branch_paths(demo):
        response = manager.get(f"/b/beijing/{path}")
        kind = response.get("Content-Type", "")
        if response.status_code == 200 and ("attachment" in response.get("Content-Disposition", "")
                                            or not kind.startswith(("text/html", "application/json"))):
            exports.append(path)
    for path in exports:
        for user in (demo.people["guangzhou"]["branch_manager"][0], None):
            response = _client(user).get(f"/b/beijing/{path}")
            assert response.status_code in DENIED | {302}, (path, response.status_code)
            assert "attachment" not in response.get("Content-Disposition", "")
    print(f"exports checked: {exports}")
