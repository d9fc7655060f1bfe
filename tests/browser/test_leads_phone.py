"""Leads on a phone (375 px) end to end: gunicorn + a real Celery worker on committed data.

A marketer records the lead they bring in and marks the visit; the seller receives the client,
records the intent and signs, all from the phone; the worker puts both shares on both
statements. Branch staff recording the same client twice is refused with a link to the first.
Screenshots at phone and desktop width."""
from __future__ import annotations

import re

import pytest
from django.utils import timezone

from commissions.engine import period_of
from tests.browser.conftest import DESKTOP, PHONE, login, shot, submit
from tests.conftest import wait_for
from tests.factories import TEST_PASSWORD, make_user

pytestmark = pytest.mark.browser


def _fits_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _stage(page, label: str):
    assert page.locator("[data-testid=stage-button]").inner_text() == f"记录:{label}"
    submit(page, "[data-testid=stage-button]")
    assert page.locator("[data-testid=lead-stage]").inner_text() == label


def test_a_lead_worked_on_phones_by_the_marketer_and_the_seller(committed_branch, page_factory, api):
    code = committed_branch.code
    make_user(f"{code}_mgr", (code, "branch_manager"), home=code)
    mkt_user = make_user(f"{code}_mkt", (code, "marketing"), home=code)
    sales_user = make_user(f"{code}_sales", (code, "sales"), home=code)
    mkt, sales = f"{code}_mkt", f"{code}_sales"

    page = page_factory(PHONE)
    login(page, mkt, TEST_PASSWORD)
    page.goto(f"/b/{code}/leads/")
    _fits_phone(page)
    page.click("[data-testid=lead-new-link]")
    page.fill("input[name=name]", "蓝海餐饮连锁")
    page.select_option("select[name=owner]", sales)
    _fits_phone(page)
    shot(page, "lead-new-phone")
    submit(page, "form.form button[type=submit]")
    lead_id = int(re.search(r"/leads/(\d+)/", page.url).group(1))
    assert page.locator("[data-testid=turn-of]").inner_text().startswith("「到访」:轮到")
    _stage(page, "到访")
    _fits_phone(page)
    shot(page, "lead-detail-phone")

    seller = page_factory(PHONE)
    login(seller, sales, TEST_PASSWORD)
    seller.goto(f"/b/{code}/leads/")
    assert seller.locator(f"[data-testid=lead-{lead_id}]").count() == 1
    _fits_phone(seller)
    shot(seller, "leads-mine-phone")
    seller.click(f"[data-testid=lead-{lead_id}] a")
    _stage(seller, "接待")
    _stage(seller, "签约意向")
    seller.click("[data-testid=sign-link]")
    seller.fill("input[name=amount]", "80000.00")
    _fits_phone(seller)
    shot(seller, "lead-sign-phone")
    submit(seller, "form.form button[type=submit]")
    assert seller.locator("[data-testid=lead-stage]").inner_text() == "合同归档"
    assert seller.locator("[data-testid=stage-history] li").count() == 5

    period = period_of(timezone.localdate())

    def lines(user, username):
        r = api(user).get(f"/b/{code}/api/v1/statements/{username}/{period}/")
        return [(ln["component"], ln["amount"]) for ln in r.json()["lines"]] if r.status_code == 200 else None

    # the worker drains the signing's markers: 4% to the marketer, 2% to the seller
    wait_for(lambda: lines(mkt_user, mkt) == [("lead_marketing", "3200.00")], timeout=40)
    wait_for(lambda: lines(sales_user, sales) == [("lead_sales", "1600.00")], timeout=40)

    desk = page_factory(DESKTOP)
    login(desk, mkt, TEST_PASSWORD)
    desk.goto(f"/b/{code}/leads/")
    assert desk.locator("[data-testid=marketing-figures]").count() == 1
    shot(desk, "leads-mine-desktop")


def test_the_same_client_twice_is_refused_on_a_phone_with_a_link_to_the_first(committed_branch, page_factory, api):
    code = committed_branch.code
    staff = make_user(f"{code}_staff", (code, "branch_staff"), home=code)
    make_user(f"{code}_s1", (code, "specialist"), home=code)
    r = api(staff).post(f"/b/{code}/api/v1/clients/", {
        "name": "北京华信科技", "headcount": 20, "opened_on": timezone.localdate().isoformat(),
        "opened_by": f"{code}_s1", "services": ["social_insurance"]}, format="json")
    first = r.json()["id"]

    page = page_factory(PHONE)
    login(page, f"{code}_staff", TEST_PASSWORD)
    page.goto(f"/b/{code}/commissions/record/client/")
    page.fill("input[name=name]", "北京华信科技 ")
    page.fill("input[name=headcount]", "30")
    page.fill("input[name=opened_by]", f"{code}_s1")
    submit(page, "form.form button[type=submit]")
    assert f"客户编号 {first}" in page.locator(".field-error[data-field=name]").inner_text()
    assert page.locator("[data-testid=duplicate-of] a").get_attribute("href") == f"/b/{code}/clients/{first}/"
    _fits_phone(page)
    shot(page, "client-duplicate-phone")
    from django_tenants.utils import schema_context

    from clients.models import Client

    with schema_context(committed_branch.schema_name):
        assert Client.objects.count() == 1
