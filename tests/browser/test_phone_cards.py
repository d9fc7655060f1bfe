"""The tables that scrolled sideways inside their cards on a 375×812 phone, hiding a key column
(我的绩效's 说明, the client's 参保人员, the SI board's 增减员 / 检查结果 / 异常, 应收账龄, a cycle's
联动奖金, 浮动调整 and its what-if preview, 线索, 审核, 历史数据, 考核周期 and 考核模板), are cards on a
phone (`table.cards`: a card per row, each cell named by its column's translated head) and keep
their table layout on a desktop. On the demo data, per role: at 375 px the document does not
scroll sideways, no table is wider than its box and every cell of a card table is on screen with
its column's name; at 1280 px each of those tables is a table with its head showing. In English,
where the longer words made them wider than a phone, the manager's 各月提成, a fee statement's
明细 and 回款 (staff and the client) and a specialist's 近6个月趋势 are cards too. Screenshots
in test-artifacts/screenshots/."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DESKTOP, PHONE, login, settled, shot, switch_language
from tests.browser.shell_checks import CELLS_KEEP_THEIR_WORDS, OFF_SCREEN, overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db]  # reads the demo's committed data

B = "/b/beijing"
# Each page, and the detail page its first matching link opens (a cycle, an adjustment, an import).
PAGES = {
    "bj.s1": [f"{B}/performance/mine/"],
    "bj.client": [f"{B}/si/account/people/"],
    "bj.staff": [f"{B}/si/", f"{B}/si/arrears/", f"{B}/commissions/leads/", f"{B}/commissions/adjustments/",
                 f"{B}/performance/mine/", f"{B}/performance/cycles/"],
    "bj.manager": [f"{B}/si/", f"{B}/si/arrears/", f"{B}/performance/cycles/",
                   (f"{B}/performance/cycles/", r"/performance/cycles/\d+/$"),
                   f"{B}/performance/templates/", (f"{B}/performance/templates/", r"/performance/templates/(?!new/)[\w-]+/$"),
                   f"{B}/commissions/adjustments/", (f"{B}/commissions/adjustments/", r"/commissions/adjustments/\d+/$"),
                   f"{B}/commissions/leads/", f"{B}/review/", f"{B}/history/", f"{B}/history/parallel/"],
}
# The document and every table box: wider than the window, or a table wider than its box.
TOO_WIDE = r"""() => {
  const wide = [];
  for (const t of document.querySelectorAll("main table")) {
    if (!t.getClientRects().length) continue;
    const box = t.closest(".table-wrap") || t.parentElement;
    if (t.scrollWidth > box.clientWidth + 1 || box.scrollWidth > box.clientWidth + 1
        || t.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      wide.push(`${t.dataset.testid || t.querySelector("th")?.innerText || "table"}: ${t.scrollWidth} > ${box.clientWidth}`);
  }
  return wide;
}"""
# Every body cell of a card table that is not a whole-row note (colspan) nor a total's name: the
# name it shows (its ::before) and its column's head (counted in columns: a total row's name may
# span two, its figures then stand under their own heads).
CARD_LABELS = r"""() => [...document.querySelectorAll("main table.cards")].filter(t => t.getClientRects().length)
  .flatMap(t => { const heads = [...t.querySelectorAll("thead th")].map(th => th.innerText.trim());
    return [...t.querySelectorAll("tbody tr, tfoot tr")].flatMap(tr => { let column = 0;
      return [...tr.children].map(c => { const i = column; column += c.colSpan || 1; return {
        shown: getComputedStyle(c, "::before").content.replace(/^"|"$/g, ""), head: heads[i] ?? "",
        skip: c.hasAttribute("colspan") || !c.hasAttribute("data-label") || !heads[i]}; }); }); })"""
TABLE_LAYOUT = r"""() => [...document.querySelectorAll("main table.cards")].filter(t => t.getClientRects().length)
  .map(t => ({table: getComputedStyle(t).display, head: getComputedStyle(t.querySelector("thead")).display,
              headHeight: t.querySelector("thead").getBoundingClientRect().height}))"""


def _pages(page, entries) -> list[str]:
    urls = []
    for entry in entries:
        if isinstance(entry, str):
            urls.append(entry)
            continue
        listing, pattern = entry
        page.goto(listing)
        hrefs = page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))")
        found = next((h for h in hrefs if re.search(pattern, h)), None)
        assert found, (listing, pattern)  # the demo has one to open
        urls.append(found)
    return urls


def _fits_the_phone(page, where: str) -> int:
    assert overflow(page) <= 0, where
    assert page.evaluate(TOO_WIDE) == [], where
    cells = page.evaluate(CARD_LABELS)
    named = [c for c in cells if not c["skip"]]
    # Each cell shows its column's name: the translated head, the same word as on a desktop.
    assert [c for c in named if c["shown"] != c["head"]] == [], where
    hidden = page.evaluate(OFF_SCREEN, "main table.cards td, main table.cards tbody th, main table.cards tfoot th")
    assert hidden["hidden"] == [], (where, hidden)
    assert page.evaluate(CELLS_KEEP_THEIR_WORDS)["broken"] == [], where
    return len(named)


@pytest.mark.parametrize("username", sorted(PAGES))
def test_card_tables_fit_a_phone_and_stay_tables_on_a_desktop(demo, page_factory, username):
    from branches.demo import DEMO_PASSWORD

    phone, desk = page_factory(PHONE), page_factory(DESKTOP)
    login(phone, username, DEMO_PASSWORD)
    login(desk, username, DEMO_PASSWORD)
    urls, named = _pages(desk, PAGES[username]), 0
    for url in urls:
        name = "cards-" + re.sub(r"[^\w]+", "-", f"{username}-{url.removeprefix(B)}").strip("-")
        assert phone.goto(url).status == 200, url
        settled(phone)
        assert phone.locator("main table.cards").count() >= 1, url
        named += _fits_the_phone(phone, f"{username} phone {url}")
        shot(phone, f"{name}-phone")

        assert desk.goto(url).status == 200, url
        settled(desk)
        layouts = desk.evaluate(TABLE_LAYOUT)
        assert layouts and all(l["table"] == "table" and l["head"] == "table-header-group" and l["headHeight"] > 10
                               for l in layouts), (url, layouts)
        assert desk.evaluate(TOO_WIDE) == [], url
        shot(desk, f"{name}-desktop")
    assert named >= 2 * len(urls)  # the demo fills these tables (a list may be empty, e.g. 历史数据)


def test_linked_bonus_and_scores_fit_a_phone_in_english(demo, page_factory):
    """联动奖金 was 2,001 px wide in English: its notes are the longest text of these tables."""
    from branches.demo import DEMO_PASSWORD

    page = page_factory(PHONE)
    login(page, "bj.manager", DEMO_PASSWORD)
    cycle = _pages(page, [(f"{B}/performance/cycles/", r"/performance/cycles/\d+/$")])[0]
    page.goto(cycle)
    settled(page)
    switch_language(page, "en")
    try:
        assert page.locator("[data-testid=bonus-note]").count() >= 1
        for url in (cycle, f"{B}/si/", f"{B}/si/arrears/", f"{B}/commissions/adjustments/", f"{B}/review/"):
            assert page.goto(url).status == 200, url
            settled(page)
            assert _fits_the_phone(page, f"en {url}") >= 1, url
            text = page.inner_text("main table.cards")
            assert not re.search(r"[\u4e00-\u9fff]{2,}", page.evaluate(
                "() => [...document.querySelectorAll('main table.cards td')].map(td =>"
                " getComputedStyle(td, '::before').content).join(' ')")), url  # names in English
            assert text
        shot(page, "cards-bj.manager-cycle-english-phone")
    finally:
        switch_language(page, "zh-hans")


# In English, tables whose words made them wider than a phone (the manager's 各月提成, a fee
# statement's 明细 and 回款, a specialist's 近6个月趋势): each role's page and the tables on it.
PAID_STATEMENT = "the client's fee statement with a payment"
ENGLISH_PAGES = {
    "bj.manager": [(f"{B}/commissions/", ["periods"])],
    "bj.staff": [(PAID_STATEMENT, ["si-lines", "si-payments"])],
    "bj.client": [(PAID_STATEMENT, ["si-lines", "si-payments"])],
    "bj.s1": [(f"{B}/me/", ["trend-table"])],
}
CHINESE_LABELS = r"""(selector) => [...document.querySelectorAll(selector)].map(td =>
  getComputedStyle(td, "::before").content).filter(label => /[\u4e00-\u9fff]/.test(label))"""
DESKTOP_TABLE = r"""(selector) => { const t = document.querySelector(selector);
  return {table: getComputedStyle(t).display, head: getComputedStyle(t.querySelector("thead")).display,
          headHeight: t.querySelector("thead").getBoundingClientRect().height}; }"""


def _paid_statement(demo) -> str:
    """The demo's fee statement of bj.client's company that has a payment (回款) on it."""
    from django_tenants.utils import schema_context

    from branches.models import User
    from social_insurance.models import ClientContact, FeeStatement

    contact = User.objects.get(username="bj.client")
    with schema_context(demo.branches["beijing"].schema_name):
        companies = ClientContact.objects.filter(user_id=contact.pk).values("client_id")
        pk = (FeeStatement.objects.filter(client_id__in=companies, payments__isnull=False)
              .order_by("period").values_list("pk", flat=True).first())
    assert pk  # the demo's client has paid a statement
    return f"{B}/si/statements/{pk}/"


@pytest.mark.parametrize("username", sorted(ENGLISH_PAGES))
def test_tables_wider_than_a_phone_in_english_are_cards_there_and_tables_on_a_desktop(demo, page_factory, username):
    from branches.demo import DEMO_PASSWORD

    phone, desk = page_factory(PHONE), page_factory(DESKTOP)
    for page in (phone, desk):
        login(page, username, DEMO_PASSWORD)
        switch_language(page, "en")
    for url, tables in ENGLISH_PAGES[username]:
        url = _paid_statement(demo) if url == PAID_STATEMENT else url
        name = "cards-en-" + re.sub(r"[^\w]+", "-", f"{username}-{url.removeprefix(B)}").strip("-")
        assert phone.goto(url).status == 200, url
        settled(phone)
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), url
        assert _fits_the_phone(phone, f"en {url}") >= 3 * len(tables), url
        for testid in tables:
            selector = f"main table.cards[data-testid={testid}]"
            assert phone.locator(selector).count() == 1, (url, testid)
            assert phone.locator(f"{selector} tbody tr").count() >= 1, (url, testid)  # the demo fills it
            # every cell is named, in English (no column's name left in Chinese)
            assert phone.evaluate(CHINESE_LABELS, f"{selector} td[data-label]") == [], (url, testid)
        shot(phone, f"{name}-phone")

        assert desk.goto(url).status == 200, url
        settled(desk)
        for testid in tables:
            layout = desk.evaluate(DESKTOP_TABLE, f"main table[data-testid={testid}]")
            assert layout["table"] == "table" and layout["head"] == "table-header-group" and layout["headHeight"] > 10, (
                url, testid, layout)
        assert desk.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), url
        assert desk.evaluate(TOO_WIDE) == [], url
        shot(desk, f"{name}-desktop")

