"""performance.demo.seed is idempotent and leaves scores and bonus lines in every branch."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from performance import demo
from performance.models import BonusLine, Department, DepartmentMember, KpiTemplate, Score
from tests.conftest import in_branch
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_seed_twice_gives_the_same_data(branches):
    admin = make_user("p_demo_admin", (None, "hq_admin"))
    people = {}
    for code in ("bj", "sh"):
        people[code] = {role: [make_user(f"d_{code}_{role}_{n}", (code, role)) for n in range(count)]
                        for role, count in [("specialist", 6), ("branch_staff", 1), ("marketing", 1), ("sales", 1)]}
    org = SimpleNamespace(admin=admin, people=people, branches={c: branches[c] for c in ("bj", "sh")})

    def counts():
        with in_branch("sh"):
            return [m.objects.count() for m in (Department, DepartmentMember, KpiTemplate, Score, BonusLine)]

    demo.seed(org)
    first = counts()
    demo.seed(org)
    assert counts() == first == [5, 9, 5, 9, 2]
    with in_branch("bj"):
        amounts = sorted(str(b.amount) for b in BonusLine.objects.all())
    # finance: claims 1.8 ≤ 2 and payment 0.9 ≤ 1 → 120% of 10,000; HR: 20 + 5 pts → 107.5% of 8,000
    assert amounts == ["12000.00", "8600.00"]
