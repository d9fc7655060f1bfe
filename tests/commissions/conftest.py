"""Helpers for the commission tests: people in bj/sh, and a way to run the recompute the worker
would run (on_commit callbacks do not fire inside a rolled-back test transaction)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import in_branch
from tests.factories import make_user


@pytest.fixture
def people(db):
    return {
        "bj_manager": make_user("bj_mgr", ("bj", "branch_manager"), home="bj"),
        "bj_staff": make_user("bj_staff", ("bj", "branch_staff"), home="bj"),
        "bj_s1": make_user("bj_s1", ("bj", "specialist"), home="bj"),
        "bj_s2": make_user("bj_s2", ("bj", "specialist"), home="bj"),
        "bj_mkt": make_user("bj_mkt", ("bj", "marketing"), home="bj"),
        "bj_sales": make_user("bj_sales", ("bj", "sales"), home="bj"),
        "bj_contact": make_user("bj_contact", ("bj", "client_contact"), home="bj"),
        "sh_manager": make_user("sh_mgr", ("sh", "branch_manager"), home="sh"),
        "sh_staff": make_user("sh_staff", ("sh", "branch_staff"), home="sh"),
        "sh_s1": make_user("sh_s1", ("sh", "specialist"), home="sh"),
    }


def drain(code: str):
    """What the worker does after an event commits: recompute every marked branch-period."""
    from commissions import services

    with in_branch(code):
        return services.recompute_drain()


def recompute(code: str, period: str):
    from commissions import services

    with in_branch(code):
        return services.recompute_period(period=period)


def open_client(api, staff, code="bj", *, opened_by, headcount=30, opened_on="2026-03-10", name="甲公司",
                services=("social_insurance",)):
    r = api(staff).post(f"/b/{code}/api/v1/clients/", {
        "name": name, "headcount": headcount, "opened_on": opened_on, "opened_by": opened_by,
        "services": list(services)}, format="json")
    assert r.status_code == 201, r.json()
    return r.json()["id"]


def statement(api, user, code, username, period):
    r = api(user).get(f"/b/{code}/api/v1/statements/{username}/{period}/")
    assert r.status_code == 200, r.content
    return r.json()


def register_adjustment(code: str, component: str, percent: str, effective_from: str, effective_to=None, **kw):
    """What the adjustments engineer's approve() writes: a row in HQ's register (备案)."""
    import datetime as dt

    from branches.models import Branch
    from commissions.hq.models import RegisteredAdjustment

    branch = Branch.objects.get(code=code)
    n = RegisteredAdjustment.objects.filter(branch=branch).count() + 1
    return RegisteredAdjustment.objects.create(
        branch=branch, adjustment_id=1000 + n, component=component, percent=Decimal(percent),
        effective_from=dt.date.fromisoformat(effective_from),
        effective_to=dt.date.fromisoformat(effective_to) if effective_to else None, reason="test", **kw)


def amounts(stmt) -> list[tuple[str, str]]:
    return sorted((ln["component"], ln["amount"]) for ln in stmt["lines"])
