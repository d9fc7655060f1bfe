"""portal.demo.seed leaves, per branch, an approved and a rejected opening-reward claim and one
question on a statement line; seeding again changes nothing."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from commissions import demo as commissions_demo
from portal import demo
from portal.models import ClaimPhoto, Inquiry, RewardClaim
from tests.conftest import in_branch
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_seed_twice_gives_the_same_claims_and_question(branches):
    people = {role: [make_user(f"pd_{role}_{n}", ("bj", role), home="bj") for n in range(count)]
              for role, count in [("specialist", 3), ("branch_staff", 1), ("marketing", 1), ("sales", 1)]}
    org = SimpleNamespace(admin=None, people={"beijing": people}, branches={"beijing": branches["bj"]})
    commissions_demo.seed(org)

    def state():
        with in_branch("bj"):
            return (sorted((c.status, c.reason_code) for c in RewardClaim.objects.all()),
                    ClaimPhoto.objects.count(), list(Inquiry.objects.values_list("raised_by_id", "status")))

    demo.seed(org)
    first = state()
    demo.seed(org)
    assert state() == first
    claims, photos, inquiries = first
    assert claims == [("approved", "ok"), ("rejected", "not_opener")]
    assert photos == 2
    with in_branch("bj"):
        approved = RewardClaim.objects.get(status="approved")
        assert len(inquiries) == 1 and inquiries[0] == (approved.claimant_id, "open")
