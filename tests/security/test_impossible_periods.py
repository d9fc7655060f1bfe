"""Issue #23: one impossible period stopped a branch for good.

`recompute {period: "0000-01"}` (202) or a client opened on 0001-01-15 (201) left a marker whose
date arithmetic fails; it sorted first and every later drain of the branch aborted. Now every
date and period input is limited to the product's range (400, nothing written), a drain isolates
a failing period, and a data migration removes the markers left before.
"""
from __future__ import annotations

import importlib

import pytest

from tests.commissions.conftest import drain, open_client, people  # noqa: F401  (fixture)
from tests.conftest import in_branch

pytestmark = pytest.mark.django_db


def _markers(code="bj"):
    from commissions.models import RecomputeMarker

    with in_branch(code):
        return sorted(RecomputeMarker.objects.values_list("period", flat=True))


@pytest.mark.parametrize("period", ["0000-01", "0001-01", "1999-12", "2100-01", "9999-12"])
def test_recompute_of_a_period_outside_the_range_is_refused_and_writes_nothing(api, people, period):
    r = api(people["bj_staff"]).post("/b/bj/api/v1/recompute/", {"period": period}, format="json")
    assert r.status_code == 400, r.content
    assert "period" in r.content.decode()
    assert _markers() == []


@pytest.mark.parametrize("opened_on", ["0001-01-15", "1999-12-31", "2100-01-01"])
def test_a_client_opened_outside_the_range_is_refused_and_writes_nothing(api, people, opened_on):
    from clients.models import Client

    r = api(people["bj_staff"]).post("/b/bj/api/v1/clients/", {
        "name": "甲公司", "headcount": 30, "opened_on": opened_on, "opened_by": "bj_s1",
        "services": ["social_insurance"]}, format="json")
    assert r.status_code == 400, r.content
    assert "opened_on" in str(r.json())
    with in_branch("bj"):
        assert Client.objects.count() == 0
    assert _markers() == []


def test_sales_leads_and_si_inputs_refuse_impossible_dates(api, people):
    from commissions.models import Lead, Sale

    staff = api(people["bj_staff"])
    client_id = open_client(api, people["bj_staff"], opened_by="bj_s1")
    before = _markers()
    r = staff.post("/b/bj/api/v1/sales/", {"client": client_id, "service": "social_insurance", "period": "0000-01",
                                           "amount": "100.00", "seller": "bj_s1"}, format="json")
    assert r.status_code == 400
    r = staff.post("/b/bj/api/v1/leads/", {"name": "乙", "marketer": "bj_mkt", "created_on": "0001-01-15"},
                   format="json")
    assert r.status_code == 400
    r = staff.post("/b/bj/api/v1/si/contributions/preview/", {"city": "beijing", "month": "0000-01", "wage": "9000"},
                   format="json")
    assert r.status_code == 400
    with in_branch("bj"):
        assert (Sale.objects.count(), Lead.objects.count()) == (0, 0)
    assert _markers() == before


def test_a_drain_isolates_a_failing_period_and_recomputes_the_others(api, people):
    """Markers written before the fix (straight into the table): the impossible one is marked
    failed, the good one is recomputed, the drain does not raise."""
    from commissions.models import RecomputeMarker, StatementLine

    open_client(api, people["bj_staff"], opened_by="bj_s1", opened_on="2026-03-10")
    with in_branch("bj"):
        RecomputeMarker.objects.create(period="0000-01")
        RecomputeMarker.objects.create(period="0001-01")
    results = drain("bj")
    assert [r.period for r in results] == ["2026-03"]
    with in_branch("bj"):
        assert StatementLine.objects.filter(period="2026-03").count() >= 1
        bad = RecomputeMarker.objects.order_by("period")
        assert [(m.period, m.attempts, bool(m.failed_at)) for m in bad] == [("0000-01", 1, True), ("0001-01", 1, True)]
    # A later event is still recomputed: the branch is not stuck.
    open_client(api, people["bj_staff"], opened_by="bj_s2", opened_on="2026-03-12", name="乙公司")
    assert [r.period for r in drain("bj")] == ["2026-03"]


def test_a_recompute_that_raises_does_not_stop_the_next_period(api, people, monkeypatch):
    from commissions import services
    from commissions.models import RecomputeMarker

    with in_branch("bj"):
        RecomputeMarker.objects.create(period="2026-01")
        RecomputeMarker.objects.create(period="2026-02")
    real = services.recompute_period

    def flaky(*, period, **kw):
        if period == "2026-01":
            raise RuntimeError("boom")
        return real(period=period, **kw)

    monkeypatch.setattr(services, "recompute_period", flaky)
    assert [r.period for r in drain("bj")] == ["2026-02"]
    with in_branch("bj"):
        failed = RecomputeMarker.objects.get(period="2026-01")
        assert failed.attempts == 1 and failed.last_error == "RuntimeError: boom"


def test_the_data_migration_removes_markers_of_impossible_periods(people):
    from django.apps import apps

    from commissions.models import RecomputeMarker

    migration = importlib.import_module("commissions.migrations.0005_clean_impossible_markers")
    with in_branch("bj"):
        for period in ("0000-01", "0001-01", "1999-12", "2026-03", "bogus"):
            RecomputeMarker.objects.create(period=period)
        migration.forwards(apps, None)
        assert list(RecomputeMarker.objects.values_list("period", flat=True)) == ["2026-03"]
