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


def test_the_demo_carries_a_citys_last_policy_year_forward_until_the_new_one_is_published(branches):
    """The shipped data has no Guangzhou year in force this month (its 2025年度 ends June 2026):
    the demo keeps it in force as HQ would (沿用上年度基数), so the Guangzhou branch's month
    computes, with no 无适用政策 check, and the board has no alert."""
    from social_insurance.models import CheckFinding
    from social_insurance.policies.models import CityPolicy
    from social_insurance.selectors import cities_missing_policy

    class GuangzhouOrg:
        admin = make_user("demo_admin", (None, "hq_admin"))

    org = GuangzhouOrg()
    org.branches = {"guangzhou": branches["gz"]}
    org.people = {"guangzhou": {"branch_staff": [make_user("gz_demo_staff", ("gz", "branch_staff"), home="gz")]}}
    this_month = engine.period_of(timezone.localdate())
    shipped = CityPolicy.objects.filter(city="guangzhou").order_by("-effective_from").first()
    assert shipped.effective_to < engine.month_start(this_month)
    demo.seed(org)
    latest = CityPolicy.objects.get(pk=shipped.pk)
    assert latest.effective_to is None and latest.history.latest().history_change_reason == "policy extended"
    with in_branch("gz"):
        assert ContributionLine.objects.filter(period=this_month).exists()
        assert not CheckFinding.objects.filter(period=this_month, kind="no_policy").exists()
        assert cities_missing_policy(this_month) == []
