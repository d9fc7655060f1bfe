"""The SI policy page, the KPI template builder, the client contact's money pages and the
manager's commission pages on a 375×812 phone: the document never scrolls sideways (wide tables
scroll inside their own container) and no table cell is narrower than one of its words — Chinese
never wraps one character per line. On the money pages the figures a person comes for (amounts,
totals, status, 关账) are on screen without scrolling the table, and the top bar and sub-menu
show their names whole. Screenshots go to test-artifacts/screenshots/."""
from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.browser.conftest import DESKTOP, PHONE, login, shot, submit
from tests.browser.shell_checks import CELLS_KEEP_THEIR_WORDS, CUT_OR_BROKEN, OFF_SCREEN, SCROLL_HINT, overflow
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

    submit(page, "form.kpi-builder button[type=submit]")
    assert page.url.endswith(base)
    fits_the_phone(page)
    result = page.evaluate(CELLS_KEEP_THEIR_WORDS)
    assert result["cells"] == 5 + 3 * 5 and result["broken"] == [], result  # header + three indicators
    shot(page, "kpi-templates-phone")

    submit(page, "text=查看与编辑")
    assert page.locator("[data-testid=template-detail]").is_visible()
    fits_the_phone(page)
    assert page.evaluate(CELLS_KEEP_THEIR_WORDS)["broken"] == []
    shot(page, "kpi-template-detail-phone")


def key_figures_on_screen(page, *selectors: str, at_least: int = 1) -> None:
    for selector in selectors:
        result = page.evaluate(OFF_SCREEN, selector)
        assert result["seen"] >= at_least and result["hidden"] == [], (page.url, selector, result)


def names_whole(page, selector: str, *names: str) -> None:
    assert page.evaluate(CUT_OR_BROKEN, selector) == [], (page.url, selector)
    text = " ".join(page.locator(selector).all_inner_texts())
    for name in names:
        assert name in text, (page.url, selector, name)


def readable_at(page, viewport, name: str) -> None:
    assert overflow(page) <= 0, page.url
    assert "{#" not in page.inner_text("body") and "{%" not in page.inner_text("body"), page.url  # template text
    assert page.evaluate(CELLS_KEEP_THEIR_WORDS)["broken"] == [], page.url
    assert page.evaluate(SCROLL_HINT)["silent"] == [], page.url  # a table scrolling sideways shows it
    shot(page, f"{name}-{'phone' if viewport == PHONE else 'desktop'}")


@pytest.mark.django_db  # reads the demo's committed statements
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_client_money_key_figures_on_screen(demo, page_factory, viewport):
    from branches.demo import DEMO_PASSWORD
    from social_insurance.models import FeeStatementCharge

    with schema_context(demo.branches["beijing"].schema_name):
        late = FeeStatementCharge.objects.filter(kind="late_fee").select_related("statement").first()
        assert late is not None  # the demo's first client paid last month's statement late
    page = page_factory(viewport)
    login(page, "bj.client", DEMO_PASSWORD)
    names_whole(page, "[data-testid=topbar] [data-testid=current-branch]", "北京分公司")
    names_whole(page, "[data-testid=user-menu] .who", "北京分公司客户联系人")

    # 费用与回款: every cell of the statements, ageing and payments tables (a card per row on a phone).
    assert page.goto("/b/beijing/").status == 200
    key_figures_on_screen(page, "[data-testid=client-statements] tbody td", at_least=2 * 7)
    key_figures_on_screen(page, "[data-testid=client-arrears] td", "[data-testid=client-payments] td")
    readable_at(page, viewport, "client-home-figures")
    if viewport == DESKTOP:  # in English too, the whole statements table fits a desktop (its status was cut)
        page.context.add_cookies([{"name": "django_language", "value": "en", "url": page.url}])
        assert page.goto("/b/beijing/").status == 200
        assert page.evaluate(SCROLL_HINT)["scrolling"] == 0
        key_figures_on_screen(page, "[data-testid=client-statements] tbody td", at_least=2 * 7)
        page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": page.url}])

    # 费用明细表 with its 滞纳金: the amounts of every line, 合计, 总计 and the charges.
    assert page.goto(f"/b/beijing/si/statements/{late.statement_id}/").status == 200
    key_figures_on_screen(page, "[data-testid=si-lines] td.num", at_least=2 * 5)
    key_figures_on_screen(page, "[data-testid=si-employer-total]", "[data-testid=si-employee-total]",
                          "[data-testid=si-total]", "[data-testid=si-charge-late_fee] td",
                          "[data-testid=si-payments] td")
    assert "滞纳金" in page.inner_text("[data-testid=si-charge-late_fee]")
    assert late.explanation[:10] in page.inner_text("[data-testid=si-charge-late_fee]")
    if viewport == DESKTOP:  # the whole statement on a desktop, as before
        key_figures_on_screen(page, "[data-testid=si-lines] th", at_least=8)
    readable_at(page, viewport, "client-statement-figures")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_manager_commission_key_figures_on_screen(demo, page_factory, viewport):
    from branches.demo import DEMO_PASSWORD

    page = page_factory(viewport)
    login(page, "bj.manager", DEMO_PASSWORD)

    # 提成工作台: 提成 and the links of every month (关账 of the open ones), the sub-menu whole.
    assert page.goto("/b/beijing/commissions/").status == 200
    names_whole(page, "[data-testid=topbar] [data-testid=current-branch]", "北京分公司")
    names_whole(page, "[data-testid=user-menu] .who", "北京分公司经理")
    names_whole(page, "[data-testid=workspace-nav] a", "录入销售", "批量导入")
    key_figures_on_screen(page, "[data-testid=periods] td.num", "[data-testid=periods] td.actions a",
                          "[data-testid=periods] .pill", at_least=2)
    key_figures_on_screen(page, "[data-testid^=close-]")
    readable_at(page, viewport, "commissions-home-figures")

    # A statement with its lines' explanations: every amount and the total.
    statement = page.locator("[data-testid=periods] td.actions a").first.get_attribute("href")
    assert page.goto(statement).status == 200
    person = page.locator("a[href*='/commissions/statements/'][href$='/bj.s1/']").first.get_attribute("href")
    assert page.goto(person).status == 200
    key_figures_on_screen(page, "[data-testid=lines] td.num", "[data-testid=lines] tfoot th.num", at_least=1)
    key_figures_on_screen(page, "[data-testid=explanation]", at_least=1)
    readable_at(page, viewport, "commission-statement-figures")

    # The portal's tabs: every one on screen (they wrap on a phone; 我的申诉 and 审核 were hidden).
    assert page.goto("/b/beijing/me/").status == 200
    key_figures_on_screen(page, ".portal-nav a", at_least=6)
    names_whole(page, ".portal-nav a", "我的申诉", "审核")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_finance_and_the_si_board_keep_their_money_on_screen(demo, page_factory, viewport):
    """HQ finance's branch-periods (amount, status, 发放) and the SI board's fee statements (应付合计,
    客户确认): a card per row on a phone, every figure on screen without scrolling a table."""
    from branches.demo import DEMO_PASSWORD

    page = page_factory(viewport)
    login(page, "finance", DEMO_PASSWORD)
    assert page.goto("/commissions/finance/").status == 200
    key_figures_on_screen(page, "[data-testid=company-periods] tbody td", at_least=5)
    key_figures_on_screen(page, "[data-testid=finance-periods] tbody td", at_least=3 * 8)
    key_figures_on_screen(page, "[data-testid^=pay-]", at_least=1)
    readable_at(page, viewport, "finance-periods-figures")

    page = page_factory(viewport)
    login(page, "bj.manager", DEMO_PASSWORD)
    assert page.goto("/b/beijing/si/").status == 200
    key_figures_on_screen(page, "[data-testid=si-statements] tbody td", at_least=3 * 8)
    key_figures_on_screen(page, "[data-testid=board-due]", at_least=3)
    readable_at(page, viewport, "si-board-statements-figures")


# The median brightness (0–255) of each column of pixels of a PNG, read back in the browser.
COLUMN_BRIGHTNESS = r"""async (src) => {
  const img = new Image(); img.src = src; await img.decode();
  const canvas = document.createElement("canvas"); canvas.width = img.width; canvas.height = img.height;
  const ctx = canvas.getContext("2d"); ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, img.width, img.height).data, columns = [];
  for (let x = 0; x < img.width; x += 1) {
    const values = [];
    for (let y = 0; y < img.height; y += 1) { const i = 4 * (y * img.width + x); values.push((data[i] + data[i + 1] + data[i + 2]) / 3); }
    values.sort((a, b) => a - b);
    columns.push(values[Math.floor(values.length / 2)]);
  }
  return columns;
}"""


def test_a_table_wider_than_the_phone_shows_a_shadow_on_the_side_that_scrolls(demo, page_factory):
    """HQ's wide tables (the policy table, the rules' versions) stay tables on a phone: a shadow on
    the right edge says there is more; scrolled to its end, the shadow is on the left and the right
    edge is plain. (The branch roles' tables are cards on a phone: tests/browser/test_phone_cards.py.)"""
    import base64

    from branches.demo import DEMO_PASSWORD

    page = page_factory(PHONE)
    login(page, "admin", DEMO_PASSWORD)
    index = -1
    for url in ("/si/policies/", "/commissions/dashboard/", "/"):
        assert page.goto(url).status == 200, url
        index = page.evaluate("[...document.querySelectorAll('.table-wrap')].findIndex(w => w.scrollWidth > w.clientWidth + 1)")
        if index >= 0:
            break
    assert index >= 0, "no table wider than the phone on HQ's pages"
    wrap = page.locator(".table-wrap").nth(index)
    wrap.scroll_into_view_if_needed()

    def edges() -> tuple[float, float]:
        png = wrap.screenshot()
        columns = page.evaluate(COLUMN_BRIGHTNESS, "data:image/png;base64," + base64.b64encode(png).decode())
        return min(columns[:4]), min(columns[-4:])  # the darkest of the 4 outermost columns each side

    left, right = edges()
    assert left >= 250 and right <= 235, (left, right)  # at the start: more to the right
    wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    left, right = edges()
    assert left <= 235 and right >= 250, (left, right)  # at the end: more to the left


@pytest.mark.django_db  # reads the demo's committed receipts
def test_the_payslip_keeps_every_amount_on_a_phone(demo, page_factory):
    """电子工资条: the earner is asked to confirm the amounts, so on a phone every amount and the
    confirm button are on screen without scrolling the table sideways."""
    from django.db.models import Count

    from branches.demo import DEMO_PASSWORD
    from commissions.hq.models import StatementReceipt
    from commissions.models import StatementLine

    # the earner with the most lines in a month the demo's managers closed
    receipt = StatementReceipt.objects.filter(branch=demo.branches["beijing"]).select_related("earner").first()
    assert receipt is not None, "the demo closes a month: its earners get their payslips"
    with schema_context(demo.branches["beijing"].schema_name):
        busiest = (StatementLine.objects.filter(period=receipt.period).values("earner__username")
                   .annotate(n=Count("id")).order_by("-n").first()["earner__username"])
    period = receipt.period
    page = page_factory(PHONE)
    login(page, busiest, DEMO_PASSWORD)
    assert page.goto(f"/b/beijing/commissions/payslip/{period}/").status == 200
    key_figures_on_screen(page, "[data-testid=payslip-lines] td.num", at_least=2)
    key_figures_on_screen(page, "[data-testid=payslip-total]")
    readable_at(page, PHONE, "payslip-figures")
