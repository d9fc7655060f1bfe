"""The replay and suggestion pages at 375×812 and 1280×900: no sideways scroll of the document
(wide tables scroll in their own container), no table cell narrower than its words, no internal
key in the text; screenshots to test-artifacts/screenshots/."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.browser.conftest import DESKTOP, PHONE, login, shot
from tests.browser.shell_checks import CELLS_KEEP_THEIR_WORDS, KEY_PATTERNS
from tests.factories import TEST_PASSWORD, make_user

pytestmark = pytest.mark.browser


def test_replay_and_suggestion_pages_fit_phone_and_desktop(committed_branch, page_factory):
    from clients.models import Client
    from commissions.engine import add_months
    from commissions.hq.models import RuleDraft

    code = committed_branch.code
    make_user("ui.plan.mgr", (code, "branch_manager"), home=code)
    make_user("ui.plan.hq", (None, "hq_admin"))
    who = make_user("ui.plan.s1", (code, "specialist"), home=code)
    who.display_name = "周晓明"
    who.save()
    first = add_months(timezone.localdate().replace(day=1), -3)
    with schema_context(committed_branch.schema_name):
        for i, heads in enumerate([8, 12, 20, 35, 45, 260]):
            Client.objects.create(name=f"界面客户{i}", headcount=heads, opened_on=first + dt.timedelta(days=i * 9),
                                  opened_by=who)
    draft = RuleDraft.objects.create(component="opening_reward", effective_from=first, params={"tiers": [
        {"max_headcount": 50, "amount": "1000.00"}, {"max_headcount": 100, "amount": "1200.00"},
        {"max_headcount": None, "amount": "1800.00"}]})
    try:
        pages = [("ui.plan.mgr", f"/b/{code}/commissions/adjustments/planning/?component=opening_reward&percent=12.5",
                  "planning-branch"),
                 ("ui.plan.hq", f"/commissions/rules/drafts/{draft.pk}/?branch={code}", "planning-draft"),
                 ("ui.plan.hq", "/commissions/rules/drafts/", "planning-hq")]
        checked = 0
        for viewport, size in ((PHONE, "phone"), (DESKTOP, "desktop")):
            for user, url, name in pages:
                page = page_factory(viewport)
                login(page, user, TEST_PASSWORD)
                assert page.goto(url).status == 200, url
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (url, size)
                result = page.evaluate(CELLS_KEEP_THEIR_WORDS)
                assert result["cells"] >= 8 and result["broken"] == [], (url, size, result)
                text = page.inner_text("main")
                for what, pattern in KEY_PATTERNS.items():
                    assert not pattern.search(text), (url, what, pattern.search(text).group(0))
                assert "周晓明" in text and "开户奖励" in text
                shot(page, f"{name}-{size}")
                checked += 1
        assert checked == 6
    finally:
        RuleDraft.objects.filter(pk=draft.pk).delete()
        RuleDraft.history.filter(id=draft.pk).delete()  # committed: later tests count the drafts' audit
