"""The SI policy page and the KPI template builder on a 375×812 phone: the document never
scrolls sideways (wide tables scroll inside their own container) and no table cell is narrower
than one of its words — Chinese never wraps one character per line. Screenshots go to
test-artifacts/screenshots/."""
from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.browser.conftest import PHONE, login, shot
from tests.browser.shell_checks import CELLS_KEEP_THEIR_WORDS
from tests.factories import TEST_PASSWORD, make_user

pytestmark = pytest.mark.browser


def fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate("document.body.scrollWidth") <= PHONE["width"]


def test_policy_page_at_375(committed_branch, page_factory):
    make_user("ui.si.admin", (None, "hq_admin"))
    page = page_factory(PHONE)
    login(page, "ui.si.admin", TEST_PASSWORD)

    for url, name, min_cells in (("/si/policies/?year=2026", "si-policies-phone", 5 * 3),
                                 ("/si/policies/beijing/", "si-policy-city-phone", 3 * 6)):
        assert page.goto(url).status == 200
        fits_the_phone(page)
        result = page.evaluate(CELLS_KEEP_THEIR_WORDS)
        assert result["cells"] >= min_cells and result["broken"] == [], (url, result)
        shot(page, name)
    text = page.goto("/si/policies/?year=2026") and page.inner_text("main")
    assert "四舍五入到分" in text and "fen_half_up" not in text and "beijing" not in text


def test_kpi_builder_at_375(committed_branch, page_factory):
    from performance import services

    staff = make_user("ui.kpi.staff", (committed_branch.code, "branch_staff"), home=committed_branch.code)
    with schema_context(committed_branch.schema_name):
        services.department_create(actor=staff, code="cs", name="客服部")
    page = page_factory(PHONE)
    login(page, "ui.kpi.staff", TEST_PASSWORD)
    base = f"/b/{committed_branch.code}/performance/templates/"

    assert page.goto(base + "new/").status == 200
    page.fill("input[name=name]", "客服部考核")
    page.fill("input[name=effective_from]", "2026-01-01")
    page.select_option("select[name=ind-0-metric]", "survey_score")
    assert page.locator(".kpi-row").nth(0).locator(".kpi-scale").is_visible()  # 满意 10 / 一般 5 / 不满意 0
    page.fill("input[name=ind-0-weight]", "40")
    page.fill("input[name=ind-0-target]", "8")
    page.select_option("select[name=ind-1-metric]", "quality")
    page.fill("input[name=ind-1-weight]", "50")
    page.fill("input[name=ind-1-target]", "90")
    assert page.inner_text("#kpi-weight-total") == "90"
    assert "is-bad" in page.get_attribute(".kpi-total", "class")
    page.click("#kpi-add")
    page.select_option("select[name=ind-2-metric]", "exception_hours")
    page.select_option("select[name=ind-2-formula]", "capped")
    assert page.locator(".kpi-row").nth(2).locator(".kpi-cap").is_visible()
    page.fill("input[name=ind-2-cap]", "120")
    page.fill("input[name=ind-2-weight]", "10")
    page.fill("input[name=ind-2-target]", "2")
    assert page.inner_text("#kpi-weight-total") == "100"
    assert "is-ok" in page.get_attribute(".kpi-total", "class")
    fits_the_phone(page)
    shot(page, "kpi-builder-phone")

    page.click("form.kpi-builder button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(base)
    fits_the_phone(page)
    result = page.evaluate(CELLS_KEEP_THEIR_WORDS)
    assert result["cells"] == 5 + 3 * 5 and result["broken"] == [], result  # header + three indicators
    shot(page, "kpi-templates-phone")

    page.click("text=查看与编辑")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=template-detail]").is_visible()
    fits_the_phone(page)
    assert page.evaluate(CELLS_KEEP_THEIR_WORDS)["broken"] == []
    shot(page, "kpi-template-detail-phone")
