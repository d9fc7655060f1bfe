"""Demo seeding is idempotent; the daily task computes this month's draft."""
from __future__ import annotations

import pytest
from django.utils import timezone

from social_insurance import demo, engine, tasks
from social_insurance.models import ContributionLine, InsuredEmployee, MonthCycle
from tests.conftest import in_branch
from tests.factories import make_user

pytestmark = pytest.mark.django_db


class Org:
    def __init__(self, branches):
        self.branches = {"beijing": branches["bj"]}
        self.people = {"beijing": {"branch_staff": [make_user("demo_staff", ("bj", "branch_staff"), home="bj")],
                                   "client_contact": [make_user("demo_contact", ("bj", "client_contact"), home="bj")]}}


def test_seed_twice_gives_the_same_data(branches):
    org = Org(branches)
    demo.seed(org)
    with in_branch("bj"):
        first = (InsuredEmployee.objects.count(), ContributionLine.objects.count())
        assert first[0] == 30 and first[1] > 0
    demo.seed(org)
    with in_branch("bj"):
        assert (InsuredEmployee.objects.count(), ContributionLine.objects.count()) == first


def test_daily_cycle_computes_this_month(branches):
    Org(branches)
    period = engine.period_of(timezone.localdate())
    with in_branch("bj"):
        assert tasks.daily_cycle() == "computed"
        assert MonthCycle.objects.get(period=period).computed_at is not None
