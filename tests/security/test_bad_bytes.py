"""Issue #23: NUL bytes or year 0 in a path or a query gave 500 on ~15 routes (two without
login). Every branch and HQ route is requested with NUL in its path, in its query and in a form
body, and with impossible periods and days: NUL answers 400, nothing answers 500."""
from __future__ import annotations

import re

import pytest
from django.test import Client as WebClient
from django.urls import URLPattern, URLResolver

from tests.commissions.conftest import people  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

YEAR_ZERO = {"period": "0000-01", "int": "1", "str": "0000-01", "path": "0000-01", "code": "bj", "fmt": "csv",
             "username": "bj_s1", "action": "compute", "key": "x", "component": "opening_reward", "city": "beijing",
             "slug": "x"}
YEAR_ZERO_QUERY = "?period=0000-01&month=0000-01&on=0001-01-15&start=0001-01-01&metric=commission"


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _fill(route: str, values: dict[str, str]) -> str:
    route = route.lstrip("^").rstrip("$").replace("\\Z", "")
    for conv, name in re.findall(r"<(?:(\w+):)?(\w+)>", route):
        value = values.get(name) or values.get(conv or "str")
        route = route.replace(f"<{conv + ':' if conv else ''}{name}>", value, 1)
    return route


def _routes():
    from hrsaas import urls_branch, urls_hq

    branch = sorted({"/b/bj/" + _fill(r, YEAR_ZERO) for r in _walk(urls_branch.urlpatterns)})
    hq = sorted({"/" + _fill(r, YEAR_ZERO) for r in _walk(urls_hq.urlpatterns)})
    return branch + hq


def _web(user=None) -> WebClient:
    c = WebClient(raise_request_exception=False)
    if user is not None:
        c.force_login(user)
    return c


def test_nul_in_path_query_or_form_answers_400_everywhere(people):
    callers = {"manager": _web(people["bj_manager"]), "anonymous": _web()}
    checked = 0
    for url in _routes():
        for who, client in callers.items():
            nul_path = url.rstrip("/") + "%00/" if url.endswith("/") else url + "%00"
            for method, target, data in (("get", nul_path, None), ("get", url + "?period=2026-03%00&q=%00", None),
                                         ("post", url, {"name": "a\x00b"})):
                response = getattr(client, method)(target, data) if data else getattr(client, method)(target)
                assert response.status_code == 400, (who, method, target, response.status_code)
                checked += 1
    assert checked >= 6 * 130, checked


def test_year_zero_in_path_or_query_never_gives_500(people):
    callers = {"manager": _web(people["bj_manager"]), "staff": _web(people["bj_staff"]),
               "specialist": _web(people["bj_s1"]), "anonymous": _web()}
    checked = 0
    for url in _routes():
        for who, client in callers.items():
            for method in ("get", "post"):
                response = getattr(client, method)(url + YEAR_ZERO_QUERY)
                assert response.status_code < 500, (who, method, url, response.status_code)
                checked += 1
    assert checked >= 8 * 130, checked


def test_nul_in_a_cookie_or_the_authorization_header_answers_400_not_500(people):
    # A session cookie holding NUL was looked up in PostgreSQL before any view ran: 500 on
    # every route (found by the API fuzzer).
    checked = 0
    for url in ("/b/bj/api/v1/statements/?period=2026-03", "/b/bj/me/", "/login/", "/api/v1/branches/"):
        client = WebClient(raise_request_exception=False)
        client.cookies["sessionid"] = "abc\x00def"
        assert client.get(url).status_code == 400, url
        assert WebClient(raise_request_exception=False).get(url, HTTP_AUTHORIZATION="Token a\x00b").status_code == 400
        checked += 2
    assert checked == 8
