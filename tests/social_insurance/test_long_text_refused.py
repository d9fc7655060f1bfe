"""Text longer than its field is refused with a message that says so — never stored cut short.
A client's dispute note was cut to 2,000 characters without a word (the office read half a
complaint), while the office's answer was refused over length; so were a month's receipt note
and a payment reversal's reason on the page. Each is refused now, page and API alike, and
nothing changes."""
from __future__ import annotations

import pytest

from social_insurance import services
from social_insurance.models import FeeStatement, MonthCycle
from tests.conftest import in_branch

from .helpers import contact_statement, unanswered, web

pytestmark = pytest.mark.django_db
M = "2025-08"
TWELVE_THOUSAND = "对账有误," * 2400  # 12,000 characters


@pytest.fixture
def issued(staff):
    return contact_statement(staff, M)



def test_a_dispute_note_over_2000_characters_is_refused_through_the_api(api, issued):
    statement, contact = issued
    resp = api(contact).post(f"/b/bj/api/v1/si/statements/{statement.pk}/dispute/", {"note": TWELVE_THOUSAND},
                             format="json")
    assert (resp.status_code, resp.json()) == (400, {"note": ["意见不能超过 2,000 个字符(现为 12,000 个)。"]})
    assert unanswered(statement.pk)


def test_a_dispute_note_over_2000_characters_is_refused_on_the_page(issued):
    statement, contact = issued
    url = f"/b/bj/si/statements/{statement.pk}/"
    resp = web(contact).post(url, {"decision": "dispute", "note": TWELVE_THOUSAND}, follow=True)
    assert "意见不能超过 2,000 个字符(现为 12,000 个)。" in resp.content.decode()
    assert unanswered(statement.pk)


def test_a_dispute_note_of_2000_characters_typed_with_line_breaks_is_kept_whole(api, issued):
    statement, contact = issued
    note = ("核对人数\r\n" * 334)[:2000 + 333]  # 2,000 characters once a line break counts once
    assert len(note.replace("\r\n", "\n").strip()) <= 2000
    resp = web(contact).post(f"/b/bj/si/statements/{statement.pk}/", {"decision": "dispute", "note": note})
    assert resp.status_code == 302
    with in_branch("bj"):
        assert FeeStatement.objects.get(pk=statement.pk).response_note == note.replace("\r\n", "\n").strip()


def test_a_reversal_reason_over_300_characters_is_refused_on_the_page(staff, issued):
    statement, _contact = issued
    with in_branch("bj"):
        payment = services.fee_payment_record(actor=staff, statement_id=statement.pk,
                                              data={"amount": "100.00", "paid_on": "2025-08-10"})
    resp = web(staff).post(f"/b/bj/si/statements/{statement.pk}/payments/{payment.pk}/reverse/",
                           {"reason": "退" * 301}, follow=True)
    assert "冲销原因不能超过 300 个字符(现为 301 个)。" in resp.content.decode()
    with in_branch("bj"):
        assert statement.payments.count() == 1


def test_a_receipt_note_over_2000_characters_is_refused_and_the_month_stays_unfiled(staff, issued):
    with in_branch("bj"):
        services.month_reconcile(actor=staff, period=M)
    resp = web(staff).post("/b/bj/si/actions/file/", {"period": M, "confirm": "1", "receipt_no": "BJ-2025-08-001",
                                                    "receipt_note": "说明" * 1001}, follow=True)
    assert "回执说明不能超过 2,000 个字符(现为 2,002 个)。" in resp.content.decode()
    with in_branch("bj"):
        assert MonthCycle.objects.get(period=M).status == "reconciled"


def test_the_offices_answer_over_2000_characters_says_so_in_the_same_words(api, staff, issued):
    statement, contact = issued
    resp = api(contact).post(f"/b/bj/api/v1/si/statements/{statement.pk}/dispute/", {"note": "人数不对"}, format="json")
    assert resp.status_code == 200
    resp = api(staff).post(f"/b/bj/api/v1/si/statements/{statement.pk}/reply/", {"note": "答" * 5000}, format="json")
    assert (resp.status_code, resp.json()) == (400, {"note": ["答复不能超过 2,000 个字符(现为 5,000 个)。"]})
    with in_branch("bj"):
        assert FeeStatement.objects.get(pk=statement.pk).status == "disputed"
