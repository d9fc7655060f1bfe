"""What the demo seeds reads like real data: client names that are not near-namesakes of one
another (the commission demo's 北京华信科技 beside the social-insurance demo's 北京华信科技有限公司
in every client picker), and lead histories whose steps fall on the days the leads' dates say,
录入 first (a lead dated 24 Nov showed 到访 on 27 Nov above 录入 on the day the demo was loaded)."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.test import Client as WebClient
from django.utils import timezone

from commissions import demo as commissions_demo
from social_insurance import demo as si_demo
from tests.conftest import in_branch
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(branches):
    people = {role: [make_user(f"dd_{role}_{n}", ("bj", role), home="bj") for n in range(count)]
              for role, count in [("specialist", 4), ("branch_staff", 1), ("branch_manager", 1), ("marketing", 1),
                                  ("sales", 1), ("client_contact", 1)]}
    return SimpleNamespace(admin=None, people={"beijing": people}, branches={"beijing": branches["bj"]})


def test_the_demo_clients_are_no_near_namesakes_of_one_another(org):
    from clients.keys import normalise_name
    from clients.models import Client

    commissions_demo.seed(org)
    si_demo.seed(org)
    with in_branch("bj"):
        names = sorted(normalise_name(n) for n in Client.objects.values_list("name", flat=True))
    assert len(names) >= 6
    namesakes = [(a, b) for a in names for b in names if a != b and b.startswith(a)]
    assert namesakes == []


def test_demo_lead_histories_run_from_the_leads_dates_in_order(org):
    from commissions.models import Lead, LeadStageChange

    commissions_demo.seed(org)
    order = list(Lead.Stage.values)
    with in_branch("bj"):
        leads = list(Lead.objects.all())
        assert len(leads) >= 8
        for lead in leads:
            steps = list(LeadStageChange.objects.filter(lead=lead).order_by("at", "id"))
            stages = [s.stage for s in steps]
            assert stages[0] == "entered", (lead.name, stages)
            assert [order.index(s) for s in stages] == sorted(order.index(s) for s in stages), (lead.name, stages)
            assert timezone.localtime(steps[0].at).date() == lead.created_on, lead.name
            if lead.signed_on is not None:
                signed = next(s for s in steps if s.stage == "archived")
                assert timezone.localtime(signed.at).date() == lead.signed_on, lead.name
            assert steps[-1].at <= timezone.now()
        waiting = Lead.objects.get(name="华信科技有限公司(展会线索)")
    page = WebClient()
    page.force_login(org.people["beijing"]["branch_manager"][0])
    history = page.get(f"/b/bj/leads/{waiting.pk}/").content.decode().split('data-testid="stage-history"')[1]
    shown = re.findall(r"<li>([^<·]+?) ·", history.split("</ol>")[0])
    assert shown == ["录入", "到访"]
