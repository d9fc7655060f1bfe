"""A lead's contact details on a phone (375 px): the marketer records them with the lead, opens the
edit form on the lead's page, is refused a mistyped phone number (the message by the field, what
was typed kept) and saves the correction; every page fits the screen. Screenshots at phone width."""
from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, login, shot, submit
from tests.factories import TEST_PASSWORD, make_user

pytestmark = pytest.mark.browser


def _fits_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_leads_details_recorded_and_edited_on_a_phone(committed_branch, page_factory):
    code = committed_branch.code
    make_user(f"{code}_mkt", (code, "marketing"), home=code)
    make_user(f"{code}_sales", (code, "sales"), home=code)

    page = page_factory(PHONE)
    login(page, f"{code}_mkt", TEST_PASSWORD)
    page.goto(f"/b/{code}/leads/new/")
    page.fill("input[name=name]", "蓝海餐饮连锁(朝阳门店)")
    page.fill("input[name=contact]", "王经理")
    page.fill("input[name=phone]", "138 1234 5678")
    page.select_option("select[name=channel]", "exhibition")
    page.check("input[name=services][value=social_insurance]")
    page.check("input[name=services][value=payroll_outsourcing]")
    page.fill("textarea[name=notes]", "展会上留的名片,对社保代缴和薪酬外包都有兴趣,下周二上午回访。")
    _fits_phone(page)
    shot(page, "lead-details-new-phone")
    submit(page, "form.form button[type=submit]")
    assert page.locator(".msg").inner_text() == "已录入线索:蓝海餐饮连锁(朝阳门店)。"
    assert page.locator("[data-testid=lead-channel]").inner_text() == "展会"
    assert page.locator("[data-testid=lead-services]").inner_text() == "社保代缴、薪酬外包"
    _fits_phone(page)

    page.click("[data-testid=edit-toggle]")
    _fits_phone(page)
    shot(page, "lead-details-edit-phone")
    page.fill("[data-testid=lead-edit-form] input[name=phone]", "138-1234")
    submit(page, "[data-testid=edit-button]")
    assert page.locator("[data-testid=lead-edit-form] [data-field=phone]").is_visible()
    assert page.locator("[data-testid=lead-edit-form] input[name=phone]").input_value() == "138-1234"
    assert page.locator("[data-testid=lead-phone]").inner_text() == "138 1234 5678"  # nothing changed
    _fits_phone(page)
    shot(page, "lead-details-edit-refused-phone")
    page.fill("[data-testid=lead-edit-form] input[name=phone]", "010-8765 4321")
    page.select_option("[data-testid=lead-edit-form] select[name=owner]", f"{code}_sales")
    submit(page, "[data-testid=edit-button]")
    assert page.locator(".msg").inner_text() == "已保存线索:蓝海餐饮连锁(朝阳门店)。"
    assert page.locator("[data-testid=lead-phone]").inner_text() == "010-8765 4321"
    _fits_phone(page)
    shot(page, "lead-details-saved-phone")
    page.goto(f"/b/{code}/leads/")
    _fits_phone(page)
