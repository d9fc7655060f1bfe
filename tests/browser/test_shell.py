"""The shell per role, in the browser, on the demo data (issue #18's "done when").

Each demo role logs in once through the login form (one context per role, reused by every test
of this module) and opens every page of its navigation, plus the first detail page each list
links to (a client, an insured employee, a statement …), at 1280×800 and 375×812. On each page:
no horizontal overflow, no internal key and no English run in the visible Chinese text, amounts
of 1,000 or more with separators, no table cell narrower than its words, no console error and no
failed asset; a screenshot per page, role and size in test-artifacts/screenshots/. Then an
axe-core scan of each role's pages (taken as the sweep opens them at desktop size), a few pages
in English (entirely English), and a client contact refused on every commission and specialist
page and endpoint."""
from __future__ import annotations

import re

import pytest
from django.urls import Resolver404, resolve

from tests.browser.conftest import SCREENSHOTS, login, settled
from tests.browser.shell_checks import (CELLS_KEEP_THEIR_WORDS, CHROME_TEXT, CJK, SCROLL_HINT, TRANSLATABLE_TEXT, Watch, axe_scan, english_runs,
                                        key_leaks, overflow, unseparated_amounts, visible_text)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=False)]

ROLES = ["admin", "finance", "bj.manager", "bj.staff", "bj.s1", "bj.marketing", "bj.sales", "bj.client"]
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 812}}
# The people page manages login accounts: the account name (username) is its subject there.
ACCOUNT_PAGES = ("/people/",)
# Detail pages reached from the lists of the navigation: the first link of each kind is opened
# too (read-only pages only: no form that writes, no export).
DETAILS = [re.compile(p) for p in (
    r"^/b/[^/]+/clients/\d+/$", r"^/b/[^/]+/si/employees/\d+/$", r"^/b/[^/]+/si/statements/\d+/$",
    r"^/b/[^/]+/commissions/statements/\d{4}-\d{2}/$", r"^/b/[^/]+/commissions/statements/\d{4}-\d{2}/[^/]+/$",
    r"^/b/[^/]+/commissions/adjustments/\d+/$", r"^/b/[^/]+/me/statement/\d{4}-\d{2}/$",
    r"^/b/[^/]+/me/claims/\d+/$", r"^/b/[^/]+/me/inquiries/\d+/$", r"^/b/[^/]+/review/claims/\d+/$",
    r"^/b/[^/]+/review/inquiries/\d+/$", r"^/b/[^/]+/performance/cycles/\d+/$",
    r"^/si/policies/[a-z]+/$", r"^/commissions/rules/[a-z_]+/$", r"^/people/\d+/$",
)]
# Roles none of whose pages has a table scrolling sideways on a phone.
PHONE_WITHOUT_SCROLLING = {"bj.manager", "bj.staff", "bj.s1", "bj.client"}
# Pages whose every visit is checked for English (entirely English when switched).
ENGLISH = {
    "bj.s1": ["/b/beijing/me/", "/b/beijing/me/statement/", "/b/beijing/me/claims/"],
    "bj.manager": ["/b/beijing/", "/b/beijing/commissions/statements/", "/b/beijing/clients/", "/b/beijing/si/employees/"],
    "admin": ["/", "/commissions/finance/", "/si/policies/", "/si/cities/"],
    "bj.client": ["/b/beijing/"],
}


def _exists(path: str) -> bool:
    """Whether a link's page is routed (a menu may name a page another lane has not merged)."""
    path = path.split("?")[0]
    if not path.startswith("/b/"):
        urlconf, rest = "hrsaas.urls_hq", path
    else:
        urlconf, rest = "hrsaas.urls_branch", "/" + path.split("/", 3)[3]
    try:
        resolve(rest, urlconf=urlconf)
        return True
    except Resolver404:
        return False




class Sessions:
    """One logged-in browser context per role for the whole module, and the pages each role
    reaches (its navigation, then the detail pages its lists link to, found by the sweep)."""

    def __init__(self, browser, live_url):
        self.browser, self.live_url = browser, live_url
        self.pages: dict[str, object] = {}
        self.reach: dict[str, list[str]] = {}
        # The axe-core scan of each page the sweep opened at desktop size, taken there (the
        # accessibility test reads it instead of opening every page again).
        self.scans: dict[str, dict[str, dict]] = {}
        self.contexts = []

    def page(self, username, locale="zh-CN"):
        key = (username, locale)
        if key not in self.pages:
            ctx = self.browser.new_context(viewport=SIZES["desktop"], base_url=self.live_url, locale=locale)
            self.contexts.append(ctx)
            if locale == "en":  # what the language menu sets
                ctx.add_cookies([{"name": "django_language", "value": "en", "url": self.live_url}])
            page = ctx.new_page()
            page.set_default_timeout(15000)
            page.watch = Watch(page)
            login(page, username, "Demo-2026!")
            self.pages[key] = page
        return self.pages[key]

    def navigation(self, username) -> list[str]:
        page = self.page(username)
        page.goto("/")  # a signed-in person is sent on to their landing page
        settled(page)
        landing = "/" + page.url.split("://", 1)[1].split("/", 1)[1]
        links = page.eval_on_selector_all("[data-testid=side-menu] a, [data-testid=tab-bar] a",
                                          "els => els.map(e => e.getAttribute('href'))")
        assert links, f"{username} has no navigation"
        return [p for p in dict.fromkeys([landing, *links]) if _exists(p)]

    def close(self):
        for ctx in self.contexts:
            ctx.close()


@pytest.fixture(scope="module")
def sessions(demo, browser, live_url):
    s = Sessions(browser, live_url)
    yield s
    s.close()


def _check(page, where: str, path: str) -> list[str]:
    problems = []
    text = visible_text(page)
    leaks = key_leaks(text)
    if path.startswith(ACCOUNT_PAGES):
        leaks = [l for l in leaks if l[0] != "username"]
    problems += [f"{where}: {kind}: …{ctx}…" for kind, ctx in leaks]
    problems += [f"{where}: English on a Chinese page: …{ctx}…" for ctx in english_runs(page.evaluate(TRANSLATABLE_TEXT))]
    problems += [f"{where}: amount without separators {a}" for a in unseparated_amounts(text)]
    if (extra := overflow(page)) > 0:
        problems.append(f"{where}: {extra}px horizontal overflow")
    cells = page.evaluate(CELLS_KEEP_THEIR_WORDS)
    problems += [f"{where}: cell narrower than its word {w!r}" for w in dict.fromkeys(cells["broken"])]

    problems += [f"{where}: console error {e}" for e in page.watch.errors]
    problems += [f"{where}: failed asset {u}" for u in page.watch.failed]
    return problems


def _shot(page, username, path, size):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[/?=&]+", "-", path.strip("/")) or "home"
    # JPEG: the sweep takes ~200 full-page shots, and PNG's encoding was ~40 % of its time.
    page.screenshot(path=str(SCREENSHOTS / f"shell-{username}-{name}-{size}.jpg"), full_page=True, type="jpeg",
                    quality=80)


@pytest.mark.parametrize("username", ROLES)
def test_every_page_of_a_roles_navigation_reads_right_at_both_sizes(sessions, username):
    page = sessions.page(username)
    pages = sessions.navigation(username)
    problems, checked, found = [], 0, set()
    scrolling = dict.fromkeys(SIZES, 0)  # tables wider than their box, per size
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        i = 0
        while i < len(pages):
            path = pages[i]
            i += 1
            page.watch.reset()
            response = page.goto(path)
            settled(page)
            where = f"{username} {size} {path}"
            if response.status != 200:
                problems.append(f"{where}: status {response.status}")
            problems += _check(page, where, path)
            hint = page.evaluate(SCROLL_HINT)
            scrolling[size] += hint["scrolling"]
            problems += [f"{where}: a table scrolls sideways without a shadow showing it: {t!r}" for t in hint["silent"]]
            _shot(page, username, path, size)
            checked += 1
            if size == "desktop":  # the first size finds the detail pages; both sizes check them
                sessions.scans.setdefault(username, {})[path] = axe_scan(page)
                for href in page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))"):
                    for pattern in DETAILS:
                        if pattern.pattern not in found and pattern.match(href) and href not in pages:
                            found.add(pattern.pattern)
                            pages.append(href)
    sessions.reach[username] = pages
    assert checked == 2 * len(pages) and len(pages) >= 2, f"{username}: only {checked} pages checked"
    # No table is wider than a desktop; on a phone, these roles' tables are all cards or fit
    # (test_phone_cards.py), and any other role's wider table shows that it scrolls (checked above).
    assert scrolling["desktop"] == 0, scrolling
    if username in PHONE_WITHOUT_SCROLLING:
        assert scrolling["phone"] == 0, scrolling
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("username", ROLES)
def test_each_roles_pages_have_no_serious_accessibility_violation(sessions, username):
    page = sessions.page(username)
    page.set_viewport_size(SIZES["desktop"])
    pages = sessions.reach.get(username) or sessions.navigation(username)
    scanned = sessions.scans.get(username, {})
    problems, rules = [], 0
    for path in pages:
        result = scanned.get(path)
        if result is None:  # the sweep has not run (this test alone): open the page here
            page.goto(path)
            settled(page)
            result = axe_scan(page)
        rules += result["rules"]
        problems += [f"{path}: {v['impact']} {v['id']}: {v['nodes']}" for v in result["violations"]]
    assert rules >= 20 * len(pages), rules  # axe ran its rules on every page
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("username", sorted(ENGLISH))
def test_pages_in_english_are_entirely_english(sessions, username):
    page = sessions.page(username, locale="en")
    problems, checked = [], 0
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        for path in ENGLISH[username]:
            page.watch.reset()
            assert page.goto(path).status == 200, path
            settled(page)
            where = f"{username} en {size} {path}"
            chinese = [t for t in page.evaluate(CHROME_TEXT) if CJK.search(t)]
            problems += [f"{where}: Chinese label {t!r}" for t in chinese]
            problems += [f"{where}: {kind}: …{ctx}…" for kind, ctx in key_leaks(visible_text(page))]
            problems += [f"{where}: amount without separators {a}" for a in unseparated_amounts(visible_text(page))]
            if (extra := overflow(page)) > 0:
                problems.append(f"{where}: {extra}px horizontal overflow")
            hint = page.evaluate(SCROLL_HINT)
            problems += [f"{where}: a table scrolls sideways without a shadow showing it: {t!r}" for t in hint["silent"]]
            if size == "desktop" and hint["scrolling"]:  # English is longer: a desktop still fits every table
                problems.append(f"{where}: {hint['scrolling']} table(s) wider than a desktop")
            problems += [f"{where}: console error {e}" for e in page.watch.errors]
            _shot(page, username, path + "-en", size)
            checked += 1
    assert checked == 2 * len(ENGLISH[username])
    assert not problems, "\n".join(problems)


CLIENT_CLOSED_PAGES = [
    "/b/beijing/me/?metric=commission", "/b/beijing/me/", "/b/beijing/me/statement/", "/b/beijing/me/claims/",
    "/b/beijing/me/inquiries/", "/b/beijing/me/estimate/", "/b/beijing/me/live/", "/b/beijing/review/",
    "/b/beijing/commissions/", "/b/beijing/commissions/statements/", "/b/beijing/commissions/leads/",
    "/b/beijing/commissions/adjustments/", "/b/beijing/performance/", "/b/beijing/performance/mine/",
    "/b/beijing/performance/cycles/", "/b/beijing/si/", "/b/beijing/adjustments/", "/b/beijing/clients/",
    "/b/beijing/settings/notifications/"]
WRITE_ONLY_APIS = {"/b/beijing/api/v1/clients/"}
CLIENT_CLOSED_APIS = [
    "/b/beijing/api/v1/statements/", "/b/beijing/api/v1/leaderboards/", "/b/beijing/api/v1/leaderboards/?metric=commission",
    "/b/beijing/api/v1/claims/", "/b/beijing/api/v1/adjustments/", "/b/beijing/api/v1/clients/",
    "/b/beijing/api/v1/performance/cycles/", "/b/beijing/api/v1/performance/my-scores/",
    "/b/beijing/api/v1/performance/templates/", "/b/beijing/api/v1/inquiries/"]


def test_a_client_contact_gets_403_or_404_on_every_commission_and_specialist_page_and_endpoint(sessions):
    page = sessions.page("bj.client")
    page.set_viewport_size(SIZES["phone"])
    refused = 0
    for path in CLIENT_CLOSED_PAGES:
        response = page.goto(path)
        assert response.status in (403, 404), (path, response.status)
        assert "张伟" not in visible_text(page), path  # no specialist's name leaks on the refusal
        refused += 1
    for path in CLIENT_CLOSED_APIS:
        response = page.request.get(path)
        # 405: an endpoint that only records (POST) has nothing to read for anyone
        assert response.status in (403, 404) or (response.status == 405 and path in WRITE_ONLY_APIS), (path, response.status)
        assert "张伟" not in response.text(), path
        refused += 1
    assert refused == len(CLIENT_CLOSED_PAGES) + len(CLIENT_CLOSED_APIS)
    assert page.goto("/b/beijing/").status == 200
    assert page.locator("[data-testid=client-statements] tbody tr").count() >= 1


def test_a_specialist_sees_boards_by_openings_and_sales_but_never_colleagues_pay(sessions):
    page = sessions.page("bj.s1")
    page.set_viewport_size(SIZES["phone"])
    page.goto("/")
    settled(page)
    assert page.url.endswith("/b/beijing/me/")  # lands on the phone home
    assert page.locator("[data-testid=metric-openings]").count() == 1
    assert page.locator("[data-testid=metric-sales]").count() == 1
    assert page.locator("[data-testid=metric-commission]").count() == 0
    page.goto("/b/beijing/me/?metric=commission")
    # The request for pay boards falls back to openings: the boards' column is 开户, not 提成.
    assert page.locator("[data-testid=metric-openings].on").count() == 1
    assert page.locator("[data-testid=tab-bar] a").count() == 4
