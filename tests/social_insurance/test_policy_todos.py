"""HQ admin's workbench names the cities with no social-insurance version in force this month
(their month computes to nothing) or from next month; publishing or extending clears it."""
from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as WebClient
from django.utils import timezone

from branches.roles import hq_roles_of
from branches.workbench import hq_workbench
from social_insurance.policies import services as policy_services
from social_insurance.policies.models import CityPolicy
from social_insurance.policies.selectors import cities_without_policy
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def todos(user, today):
    return {t.key: t for t in hq_workbench(user, hq_roles_of(user), today=today)[0].todos}


def test_cities_without_a_version_this_month_or_next_are_hq_admins_to_do(hq_admin):
    december = dt.date(2026, 12, 5)
    missing = cities_without_policy(december.replace(day=1))
    assert missing and "beijing" not in missing  # the shipped data: some cities' 2026 year is not out
    todo = todos(hq_admin, december)["si-policy-missing"]
    assert todo.urgent and todo.count == len(missing) and todo.url == "/si/policies/"
    assert "广州" in todo.text and "guangzhou" not in todo.text and "、" in todo.text

    # Beijing's year ends with June 2027 and nothing follows it yet: named for next month in June.
    june = todos(hq_admin, dt.date(2027, 6, 10))
    assert "北京" in june["si-policy-ending"].text and not june["si-policy-ending"].urgent
    assert "北京" not in june["si-policy-missing"].text
    # Extending it (沿用) clears the warning.
    beijing = CityPolicy.objects.filter(city="beijing").order_by("-effective_from").first()
    policy_services.policy_extend(actor=hq_admin, policy_id=beijing.pk, effective_to=None)
    assert "北京" not in getattr(todos(hq_admin, dt.date(2027, 6, 10)).get("si-policy-ending"), "text", "")


def test_the_to_do_is_on_hq_admins_home_only(hq_admin):
    finance = make_user("hq_finance", (None, "hq_finance"))
    assert "si-policy-missing" not in todos(finance, dt.date(2026, 12, 5))
    page = WebClient()
    page.force_login(hq_admin)
    html = page.get("/").content.decode()
    missing = cities_without_policy(timezone.localdate().replace(day=1))
    assert ('data-testid="todo-si-policy-missing"' in html) == bool(missing)
