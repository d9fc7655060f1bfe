"""Log in as HQ admin and as a branch manager; homes in Chinese and in English; phone width."""
from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE, login, shot, switch_language
from tests.factories import TEST_PASSWORD, make_user

pytestmark = pytest.mark.browser


def test_hq_admin_sees_hq_home_in_chinese_then_english(committed_branch, page_factory):
    make_user("ui.admin", (None, "hq_admin"))
    page = page_factory(DESKTOP)

    login(page, "ui.admin", TEST_PASSWORD)

    assert page.locator("[data-testid=hq-home]").inner_text() == "总部工作台"
    assert committed_branch.name in page.content()
    shot(page, "hq-home-desktop-zh")
    switch_language(page, "en")
    assert page.locator("[data-testid=hq-home]").inner_text() == "HQ workbench"
    shot(page, "hq-home-desktop-en")


def test_branch_manager_lands_on_branch_home_and_cannot_enter_hq_pages(committed_branch, page_factory):
    make_user("ui.manager", (committed_branch.code, "branch_manager"), home=committed_branch.code)
    page = page_factory(PHONE)

    login(page, "ui.manager", TEST_PASSWORD)

    assert page.url.endswith(f"/b/{committed_branch.code}/")
    assert page.locator("[data-testid=branch-home]").inner_text() == "工作台"
    assert committed_branch.name in page.locator(".wb-head").inner_text()
    assert page.locator("[data-testid=current-branch]").is_visible()
    shot(page, "branch-home-phone-zh")
    # The page fits a 375 px phone: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.goto("/branches/").status == 404
    assert page.goto("/b/bj/").status == 404  # not a member of 北京


def test_wrong_password_is_refused_with_a_message(committed_branch, page_factory):
    make_user("ui.someone", (committed_branch.code, "specialist"))
    page = page_factory(PHONE)

    login(page, "ui.someone", "wrong-password")

    assert page.url.endswith("/login/")
    assert page.locator(".error").is_visible()
