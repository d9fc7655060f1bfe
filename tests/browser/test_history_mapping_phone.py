"""确认列映射's 前 5 行预览 (the history import's mapping page) shows every column of the uploaded
sheet: at 375 px, in Chinese and in English, each row is a card with each cell named by its
column's header in the sheet, and the page does not scroll sideways; at 1280 px it is the table
it was. The server is a real subprocess: the branch and its data are committed
(`committed_branch`, no `db` fixture)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE, login, settled, shot, switch_language
from tests.browser.test_phone_cards import DESKTOP_TABLE, TOO_WIDE, _fits_the_phone

pytestmark = pytest.mark.browser


def test_the_history_mapping_preview_is_cards_on_a_phone_in_either_language(committed_branch, page_factory):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django_tenants.utils import schema_context

    from history import services
    from history.sample_sheet import build_sheet, sheet_xlsx
    from tests.factories import TEST_PASSWORD, make_user

    code = committed_branch.code
    manager = make_user(f"{code}_mgr", (code, "branch_manager"), home=code)
    header, rows, _expected = build_sheet(people=[f"{code}_s{n}" for n in range(12)], first_period="2025-01",
                                          months=3, lines=300)
    with schema_context(committed_branch.schema_name):
        imp = services.import_upload(actor=manager, upload=SimpleUploadedFile("提成表.xlsx", sheet_xlsx(header, rows)),
                                     kind="history")
    url = f"/b/{code}/history/{imp.pk}/mapping/"
    selector = "main table.cards[data-testid=mapping-preview]"

    phone, desk = page_factory(PHONE), page_factory(DESKTOP)
    for page in (phone, desk):
        login(page, manager.username, TEST_PASSWORD)
    for language in ("zh-hans", "en"):
        if language == "en":
            for page in (phone, desk):
                switch_language(page, "en")
        assert phone.goto(url).status == 200
        settled(phone)
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # each of the five rows shows all its cells, each named by the sheet's own header
        assert _fits_the_phone(phone, f"{language} {url}") == 5 * (len(header) + 1)
        assert phone.locator(f"{selector} tbody tr").count() == 5
        shot(phone, f"cards-history-mapping-{language}-phone")

        assert desk.goto(url).status == 200
        settled(desk)
        layout = desk.evaluate(DESKTOP_TABLE, selector)
        assert layout["table"] == "table" and layout["head"] == "table-header-group" and layout["headHeight"] > 10
        assert desk.evaluate(TOO_WIDE) == []
        shot(desk, f"cards-history-mapping-{language}-desktop")
