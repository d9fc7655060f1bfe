"""HQ's dashboard on a phone (finance and HQ admins check it on the move): the branch comparison
and the company leaderboard were cut off at "提成(元" at 375 px and had to be slid sideways
inside the table. They are cards there (`table.cards`: a card per branch or person, each figure
named by its column), so every figure is on screen; at 1280 px they are the tables they were.
Screenshots in test-artifacts/screenshots/."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser.conftest import DESKTOP, PHONE, login, settled, shot
from tests.browser.shell_checks import OFF_SCREEN, overflow
from tests.factories import TEST_PASSWORD, make_user

pytestmark = pytest.mark.browser
TABLES = ("comparison", "leaderboard")
# Each cell of the two tables: the name its card shows (its ::before) and its column's head.
LABELS = r"""(testid) => { const t = document.querySelector(`main table[data-testid=${testid}]`);
  const heads = [...t.querySelectorAll("thead th")].map(th => th.innerText.trim());
  return [...t.querySelectorAll("tbody tr")].flatMap(tr => [...tr.children].map((c, i) => ({
    shown: getComputedStyle(c, "::before").content.replace(/^"|"$/g, ""), head: heads[i] ?? ""}))); }"""
BOX = r"""(testid) => { const t = document.querySelector(`main table[data-testid=${testid}]`);
  const box = t.closest(".table-wrap");
  return {table: t.scrollWidth, box: box.clientWidth, boxScroll: box.scrollWidth,
          display: getComputedStyle(t).display, head: getComputedStyle(t.querySelector("thead")).display}; }"""


def test_the_branch_comparison_and_leaderboard_fit_a_phone_and_stay_tables_on_a_desktop(committed_branch,
                                                                                         page_factory):
    from commissions.hq.models import EarnerMonthRollup

    code, month = committed_branch.code, timezone.localdate().strftime("%Y-%m")
    finance = make_user(f"{code}.fin", (None, "hq_finance"))
    for n, (name, openings, sales, commission) in enumerate((
            ("王芳", 12, "1234567.89", "123456.78"), ("李明", 7, "654321.00", "98765.43"))):
        earner = make_user(f"{code}.s{n}", (code, "specialist"), home=code)
        earner.display_name = name
        earner.save()
        EarnerMonthRollup.objects.create(branch=committed_branch, period=month, user=earner, openings=openings,
                                         sales_amount=Decimal(sales), commission=Decimal(commission))
    url = f"/commissions/dashboard/?month={month}&metric=commission"

    phone = page_factory(PHONE)
    login(phone, finance.username, TEST_PASSWORD)
    assert phone.goto(url).status == 200
    settled(phone)
    assert overflow(phone) <= 0
    for testid in TABLES:
        box = phone.evaluate(BOX, testid)
        assert box["table"] <= box["box"] + 1 and box["boxScroll"] <= box["box"] + 1, (testid, box)  # no sliding
        cells = phone.evaluate(LABELS, testid)
        assert cells and [c for c in cells if c["shown"] != c["head"]] == [], testid  # each figure named
        hidden = phone.evaluate(OFF_SCREEN, f"main table[data-testid={testid}] td")
        assert hidden["seen"] >= 5 and hidden["hidden"] == [], (testid, hidden)
    comparison = phone.inner_text(f"[data-testid=comparison-{code}]")
    assert "222,222.21" in comparison and "1,888,888.89" in comparison  # (named by LABELS above)
    board = phone.inner_text("[data-testid=leaderboard]")
    assert "王芳" in board and "123,456.78" in board and "98,765.43" in board
    # the company's total counts every branch's month (other tests' committed months too): on screen,
    # as money
    total = phone.locator("[data-testid=month-total]")
    assert total.is_visible() and re.search(r"\d{1,3}(,\d{3})*\.\d{2}", total.inner_text())
    shot(phone, "hq-dashboard-cards-phone")

    desk = page_factory(DESKTOP)
    login(desk, finance.username, TEST_PASSWORD)
    assert desk.goto(url).status == 200
    settled(desk)
    for testid in TABLES:
        box = desk.evaluate(BOX, testid)
        assert (box["display"], box["head"]) == ("table", "table-header-group"), (testid, box)
    shot(desk, "hq-dashboard-cards-desktop")
