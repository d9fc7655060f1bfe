"""End to end through the API and a real Celery worker (issue #20): a client filed with 60 insured
people pays its specialist the 51–100 tier with nobody recording an opening; its confirmed service
fees give the sales commission; 'on payment' waits for the payment; leaving in its fourth month
claws the reward back in a later, open month; recomputing twice gives the same lines."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tests.conftest import wait_for
from tests.factories import make_user
from tests.social_insurance.helpers import idn

pytestmark = pytest.mark.worker


@pytest.fixture
def cycle_rules(committed_branch):
    """HQ's versions for these months: clawback within 6 months; sales earned on the confirmed
    statement in 2025-08, on payment from 2025-09. Removed afterwards (versions are immutable in
    the database, so the removal skips the trigger)."""
    from commissions.hq.models import RuleVersion
    from commissions.hq.rules import DEFAULT_RULES

    made = [
        RuleVersion.objects.create(component="opening_reward", effective_from=dt.date(2025, 8, 1),
                                   params={**DEFAULT_RULES["opening_reward"], "clawback_months": 6}),
        RuleVersion.objects.create(component="sales_commission", effective_from=dt.date(2025, 9, 1),
                                   params={**DEFAULT_RULES["sales_commission"], "earn_on": "payment"}),
    ]
    yield made
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        try:
            RuleVersion.history.filter(id__in=[v.pk for v in made]).delete()
            cur.execute("DELETE FROM public.commissions_hq_ruleversion WHERE id = ANY(%s)", [[v.pk for v in made]])
        finally:
            cur.execute("SET session_replication_role = origin")


def _lines(api, manager, code, username, period):
    r = api(manager).get(f"/b/{code}/api/v1/statements/{username}/{period}/")
    return r.json()["lines"] if r.status_code == 200 else None


def _components(lines):
    return sorted((ln["component"], ln["amount"]) for ln in lines or [])


def _file_month(api, staff, code, period, schema):
    from social_insurance.models import MonthCycle

    assert api(staff).post(f"/b/{code}/api/v1/si/months/{period}/compute/").status_code == 202

    def computed():
        with schema_context(schema):
            return MonthCycle.objects.filter(period=period, computed_at__isnull=False).exists()

    assert wait_for(computed, timeout=90)
    assert api(staff).post(f"/b/{code}/api/v1/si/months/{period}/reconcile/").status_code == 200
    r = api(staff).post(f"/b/{code}/api/v1/si/months/{period}/file/", {"receipt_no": f"R{period}"}, format="json")
    assert r.status_code == 200, r.content


def _statement_id(api, staff, code, period, client_id):
    rows = api(staff).get(f"/b/{code}/api/v1/si/statements/?period={period}").json()
    return next(s["id"] for s in rows if s["client"] == client_id)


def test_commission_follows_from_the_social_insurance_cycle(committed_branch, celery_worker_process, api,
                                                            cycle_rules):
    code, schema = committed_branch.code, committed_branch.schema_name
    staff = make_user(f"{code}_staff", (code, "branch_staff"), home=code)
    manager = make_user(f"{code}_mgr", (code, "branch_manager"), home=code)
    s1 = make_user(f"{code}_s1", (code, "specialist"), home=code)
    contact = make_user(f"{code}_contact", (code, "client_contact"), home=code)

    # The client is registered with its service fee; nobody records an opening or a sale.
    r = api(staff).post(f"/b/{code}/api/v1/clients/", {
        "name": "六十人公司", "headcount": 10, "opened_on": "2025-07-25", "opened_by": s1.username,
        "services": ["social_insurance"], "city": "beijing", "opening_source": "awaiting",
        "fee_social_insurance": "30.00"}, format="json")
    assert r.status_code == 201, r.content
    client_id = r.json()["id"]
    for n in range(1, 61):
        r = api(staff).post(f"/b/{code}/api/v1/si/employees/", {
            "client": client_id, "name": f"员工{n}", "id_number": idn(n), "insured_city": "beijing",
            "wage": "10000", "start_date": "2025-08-01"}, format="json")
        assert r.status_code == 201, r.content
    from clients.models import Client
    from social_insurance.services import client_contact_link

    with schema_context(schema):
        client_contact_link(actor=staff, user=contact, client=Client.objects.get(pk=client_id))

    # 2025-08 filed with 60 insured: the opening, 51–100 tier, with the rule stated on the line.
    _file_month(api, staff, code, "2025-08", schema)
    assert wait_for(lambda: _components(_lines(api, manager, code, s1.username, "2025-08"))
                    == [("opening_reward", "1200.00")], timeout=60)
    opening = _lines(api, manager, code, s1.username, "2025-08")[0]
    assert "首个申报月 2025年8月 参保 60 人 → 51–100人档" in opening["explanation"]

    # The client confirms its statement: 60 × 30.00 service fee → 2% sales commission (confirmed rule).
    aug = _statement_id(api, staff, code, "2025-08", client_id)
    assert api(contact).post(f"/b/{code}/api/v1/si/statements/{aug}/confirm/").status_code == 200
    assert wait_for(lambda: _components(_lines(api, manager, code, s1.username, "2025-08"))
                    == [("opening_reward", "1200.00"), ("sales_commission", "36.00")], timeout=60)

    # 2025-09 under the 'on payment' rule: confirmed is not enough; the payment releases it.
    _file_month(api, staff, code, "2025-09", schema)
    sep = _statement_id(api, staff, code, "2025-09", client_id)
    assert api(contact).post(f"/b/{code}/api/v1/si/statements/{sep}/confirm/").status_code == 200
    from commissions.models import RecomputeMarker

    def drained():
        with schema_context(schema):
            return not RecomputeMarker.objects.exists()

    assert wait_for(drained, timeout=60)
    assert _components(_lines(api, manager, code, s1.username, "2025-09")) == []
    from django.test import Client as WebClient

    web = WebClient()
    web.force_login(s1)
    page = web.get(f"/b/{code}/commissions/statements/2025-09/{s1.username}/")
    assert page.status_code == 200 and "待回款" in page.content.decode()
    phone = web.get(f"/b/{code}/me/statement/2025-09/")  # the specialist's own phone statement
    assert phone.status_code == 200 and "待回款" in phone.content.decode() and "36.00" in phone.content.decode()
    from social_insurance.models import FeeStatement
    from social_insurance.selectors import statement_money

    with schema_context(schema):
        due = statement_money(FeeStatement.objects.get(pk=sep)).due
    r = api(staff).post(f"/b/{code}/api/v1/si/statements/{sep}/payments/",
                        {"amount": f"{due:.2f}", "paid_on": "2025-09-20"}, format="json")
    assert r.status_code == 201, r.content
    assert wait_for(lambda: _components(_lines(api, manager, code, s1.username, "2025-09"))
                    == [("sales_commission", "36.00")], timeout=60)

    # August is closed and paid out as it is; the client leaves on 2025-11-20, its fourth month.
    assert api(manager).post(f"/b/{code}/api/v1/periods/2025-08/close/").status_code == 200
    r = api(staff).post(f"/b/{code}/api/v1/clients/{client_id}/close/", {"closed_on": "2025-11-20"}, format="json")
    assert r.status_code == 200, r.content
    assert wait_for(lambda: _components(_lines(api, manager, code, s1.username, "2025-11"))
                    == [("opening_clawback", "-1200.00")], timeout=60)
    clawback = _lines(api, manager, code, s1.username, "2025-11")[0]
    assert clawback["explanation"].startswith("客户六十人公司于 2025年11月 终止,开户未满 6 个月,扣回开户奖励")
    assert _components(_lines(api, manager, code, s1.username, "2025-08")) == [
        ("opening_reward", "1200.00"), ("sales_commission", "36.00")]  # the closed month untouched

    # Recompute twice through the API and the worker: the same lines (same rows).
    from commissions.models import StatementLine

    def stored():
        with schema_context(schema):
            return sorted(StatementLine.objects.filter(period="2025-11").values_list("id", "component", "amount"))

    from celery.result import AsyncResult

    before = stored()
    for _ in range(2):
        r = api(manager).post(f"/b/{code}/api/v1/recompute/", {"period": "2025-11"}, format="json")
        assert r.status_code == 202
        assert wait_for(lambda: AsyncResult(r.json()["task_id"]).ready(), timeout=60)
        assert stored() == before and len(before) == 1
