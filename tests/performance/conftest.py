"""Fixtures for performance tests: a small organisation inside branch bj."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.test import Client

from tests.conftest import in_branch
from tests.factories import make_user

DEPARTMENTS = [("si", "社保部", ""), ("claims", "理赔部", ""), ("finance", "财务部", ""), ("hr", "人事部", ""),
               ("cs", "客服部", "客服之星")]


@dataclass
class Org:
    hr: object  # branch staff (HR admin)
    boss: object  # branch manager
    managers: dict = field(default_factory=dict)  # dept code → manager user
    members: dict = field(default_factory=dict)  # dept code → [member users]
    depts: dict = field(default_factory=dict)


@pytest.fixture
def org(branches):
    from performance import services

    o = Org(hr=make_user("p_hr", ("bj", "branch_staff")), boss=make_user("p_boss", ("bj", "branch_manager")))
    with in_branch("bj"):
        for code, name, star in DEPARTMENTS:
            dept = services.department_create(actor=o.hr, code=code, name=name, star_title=star)
            o.depts[code] = dept
            mgr = make_user(f"p_{code}_mgr", ("bj", "specialist"))
            services.member_set(actor=o.hr, department=dept, user=mgr, role="manager")
            o.managers[code] = mgr
            o.members[code] = []
            for n in (1, 2):
                u = make_user(f"p_{code}_{n}", ("bj", "specialist"))
                services.member_set(actor=o.hr, department=dept, user=u, role="member")
                o.members[code].append(u)
    return o


def indicator(code, metric, weight, target, **kw):
    return {"code": code, "name": kw.pop("name", code), "metric": metric, "weight": str(weight),
            "target": str(target), **kw}


BJ = "/b/bj/api/v1/performance/"


@pytest.fixture
def quarter(api, org):
    """A 2026-Q1 cycle, 客服部 and 理赔部 templates (quality 60%, peer review 40%) and quality values."""
    hr = api(org.hr)
    for dept in ("cs", "claims"):
        r = hr.post(BJ + "templates/", {"code": f"{dept}-kpi", "name": dept, "department": dept,
                                        "effective_from": "2026-01-01",
                                        "indicators": [indicator("q", "quality", 60, 100),
                                                       indicator("r", "peer_review", 40, 10)]}, format="json")
        assert r.status_code == 201, r.content
    rows = [{"metric": "quality", "username": u.username, "value": v} for u, v in [
        (org.members["cs"][0], "90"), (org.members["cs"][1], "95"), (org.managers["cs"], "80"),
        (org.members["claims"][0], "100"), (org.members["claims"][1], "100"), (org.managers["claims"], "100")]]
    assert hr.post(BJ + "values/", {"period": "2026-Q1", "rows": rows}, format="json").status_code == 200
    resp = hr.post(BJ + "cycles/", {"period": "2026-Q1"}, format="json")
    assert resp.json()["kind"] == "quarterly" and resp.json()["ends_on"] == "2026-03-31"
    return resp.json()["id"]


def browser(user) -> Client:
    """A web client signed in as `user` (the pages, as a browser sees them)."""
    c = Client()
    c.force_login(user)
    return c
