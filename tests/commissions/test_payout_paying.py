"""Paying safely (发放复核): prepare (HQ finance, the figures shown re-checked) → confirm by a
second HQ finance user or the preparer re-entering the total; withdraw only before the bank
file is downloaded; every step audited; people notified only after the confirmation; bad or
altered totals refused with a clear message and nothing changed."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from branches.models import Branch
from commissions.hq.models import BranchPeriod, PayoutBatch
from commissions.hq.payouts import paying
from notifications.models import Notification
from tests.conftest import in_branch
from tests.factories import make_user
from tests.json_numbers import N, post_json, refusal

from .test_payment_profiles import card, good, identity
from .test_payout_files import closed_march  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
PAID = "/commissions/finance/bj/2026-03/paid/"


@pytest.fixture
def finance(db):
    return make_user("hq_fin", (None, "hq_finance"))


@pytest.fixture
def finance2(db):
    return make_user("hq_fin2", (None, "hq_finance"))


@pytest.fixture
def ready(api, finance, people, closed_march):  # noqa: F811
    for n, who in enumerate(("bj_s1", "bj_s2")):
        r = api(finance).put(f"/api/v1/payment-profiles/{people[who].pk}/", good(
            employee_number=f"BJ-{n}", id_number=identity(f"1101051990030712{n}"),
            account_number=card(f"62220202001122{n}")), format="json")
        assert r.status_code == 200
    return Branch.objects.get(code="bj")


def _paid_notes() -> list[str]:
    with in_branch("bj"):
        return sorted(Notification.objects.filter(kind="commission_paid").values_list("title", flat=True))


def _status() -> str:
    return BranchPeriod.objects.get(branch__code="bj", period="2026-03").status


def _prepare(client, user, count="2", total="3800.00"):
    client.force_login(user)
    return client.post(PAID, {"confirm_statements": count, "confirm_total": total})


def test_second_finance_user_confirms_and_only_then_people_are_notified(client, finance, finance2, ready):
    _prepare(client, finance)
    batch = PayoutBatch.objects.get()
    assert (batch.status, batch.statements, batch.total, _status(), _paid_notes()) == (
        "prepared", 2, Decimal("3800.00"), "closed", [])
    review = client.get(PAID).content.decode()
    assert 'data-testid="pay-review"' in review and "3,800.00 元" in review and 'data-testid="review-total-input"' in review

    client.force_login(finance2)
    assert 'data-testid="review-total-input"' not in client.get(PAID).content.decode()
    r = client.post(f"/commissions/finance/batches/{batch.pk}/confirm/")
    assert r.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.decided_by_id, _status()) == ("confirmed", finance2.pk, "paid")
    assert _paid_notes() == ["您的2026年3月开户奖励1,200.00元已到账", "您的2026年3月开户奖励2,600.00元已到账"]
    steps = list(batch.history.order_by("history_id").values_list("history_user_id", "status", "history_change_reason"))
    assert steps == [(finance.pk, "prepared", "发起发放"), (finance2.pk, "confirmed", "复核确认发放")]


def test_the_preparer_confirms_only_by_re_entering_the_exact_total(client, finance, ready):
    _prepare(client, finance)
    batch = PayoutBatch.objects.get()
    for typed, message in [("", "请再次输入合计金额"), ("3800.01", "与待发放金额不一致"), ("-3800", "不能为负数"),
                           ("3,800.001", "最多两位小数"), ("三千八", "请输入金额数字")]:
        r = client.post(f"/commissions/finance/batches/{batch.pk}/confirm/", {"total": typed}, follow=True)
        assert message in r.content.decode(), typed
        # What was typed stays in the box, to be corrected rather than typed again (once).
        assert f'data-testid="review-total-input" value="{typed}"' in r.content.decode(), typed
        batch.refresh_from_db()
        assert (batch.status, _status(), _paid_notes()) == ("prepared", "closed", [])
    assert 'data-testid="review-total-input" value=""' in client.get(PAID).content.decode()
    r = client.post(f"/commissions/finance/batches/{batch.pk}/confirm/", {"total": "3,800.00"})
    batch.refresh_from_db()
    assert (batch.status, batch.decided_by_id, _status()) == ("confirmed", finance.pk, "paid")
    assert batch.history.latest("history_id").history_change_reason == "发起人复核(重新输入合计)"


def test_altered_or_negative_figures_prepare_nothing(client, finance, ready):
    for count, total, message in [("2", "3900.00", "确认后提成单已变化"), ("3", "3800.00", "确认后提成单已变化"),
                                  ("2", "-3800.00", "不能为负数"), ("x", "3800", "请先核对")]:
        r = _prepare(client, finance, count, total)
        page = client.get(r["Location"]).content.decode()
        assert message in page, (count, total)
    assert not PayoutBatch.objects.exists() and _status() == "closed" and _paid_notes() == []


def test_preparing_is_refused_while_someone_lacks_payment_data(client, api, finance, people, closed_march):  # noqa: F811
    api(finance).put(f"/api/v1/payment-profiles/{people['bj_s1'].pk}/", good(), format="json")
    r = _prepare(client, finance)
    page = client.get(r["Location"]).content.decode()
    assert "以下人员缺少发放信息" in page and "bj_s2" in page
    assert not PayoutBatch.objects.exists() and _status() == "closed"


def test_withdraw_only_before_the_bank_file_is_downloaded(client, finance, finance2, ready):
    _prepare(client, finance)
    first = PayoutBatch.objects.get()
    r = client.post(f"/commissions/finance/batches/{first.pk}/withdraw/")
    assert r.status_code == 302
    first.refresh_from_db()
    assert (first.status, first.decided_by_id, _status()) == ("withdrawn", finance.pk, "closed")

    _prepare(client, finance)
    second = PayoutBatch.objects.get(status="prepared")
    assert client.get("/commissions/payouts/2026-03/bj/bank/xlsx/").status_code == 200
    r = client.post(f"/commissions/finance/batches/{second.pk}/withdraw/", follow=True)
    assert "银行代发文件已下载,不能撤回" in r.content.decode()
    second.refresh_from_db()
    assert second.status == "prepared"
    assert 'data-testid="review-withdraw"' not in client.get(PAID).content.decode()


def test_only_hq_finance_prepares_or_confirms(client, api, finance, hq_admin, people, ready):
    _prepare(client, finance)
    batch = PayoutBatch.objects.get()
    for user, code in ((hq_admin, 403), (people["bj_manager"], 404), (people["bj_s1"], 404)):
        client.force_login(user)
        assert client.post(f"/commissions/finance/batches/{batch.pk}/confirm/").status_code == code
        assert client.post(f"/commissions/finance/batches/{batch.pk}/withdraw/").status_code == code
    with pytest.raises(Exception):
        paying.payout_confirm(actor=hq_admin, batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.status, _status(), _paid_notes()) == ("prepared", "closed", [])
    with pytest.raises(ValidationError):  # a second batch while one awaits review
        paying.payout_prepare(actor=finance, branch=ready, period="2026-03", confirmed=(2, Decimal("3800.00")))
    assert PayoutBatch.objects.count() == 1


def test_two_step_pay_through_the_api(api, finance, finance2, hq_admin, ready):
    url = "/api/v1/payouts/bj/2026-03/prepare/"
    for body, field, message in [({"statements": 2, "total": "3800.00abc"}, "total", "请输入金额数字"),
                                 ({"statements": 2, "total": "-1"}, "total", "不能为负数"),
                                 ({"statements": 2, "total": "9" * 40}, "total", "金额过大"),
                                 ({"statements": "two", "total": "3800"}, "statements", "整数"),
                                 ({"statements": 2, "total": "3799.99"}, "confirmed", "确认后提成单已变化")]:
        r = api(finance).post(url, body, format="json")
        assert r.status_code == 400 and message in " ".join(r.json()[field]), body
    assert api(hq_admin).post(url, {"statements": 2, "total": "3800.00"}, format="json").status_code == 403
    assert not PayoutBatch.objects.exists()

    r = api(finance).post(url, {"statements": 2, "total": "3,800.00"}, format="json")
    assert r.status_code == 201 and (r.json()["status"], r.json()["total"]) == ("prepared", "3800.00")
    batch_id = r.json()["id"]
    assert api(finance).post(f"/api/v1/payouts/batches/{batch_id}/confirm/", {}, format="json").status_code == 400
    assert (_status(), _paid_notes()) == ("closed", [])
    r = api(finance2).post(f"/api/v1/payouts/batches/{batch_id}/confirm/", {}, format="json")
    assert r.status_code == 200 and (r.json()["status"], r.json()["decided_by"]) == ("confirmed", "hq_fin2")
    assert _status() == "paid" and len(_paid_notes()) == 2
    r = api(finance).post(f"/api/v1/payouts/batches/{batch_id}/withdraw/", format="json")
    assert r.status_code == 400 and "不能撤回" in str(r.json())


@pytest.mark.parametrize("literal", ["3800", "3800.0", "3.8e3", "true"])
def test_a_total_sent_as_a_json_number_is_refused_and_nothing_changes(api, finance, ready, literal):
    url = "/api/v1/payouts/bj/2026-03/prepare/"
    r = post_json(api(finance), url, {"statements": 2, "total": N}, literal)  # the count stays a JSON number
    assert r.status_code == 400 and r.json() == {"total": [refusal()]}
    assert not PayoutBatch.objects.exists() and _status() == "closed"

    r = post_json(api(finance), url, {"statements": 2, "total": N}, '"3800.00"')
    assert r.status_code == 201
    batch_id = r.json()["id"]
    r = post_json(api(finance), f"/api/v1/payouts/batches/{batch_id}/confirm/", {"total": N}, literal)
    assert r.status_code == 400 and r.json() == {"total": [refusal()]}
    assert (PayoutBatch.objects.get().status, _status(), _paid_notes()) == ("prepared", "closed", [])
    r = post_json(api(finance), f"/api/v1/payouts/batches/{batch_id}/confirm/", {"total": N}, '"3800.00"')
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
