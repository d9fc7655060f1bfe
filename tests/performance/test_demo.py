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
                        for role, count in [("specialist", 6), ("branch_manager", 1), ("branch_staff", 1),
                                            ("marketing", 1), ("sales", 1)]}
    org = SimpleNamespace(admin=admin, people=people, branches={c: branches[c] for c in ("bj", "sh")})

    def counts():
        with in_branch("sh"):
            return [m.objects.count() for m in (Department, DepartmentMember, KpiTemplate, Score, BonusLine)]

    demo.seed(org)
    first = counts()
    demo.seed(org)
    assert counts() == first == [5, 10, 5, 10, 2]
    with in_branch("bj"):
        amounts = sorted(str(b.amount) for b in BonusLine.objects.all())
    # finance: claims 1.8 ≤ 2 and payment 0.9 ≤ 1 → 120% of 10,000; HR: 20 + 5 pts → 107.5% of 8,000
    assert amounts == ["12000.00", "8600.00"]
    # the demo's cycle has every value its templates read: no one listed as lacking values
    from performance.models import AppraisalCycle
    from performance.selectors import missing_inputs

    for code in ("bj", "sh"):
        with in_branch(code):
            cycle = AppraisalCycle.objects.get()
            assert Score.objects.filter(cycle=cycle).count() == 10
            assert missing_inputs(cycle) == []


def test_the_phone_login_heads_nothing_and_a_head_sees_only_their_department(branches):
    """Colleagues' appraisal scores are for managers and HQ (SPEC §1): the demo's first specialist
    (bj.s1, the README's phone login) is a plain member and sees only their own score; a
    specialist who heads a department sees that department's scores, no other."""
    from performance import selectors

    admin = make_user("p_demo_admin2", (None, "hq_admin"))
    people = {"bj": {role: [make_user(f"h_bj_{role}_{n}", ("bj", role)) for n in range(count)]
                     for role, count in [("specialist", 6), ("branch_manager", 1), ("branch_staff", 1),
                                         ("marketing", 1), ("sales", 1)]}}
    demo.seed(SimpleNamespace(admin=admin, people=people, branches={"bj": branches["bj"]}))
    s = people["bj"]["specialist"]
    with in_branch("bj"):
        managers = {m.department.code: m.user_id for m in
                    DepartmentMember.objects.filter(role="manager").select_related("department")}
        assert managers == {"si": people["bj"]["branch_manager"][0].pk, "claims": s[2].pk, "finance": s[4].pk,
                            "hr": people["bj"]["branch_staff"][0].pk, "cs": s[5].pk}
        assert selectors.managed_department_ids(s[0]) == []
        assert set(selectors.scores_visible_to(s[0]).values_list("user_id", flat=True)) == {s[0].pk}
        claims_head = set(selectors.scores_visible_to(s[2]).values_list("department__code", flat=True))
        assert claims_head == {"claims"}
