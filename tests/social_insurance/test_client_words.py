"""A client contact reads their side of the money: they pay (付款, 已付); receiving it (回款,
已收) is the office's word and stays on the office's pages. The adjustments say 调整项目 as
their form does (not 组件)."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from social_insurance import services
from tests.conftest import in_branch
from tests.factories import make_user

from .helpers import contact_statement, web

pytestmark = pytest.mark.django_db
M = "2025-08"


@pytest.fixture
def paid_in_part(staff):
    statement, contact = contact_statement(staff, M)
    with in_branch("bj"):
        services.fee_payment_record(actor=staff, statement_id=statement.pk,
                                    data={"amount": "1000.00", "paid_on": "2025-08-10", "reference": "B-1"})
    return statement, contact


def test_the_client_reads_paid_and_payments_on_every_page(staff, paid_in_part):
    statement, contact = paid_in_part
    home = web(contact).get("/b/bj/").content.decode()
    page = web(contact).get(f"/b/bj/si/statements/{statement.pk}/").content.decode()
    for html in (home, page):
        assert "回款" not in html and "已收" not in html, html
    assert "付款记录" in home and "费用与付款" in home and "已付(元)" in home
    assert "已付(元)" in page and "费用与付款" in page and "1,000.00" in page
    sheet = load_workbook(io.BytesIO(web(contact).get(f"/b/bj/si/statements/{statement.pk}/?format=xlsx").content))
    labels = [r[0] for r in sheet.active.iter_rows(values_only=True)]
    assert "已付(元)" in labels and "已收(元)" not in labels


def test_the_office_keeps_its_words(staff, paid_in_part):
    statement, _contact = paid_in_part
    page = web(staff).get(f"/b/bj/si/statements/{statement.pk}/").content.decode()
    assert "已收(元)" in page and "费用与回款" in page and "登记回款" in page


def test_the_adjustments_pages_name_the_item_as_the_form_does(branches):
    manager = make_user("bj_mgr", ("bj", "branch_manager"), home="bj")
    hq = make_user("hq_admin1", (None, "hq_admin"), superuser=True)
    listing = web(manager).get("/b/bj/commissions/adjustments/").content.decode()
    register = web(hq).get("/commissions/adjustments/").content.decode()
    for html in (listing, register):
        assert "调整项目" in html and "组件" not in html
