"""Prepared GETs answered without DRF (branches/prepared_api.py) must answer exactly as the DRF
view answers the same request: the light path is chosen from the request's headers, and any
header DRF refuses must be refused alike."""
from __future__ import annotations

import pytest
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tests.commissions.test_prepared_reads import PERIOD, _sale
from tests.factories import make_user


@pytest.mark.parametrize("accept", ["", " "])
def test_an_empty_accept_header_is_refused_as_drf_refuses_it(committed_branch, monkeypatch, accept):
    """`Accept:` sent with no value: DRF's negotiation finds no renderer (406); the light path
    took "" for "JSON, please" and answered 200 with the body."""
    import branches.prepared_api as prepared_api
    from branches.models import ApiToken
    from commissions import services

    code, schema = committed_branch.code, committed_branch.schema_name
    specialist = make_user(f"{code}_s1", (code, "specialist"), home=code)
    _sale(schema, specialist, "100000.00")
    with schema_context(schema):
        services.recompute_period(period=PERIOD)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.objects.create(user=specialist).key}")
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
