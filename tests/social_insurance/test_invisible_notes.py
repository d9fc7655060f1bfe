"""A note or reason of invisible characters alone (or padded with them) is refused on the page as
the API refuses it — by the one text parser (hrsaas.core.inputs), in its words — and nothing
changes: a client's dispute with no visible reason reached the office, and a payment was reversed
"with a reason" of two zero-width spaces. A line break counts once in every note (the receipt
note's API counted CRLF as two, while its page counted one)."""
from __future__ import annotations

import pytest

from notifications.models import Notification
from social_insurance import services
from social_insurance.models import FeeStatement, MonthCycle
from tests.conftest import in_branch

from .helpers import contact_statement, unanswered, web

pytestmark = pytest.mark.django_db
M = "2025-08"
ZWSP = "含有不允许的不可见字符 U+200B(文字方向控制符、零宽字符等),请删除后再提交。"


@pytest.fixture
def issued(staff):
    return contact_statement(staff, M)



@pytest.mark.parametrize("note", ["\u200b", "对账有误\u200b", "\u3164"])
def test_a_dispute_whose_reason_is_invisible_is_refused_on_the_page_as_through_the_api(api, issued, note):
    statement, contact = issued
    resp = web(contact).post(f"/b/bj/si/statements/{statement.pk}/", {"decision": "dispute", "note": note},
                             follow=True)
    page = resp.content.decode()
    code = "U+3164" if note == "\u3164" else "U+200B"
    assert f"含有不允许的不可见字符 {code}" in page and "已对" not in page
    api_resp = api(contact).post(f"/b/bj/api/v1/si/statements/{statement.pk}/dispute/", {"note": note}, format="json")
    assert api_resp.status_code == 400 and api_resp.json()["note"][0].startswith(f"含有不允许的不可见字符 {code}")
    assert unanswered(statement.pk)
    with in_branch("bj"):
        assert not Notification.objects.filter(kind="si_statement_disputed").exists()


def test_a_confirmation_with_an_invisible_note_is_refused_too(issued):
    statement, contact = issued
    resp = web(contact).post(f"/b/bj/si/statements/{statement.pk}/", {"decision": "confirm", "note": "\u2060"},
                             follow=True)
    assert "含有不允许的不可见字符 U+2060" in resp.content.decode()
    assert unanswered(statement.pk)


def test_a_reversal_whose_reason_is_two_zero_width_spaces_is_refused_on_the_page(staff, issued):
    statement, _contact = issued
    with in_branch("bj"):
        payment = services.fee_payment_record(actor=staff, statement_id=statement.pk,
                                              data={"amount": "100.00", "paid_on": "2025-08-10"})
    resp = web(staff).post(f"/b/bj/si/statements/{statement.pk}/payments/{payment.pk}/reverse/",
                           {"reason": "\u200b\u200b"}, follow=True)
    page = resp.content.decode()
    assert ZWSP in page and "已冲销该笔回款" not in page
    with in_branch("bj"):
        assert list(statement.payments.values_list("amount", flat=True)) == [payment.amount]


def test_the_offices_answer_of_a_hangul_filler_is_no_answer(api, staff, issued):
    statement, contact = issued
    assert api(contact).post(f"/b/bj/api/v1/si/statements/{statement.pk}/dispute/", {"note": "人数不对"},
                             format="json").status_code == 200
    resp = api(staff).post(f"/b/bj/api/v1/si/statements/{statement.pk}/reply/", {"note": "\u3164"}, format="json")
    assert resp.status_code == 400 and resp.json()["note"][0].startswith("含有不允许的不可见字符 U+3164")
    with in_branch("bj"):
        s = FeeStatement.objects.get(pk=statement.pk)
        assert (s.status, s.reply_note) == ("disputed", "")


def test_a_receipt_note_typed_with_line_breaks_counts_each_once_through_the_api(api, staff, issued):
    """1,999 characters once a line break counts once (2,665 as sent, with CRLF): filed, and kept
    with each line break as one character, as the page keeps it."""
    with in_branch("bj"):
        services.month_reconcile(actor=staff, period=M)
    note = "核对\r\n" * 666 + "完"  # 666 × 3 + 1 = 1,999 characters with "\n"
    resp = api(staff).post(f"/b/bj/api/v1/si/months/{M}/file/", {"receipt_no": "BJ-2025-08-001", "receipt_note": note},
                           format="json")
    assert resp.status_code == 200, resp.content.decode()
    with in_branch("bj"):
        cycle = MonthCycle.objects.get(period=M)
        assert (cycle.status, cycle.receipt_note) == ("filed", note.replace("\r\n", "\n"))


def test_a_receipt_note_over_2000_characters_says_so_in_the_pages_words_through_the_api(api, staff, issued):
    with in_branch("bj"):
        services.month_reconcile(actor=staff, period=M)
    resp = api(staff).post(f"/b/bj/api/v1/si/months/{M}/file/",
                           {"receipt_no": "BJ-2025-08-001", "receipt_note": "核对\r\n" * 667 + "完"}, format="json")
    assert (resp.status_code, resp.json()) == (400, {"receipt_note": ["回执说明不能超过 2,000 个字符(现为 2,002 个)。"]})
    with in_branch("bj"):
        assert MonthCycle.objects.get(period=M).status == "reconciled"
