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

from tests.conftest import city_policies_now, city_policies_put_back, drop_committed

DENIED = {401, 403, 404, 405}
# Floors for the loops below: the routes and exports only ever grow, so a loop that checked fewer
# than this lost its input (e.g. a renamed parameter) and must not pass silently.
MIN_BRANCH_PATHS = 110
MIN_HQ_PATHS = 30
MIN_COLLEAGUE_PATHS = 4
MIN_EXPORTS = 4
MIN_CONTACT_PATHS = 60
# What a client contact (an outsider) must never reach: commissions, boards, appraisals, claims,
# the specialist's portal and the manager's review (the role matrix, docs/security.md).
CONTACT_FORBIDDEN = re.compile(r"(commissions|statements/|leaderboards|performance|claims|^me/|review|adjustments|"
                               r"sales|leads|recompute|periods/)")
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
        before, policies = set(User.objects.values_list("pk", flat=True)), city_policies_now()
        org = seed_all()
    try:
        with django_db_blocker.unblock():
            yield org
    finally:
        with django_db_blocker.unblock():
            drop_committed(list(org.branches.values()), before)
            city_policies_put_back(policies)


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
    paths = _branch_paths(demo)
    assert len(paths) >= MIN_BRANCH_PATHS, len(paths)
    for path in paths:
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
    checked = 0
    for path in _branch_paths(demo):
        if colleague.username not in path and str(colleague.pk) not in path.split("/"):
            continue
        response = client.get(f"/b/beijing/{path}")
        assert response.status_code in DENIED, (path, response.status_code)
        checked += 1
    assert checked >= MIN_COLLEAGUE_PATHS, checked


def test_a_specialist_never_reads_a_commission_board(demo):
    """Boards by openings and sales with their own rank; other people's commission amounts are
    for managers and HQ only (branch board, company board, and the portal's board)."""
    me = demo.people["beijing"]["specialist"][1]
    client = _client(me)
    for url in ("/b/beijing/api/v1/leaderboards/?period=2026-11&metric=commission",
                "/api/v1/leaderboards/?period=2026-11&metric=commission"):
        assert client.get(url).status_code == 403, url
    assert client.get("/b/beijing/api/v1/leaderboards/?period=2026-11&metric=openings").status_code == 200
    page = client.get("/b/beijing/me/live/?metric=commission")
    assert page.status_code == 200
    assert 'data-testid="metric-commission"' not in page.content.decode()
    manager = _client(demo.people["beijing"]["branch_manager"][0])
    assert manager.get("/b/beijing/api/v1/leaderboards/?period=2026-11&metric=commission").status_code == 200


def test_a_client_contact_gets_nothing_of_commissions_boards_appraisals_or_claims(demo):
    contact = demo.people["beijing"]["client_contact"][0]
    client = _client(contact)
    canaries = [u.display_name for u in demo.people["beijing"]["specialist"]]
    checked = 0
    for path in _branch_paths(demo):
        if not CONTACT_FORBIDDEN.search(path.removeprefix("api/v1/")) or path.startswith(("api/v1/si/", "si/")):
            continue  # social insurance: the contact's own company's fee statements (scoped by the selectors)
        for method in ("get", "post"):
            response = getattr(client, method)(f"/b/beijing/{path}", {}, format="json")
            assert response.status_code in DENIED, (method, path, response.status_code)
            body = response.content.decode(errors="replace")
            assert not any(c and c in body for c in canaries), (method, path)
            checked += 1
    assert checked >= MIN_CONTACT_PATHS, checked
    # The company board, and reward claims with photos (6 × 8 MB per request once).
    assert client.get("/api/v1/leaderboards/?period=2026-11&metric=commission").status_code in DENIED
    assert client.get("/api/v1/leaderboards/?period=2026-11&metric=openings").status_code in DENIED
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/b/beijing/api/v1/claims/", {"client": "1", "tier": "1",
                                                         "photos": SimpleUploadedFile("a.jpg", b"x" * 1000)},
                           format="multipart")
    assert response.status_code == 403


def test_branch_people_get_nothing_from_hq(demo):
    from hrsaas import urls_hq

    values = {"int": ["1"], "str": ["beijing"], "code": ["beijing"], "user_id": ["1"], "path": ["x"], "slug": ["beijing"],
              "period": ["2026-11"], "username": ["admin"]}
    people = [demo.people["beijing"]["branch_manager"][0], demo.people["beijing"]["specialist"][0]]
    routes = sorted({p for r in _walk(urls_hq.urlpatterns) for p in _fill(r, values)})
    assert len(routes) >= MIN_HQ_PATHS, len(routes)
    checked = 0
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
                checked += 1
    assert checked >= 2 * 2 * (MIN_HQ_PATHS - 8), checked


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
    anonymous caller and a specialist of the branch (imports are the office's: the role matrix):
    refused, and no table
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
    assert len(exports) >= MIN_EXPORTS, exports
    for path in exports:
        for user in (demo.people["guangzhou"]["branch_manager"][0], None):
            response = _client(user).get(f"/b/beijing/{path}")
            assert response.status_code in DENIED | {302}, (path, response.status_code)
            assert "attachment" not in response.get("Content-Disposition", "")
    print(f"exports checked: {exports}")
