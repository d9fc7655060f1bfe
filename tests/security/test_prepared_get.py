"""Prepared GETs answered without DRF (branches/prepared_api.py) must answer exactly as the DRF
view answers the same request: the light path is chosen from the request's headers, and any
header DRF refuses must be refused alike."""
from __future__ import annotations

import pytest
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tests.commissions.test_prepared_reads import PERIOD, _sale
from tests.factories import make_user


def _specialist_with_a_month(branch):
    """A specialist of `branch` with a sale recomputed (statement and boards prepared) and an
    API client holding their token."""
    from branches.models import ApiToken
    from commissions import services

    specialist = make_user(f"{branch.code}_s1", (branch.code, "specialist"), home=branch.code)
    _sale(branch.schema_name, specialist, "100000.00")
    with schema_context(branch.schema_name):
        services.recompute_period(period=PERIOD)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.objects.create(user=specialist).key}")
    return specialist, client


@pytest.mark.parametrize("accept", ["", " "])
def test_an_empty_accept_header_is_refused_as_drf_refuses_it(committed_branch, monkeypatch, accept):
    """`Accept:` sent with no value: DRF's negotiation finds no renderer (406); the light path
    took "" for "JSON, please" and answered 200 with the body."""
    import branches.prepared_api as prepared_api

    code = committed_branch.code
    specialist, client = _specialist_with_a_month(committed_branch)
    urls = [f"/b/{code}/api/v1/statements/{specialist.username}/{PERIOD}/",
            f"/b/{code}/api/v1/leaderboards/?period={PERIOD}&metric=sales",
            f"/api/v1/leaderboards/?period={PERIOD}&metric=sales"]
    answers = [client.get(url, HTTP_ACCEPT=accept) for url in urls]
    monkeypatch.setattr(prepared_api, "_plain_json_get", lambda request: False)  # DRF answers all
    for url, answer in zip(urls, answers):
        through_drf = client.get(url, HTTP_ACCEPT=accept)
        assert through_drf.status_code == 406, url
        assert (answer.status_code, answer.content) == (through_drf.status_code, through_drf.content), url
        assert sorted(answer.items()) == sorted(through_drf.items()), url


def test_the_api_schema_does_not_describe_the_prepared_views_with_the_mixins_notes():
    """drf-spectacular describes an operation with the first docstring in the view's classes
    above APIView: PreparedGet's own (an implementation note) became the public description of
    the statement and board endpoints."""
    from drf_spectacular.generators import SchemaGenerator

    from commissions.apis import LeaderboardApi, StatementDetailApi
    from commissions.hq.leaderboard_api import HQLeaderboardApi
    from drf_spectacular.plumbing import get_doc

    schema = SchemaGenerator().get_schema(request=None, public=True)
    described = {op["operationId"]: op.get("description", "") for item in schema["paths"].values()
                 for op in item.values() if isinstance(op, dict) and "operationId" in op}
    for operation in ("statements_retrieve", "branch_leaderboards"):
        assert "APIView" not in described[operation], (operation, described[operation])
    for view in (StatementDetailApi, LeaderboardApi, HQLeaderboardApi):
        assert "APIView" not in get_doc(view), view



def test_a_view_with_checks_of_its_own_is_never_answered_by_the_light_path(db, monkeypatch):
    """PreparedGet checks what the project's defaults check; a view that sets its own
    authentication, permissions or throttles is always DRF's: here an HQ admin's live token
    would pass the light path's checks and get the body, where the view's own check refuses."""
    from django.test import RequestFactory
    from rest_framework.permissions import IsAdminUser
    from rest_framework.throttling import UserRateThrottle
    from rest_framework.views import APIView

    from branches.models import ApiToken
    from branches.prepared_api import PreparedGet

    admin = make_user("hq_admin_own_checks", (None, "hq_admin"))
    key = ApiToken.objects.create(user=admin).key
    body = classmethod(lambda cls, request, **kwargs: b'{"secret":1}')
    plain = type("Plain", (PreparedGet, APIView), {"roles": frozenset({"hq_admin"}), "body": body})
    answer = plain.as_view()(RequestFactory().get("/x/", HTTP_AUTHORIZATION=f"Token {key}"))
    assert (answer.status_code, answer.content) == (200, b'{"secret":1}')  # the light path, as built
    for own in ({"permission_classes": [IsAdminUser]}, {"throttle_classes": [type("Hourly", (UserRateThrottle,), {"rate": "1000/hour"})]},
                {"authentication_classes": []}):
        view_cls = type("Own", (plain,), own)
        drf_calls = []
        dispatch = APIView.dispatch
        monkeypatch.setattr(APIView, "dispatch", lambda self, *a, _d=dispatch, **k: (drf_calls.append(1), _d(self, *a, **k))[1])
        view_cls.as_view()(RequestFactory().get("/x/", HTTP_AUTHORIZATION=f"Token {key}"))
        monkeypatch.setattr(APIView, "dispatch", dispatch)
        assert drf_calls, own


def test_a_board_month_with_blanks_is_that_month(committed_branch):
    """`?period=%202025-07%20` is accepted as 2025-07 (blanks around a period are ignored
    everywhere): its rows and its prepared body, not an empty board cached under the raw text."""

    code = committed_branch.code
    specialist, client = _specialist_with_a_month(committed_branch)
    for board in (f"/b/{code}/api/v1/leaderboards/", "/api/v1/leaderboards/"):
        plain = client.get(f"{board}?period={PERIOD}&metric=sales")
        blanks = client.get(f"{board}?period=%20{PERIOD}%20&metric=sales")
        assert plain.status_code == blanks.status_code == 200
        assert plain.json()["rows"] and blanks.content == plain.content, board
