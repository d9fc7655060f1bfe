"""The specialist's phone portal end to end: gunicorn + a real Celery worker on committed data.

A sale recorded through the API reaches the specialist's home within seconds without a reload;
rank and gap are shown; reward claims with a photo are approved or rejected with the reason; a
line can be questioned; HQ finance marking the period paid lands in the inbox. Screenshots of
every portal page at phone and desktop width."""
from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from commissions.engine import period_of
from tests.browser.conftest import DESKTOP, PHONE, login, shot, switch_language
from tests.factories import TEST_PASSWORD, make_user
from tests.portal.conftest import JPEG

pytestmark = pytest.mark.browser

WAIT_MS = 25_000


def _client(api, staff, code, opened_by, headcount, name):
    r = api(staff).post(f"/b/{code}/api/v1/clients/", {
        "name": name, "headcount": headcount, "opened_on": timezone.localdate().replace(day=1).isoformat(),
        "opened_by": opened_by, "services": ["social_insurance"]}, format="json")
    assert r.status_code == 201, r.content
    return r.json()["id"]


def _fits_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_specialist_portal_on_a_phone(committed_branch, page_factory, api):
    from commissions import services as commission_services

    code = committed_branch.code
    staff = make_user(f"{code}_staff", (code, "branch_staff"), home=code)
    manager = make_user(f"{code}_mgr", (code, "branch_manager"), home=code)
    make_user(f"{code}_s1", (code, "specialist"), home=code)
    make_user(f"{code}_s2", (code, "specialist"), home=code)
    finance = make_user(f"{code}_fin", (None, "hq_finance"))
    s1, s2 = f"{code}_s1", f"{code}_s2"
    for i in range(3):
        _client(api, staff, code, s2, 60, f"乙{i}")
    big = _client(api, staff, code, s1, 60, "甲六十人")
    small = _client(api, staff, code, s1, 30, "甲三十人")
    period = period_of(timezone.localdate())

    page = page_factory(PHONE)
    login(page, s1, TEST_PASSWORD)
    page.goto(f"/b/{code}/me/")
    # the worker drains the openings: 1,200 + 800
    # Waiting through the locator (the devtools protocol): the page's policy forbids eval.
    expect(page.locator("[data-testid=fig-commission]")).to_have_text("2,000.00", timeout=WAIT_MS)
    gap = page.locator("[data-testid=gap-branch-month]")
    gap.filter(has_text="您当前月排名第2位,距离第1位还差1户").wait_for(timeout=WAIT_MS)

    # a sale recorded through the API appears without a reload: +2% of 100,000
    r = api(staff).post(f"/b/{code}/api/v1/sales/", {"client": big, "service": "social_insurance", "period": period,
                                                     "amount": "100000.00", "seller": s1}, format="json")
    assert r.status_code == 201
    expect(page.locator("[data-testid=fig-commission]")).to_have_text("4,000.00", timeout=WAIT_MS)
    assert page.locator("[data-testid=fig-sales]").inner_text().strip() == "100,000.00"
    page.wait_for_selector("#trend-chart[data-ready='1']")
    _fits_phone(page)
    shot(page, "portal-home-phone")

    # reward claims: one passes, one claims the wrong tier
    page.goto(f"/b/{code}/me/claims/")
    page.select_option("select[name=client]", str(big))
    page.select_option("select[name=tier]", "1")
    page.set_input_files("input[name=photos]", files=[{"name": "license.jpg", "mimeType": "image/jpeg", "buffer": JPEG}])
    page.click("form.form button[type=submit]")
    assert page.locator("[data-testid=claim-status]").inner_text() == "已通过"
    assert page.locator(".photos img").count() == 1
    shot(page, "portal-claim-approved-phone")
    page.goto(f"/b/{code}/me/claims/")
    page.select_option("select[name=client]", str(small))
    page.select_option("select[name=tier]", "2")
    page.set_input_files("input[name=photos]", files=[{"name": "license.jpg", "mimeType": "image/jpeg", "buffer": JPEG}])
    page.click("form.form button[type=submit]")
    assert page.locator("[data-testid=claim-status]").inner_text() == "已驳回"
    assert page.locator("[data-testid=claim-reason]").inner_text() == \
        "申领档位「≥101人 1,800.00元」与客户人数 30 人对应的档位「≤50人 800.00元」不符。"
    page.goto(f"/b/{code}/me/claims/")
    _fits_phone(page)
    shot(page, "portal-claims-phone")

    # the statement, each line explained; the approved claim confirms its line
    page.goto(f"/b/{code}/me/statement/{period}/")
    assert page.locator("[data-testid=statement-total]").inner_text() == "4,000.00"
    line = page.locator(f"#line-{code}-client-{big}-opening_reward")
    assert "已确认" in line.inner_text()
    line.locator("summary").click()
    assert "开户奖励 1,200.00 = 1,200.00" in line.locator("[data-testid=line-explanation]").inner_text()
    _fits_phone(page)
    shot(page, "portal-statement-phone")
    line.locator("[data-testid=raise-inquiry]").click()
    page.fill("textarea[name=comment]", "合同人数为 120 人,应按 1,800 元计")
    shot(page, "portal-line-inquiry-phone")
    page.click("form.form button[type=submit]")
    assert page.locator("[data-testid=inquiry-status]").inner_text() == "待答复"
    assert "答复时限 2 个工作日" in page.locator("[data-testid=sla]").inner_text()
    shot(page, "portal-inquiry-phone")

    page.goto(f"/b/{code}/me/estimate/?openings=2&headcount=60&sales_amount=0&service=social_insurance&client_type=new")
    assert page.locator("[data-testid=estimate-total]").inner_text() == "2,400.00"
    _fits_phone(page)
    shot(page, "portal-estimate-phone")

    # The month ends and its manager closes it (a month closes once it has ended: the clock of
    # this process is moved to the next month's first day for the close); HQ finance pays the
    # closed period: the specialist's inbox says so
    first_of_next = (timezone.localdate().replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    with schema_context(committed_branch.schema_name), \
            mock.patch("django.utils.timezone.localdate", return_value=first_of_next):
        commission_services.period_close(actor=manager, period=period)
    commission_services.period_mark_paid(actor=finance, branch=committed_branch, period=period)
    page.goto(f"/b/{code}/inbox/")
    assert page.locator("[data-testid=inbox-item]").filter(has_text=f"您的{int(period[:4])}年{int(period[5:7])}月提成4,000.00元已到账").count() == 1
    shot(page, "portal-inbox-paid-phone")

    # English, and the same pages at desktop width (the manager's review list too)
    desk = page_factory(DESKTOP)
    login(desk, s1, TEST_PASSWORD)
    for name, url in [("home", "/me/"), ("statement", f"/me/statement/{period}/"), ("claims", "/me/claims/"),
                      ("estimate", "/me/estimate/?openings=2&headcount=60&sales_amount=0&service=social_insurance&client_type=new"),
                      ("inquiries", "/me/inquiries/")]:
        desk.goto(f"/b/{code}{url}")
        shot(desk, f"portal-{name}-desktop")
    desk.goto(f"/b/{code}/me/")
    switch_language(desk, "en")
    assert "My results" in desk.locator("[data-testid=portal-home]").inner_text()
    assert re.search(r"You rank #2 this month, 1 account behind #1",
                     desk.locator("[data-testid=gap-branch-month]").inner_text())
    shot(desk, "portal-home-desktop-en")
    review = page_factory(DESKTOP)
    login(review, manager.username, TEST_PASSWORD)
    review.goto(f"/b/{code}/review/")
    assert review.locator("[data-testid=review-claims] tbody tr").count() == 2
    assert review.locator("[data-testid=review-inquiries] tbody tr").count() == 1
    shot(review, "portal-review-desktop")
