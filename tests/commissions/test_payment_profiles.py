"""People's payment data (工资发放信息): HQ finance edits, HQ admin reads, everyone else 404;
identity numbers encrypted and masked as SI identities are; account numbers validated (digits,
12–30, Luhn on 16/19-digit card numbers); every change audited with masked values only; bad
input refused with a message per field and nothing written."""
from __future__ import annotations

import re

import pytest

from commissions.hq.models import PaymentProfile
from commissions.hq.payouts.engine import account_number_error, luhn_valid, mask_account
from social_insurance.crypto import decrypt_identity, identity_hash
from social_insurance.engine import identity_check_char
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def identity(body17: str = "11010519900307123") -> str:
    return body17 + identity_check_char(body17)


def card(prefix15: str = "622202020011223") -> str:
    """A 16-digit UnionPay card number with a correct Luhn check digit."""
    for d in "0123456789":
        if luhn_valid(prefix15 + d):
            return prefix15 + d
    raise AssertionError


def good(**over) -> dict:
    return {"employee_number": "BJ-0001", "id_number": identity(), "account_name": "张三", "bank_name": "中国工商银行",
            "bank_branch": "北京朝阳支行", "account_number": card()} | over


@pytest.fixture
def finance(db):
    return make_user("hq_fin", (None, "hq_finance"))


@pytest.fixture
def finance2(db):
    return make_user("hq_fin2", (None, "hq_finance"))


@pytest.fixture
def s1(db):
    return make_user("bj_s1", ("bj", "specialist"), home="bj")


# --- rules -----------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, message", [
    ("", "请填写收款账号"),
    ("6222abc0200112233", "只能包含数字"),
    ("１２３４５６７８９０１２", "只能包含数字"),  # full-width digits are not what a bank file takes
    ("12345678901", "12–30 位数字,现为 11 位"),
    ("1" * 31, "现为 31 位"),
    ("6222020200112234" if not luhn_valid("6222020200112234") else "6222020200112235", "Luhn"),
])
def test_bad_account_numbers_are_named(raw, message):
    assert message in account_number_error(raw)


def test_account_rules_accept_cards_and_plain_accounts():
    assert account_number_error(card()) is None
    assert account_number_error(" ".join([card()[:4], card()[4:8], card()[8:12], card()[12:]])) is None
    # 对公/存折 accounts of other lengths carry no public checksum: none is applied.
    assert account_number_error("110060149018000123456") is None  # 21 digits
    assert account_number_error("1234567890123456") is None  # 16 digits but not a card prefix
    assert mask_account("6222020200112233") == "6222********2233"


# --- pages and API ---------------------------------------------------------------------------
def test_finance_fills_in_payment_data_stored_encrypted_and_masked(client, finance, s1):
    client.force_login(finance)
    r = client.post(f"/commissions/finance/people/{s1.pk}/payment/", good(account_number="6222 0202 0011 223" + card()[-1]))
    assert r.status_code == 302 and r["Location"] == "/commissions/finance/people/"
    p = PaymentProfile.objects.get(user=s1)
    assert decrypt_identity(p.id_number_enc) == identity() and p.id_number_hash == identity_hash(identity())
    assert decrypt_identity(p.account_enc) == card()
    assert p.id_number_masked == "110***********" + identity()[-4:]
    assert p.account_masked == card()[:4] + "********" + card()[-4:]
    page = client.get(f"/commissions/finance/people/{s1.pk}/payment/").content.decode()
    assert identity() not in page and card() not in page
    assert p.id_number_masked in page and p.account_masked in page
    # the audit: who, and the masked values only
    history = re.search(r'data-testid="payment-history">(.*?)</table>', page, re.S).group(1)
    assert "hq_fin" in history and p.account_masked in history and identity() not in history
    assert list(p.history.values_list("history_user_id", flat=True)) == [finance.pk]


def test_an_edit_keeps_numbers_left_empty_and_records_before_after(api, finance, s1):
    assert api(finance).put(f"/api/v1/payment-profiles/{s1.pk}/", good(), format="json").status_code == 200
    r = api(finance).put(f"/api/v1/payment-profiles/{s1.pk}/", good(bank_branch="北京海淀支行", id_number="",
                                                                   account_number=""), format="json")
    assert r.status_code == 200, r.json()
    body = r.json()
    assert (body["bank_branch"], body["id_number"], body["account_number"]) == (
        "北京海淀支行", "110***********" + identity()[-4:], card()[:4] + "********" + card()[-4:])
    p = PaymentProfile.objects.get(user=s1)
    assert decrypt_identity(p.account_enc) == card()
    newest, first = list(p.history.order_by("-history_id"))
    delta = newest.diff_against(first)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("bank_branch", "北京朝阳支行", "北京海淀支行")]


@pytest.mark.parametrize("over, field, message", [
    ({"account_number": "6222abc0200112233"}, "account_number", "只能包含数字"),
    ({"bank_name": ""}, "bank_name", "请填写开户行"),
    ({"bank_branch": "  "}, "bank_branch", "请填写开户支行"),
    ({"id_number": "110105199003071230" if identity()[-1] != "0" else "110105199003071231"}, "id_number", "校验位"),
    ({"employee_number": "=cmd|' /C calc'!A0"}, "employee_number", "工号只能包含"),
])
def test_bad_input_is_refused_with_a_message_and_nothing_written(api, client, finance, s1, over, field, message):
    history_before = PaymentProfile.history.count()
    r = api(finance).put(f"/api/v1/payment-profiles/{s1.pk}/", good(**over), format="json")
    assert r.status_code == 400 and message in " ".join(r.json()[field])
    client.force_login(finance)
    page = client.post(f"/commissions/finance/people/{s1.pk}/payment/", good(**over))
    assert page.status_code == 200 and message in page.content.decode()
    # Nothing for this person, and no audit row at all from this test (a committed test run
    # earlier on the same worker may have left audit rows of its own removed people).
    assert not PaymentProfile.objects.filter(user=s1).exists()
    assert PaymentProfile.history.count() == history_before


def test_an_employee_number_belongs_to_one_person(api, finance, s1):
    s2 = make_user("bj_s2", ("bj", "specialist"), home="bj")
    assert api(finance).put(f"/api/v1/payment-profiles/{s1.pk}/", good(), format="json").status_code == 200
    r = api(finance).put(f"/api/v1/payment-profiles/{s2.pk}/", good(), format="json")
    assert r.status_code == 400 and "已被其他人员使用" in r.json()["employee_number"][0]
    assert PaymentProfile.objects.count() == 1


def test_hq_admin_reads_only_and_branch_people_get_404(api, client, finance, hq_admin, s1):
    mgr = make_user("bj_mgr", ("bj", "branch_manager"), home="bj")
    r = api(hq_admin).put(f"/api/v1/payment-profiles/{s1.pk}/", good(), format="json")
    assert r.status_code == 403
    assert api(hq_admin).get(f"/api/v1/payment-profiles/{s1.pk}/").status_code == 200
    client.force_login(hq_admin)
    page = client.get(f"/commissions/finance/people/{s1.pk}/payment/").content.decode()
    assert 'data-testid="payment-form"' not in page
    assert client.post(f"/commissions/finance/people/{s1.pk}/payment/", good()).status_code == 403
    for who in (mgr, s1):
        assert api(who).get(f"/api/v1/payment-profiles/{s1.pk}/").status_code == 403
        assert api(who).put(f"/api/v1/payment-profiles/{s1.pk}/", good(), format="json").status_code == 403
        client.force_login(who)
        assert client.get("/commissions/finance/people/").status_code == 404
        assert client.get(f"/commissions/finance/people/{s1.pk}/payment/").status_code == 404
    # someone who earns nothing has no payment data here: same 404 as a missing id
    assert api(finance).get(f"/api/v1/payment-profiles/{mgr.pk}/").status_code == 404
    assert api(finance).get("/api/v1/payment-profiles/999999/").status_code == 404
    assert not PaymentProfile.objects.exists()


def test_people_page_lists_who_is_missing_by_name(client, api, finance, s1):
    s2 = make_user("bj_s2", ("bj", "specialist"), home="bj")
    s2.display_name = "李四"
    s2.save()
    api(finance).put(f"/api/v1/payment-profiles/{s1.pk}/", good(), format="json")
    client.force_login(finance)
    page = client.get("/commissions/finance/people/?missing=1").content.decode()
    assert "1 人缺少发放信息(共 2 人)" in page and "李四" in page
    assert f'data-testid="payment-person-{s1.pk}"' not in page
    listed = api(finance).get("/api/v1/payment-profiles/?missing=1").json()
    assert [(r["user_id"], r["name"], r["complete"]) for r in listed] == [(s2.pk, "李四", False)]


def test_key_rotation_re_encrypts_payment_data(api, finance, s1):
    from social_insurance import crypto
    from tests.social_insurance.test_key_rotation import KEY_A, KEY_B, field_keys, rotate

    with field_keys(KEY_A):
        assert api(finance).put(f"/api/v1/payment-profiles/{s1.pk}/", good(), format="json").status_code == 200
        before = PaymentProfile.objects.get(user=s1)
    with field_keys(KEY_B, KEY_A):
        out = rotate()
        assert "HQ payment data (工资发放信息): 1 people read, 1 re-encrypted or re-hashed" in out
        p = PaymentProfile.objects.get(user=s1)
        assert p.account_enc != before.account_enc and p.id_number_hash == crypto.identity_hash(identity())
        assert "1 people read, 0 re-encrypted" in rotate()  # a second run rewrites nothing
    with field_keys(KEY_B):  # the old key is gone: still readable
        p = PaymentProfile.objects.get(user=s1)
        assert (crypto.decrypt_identity(p.id_number_enc), crypto.decrypt_identity(p.account_enc)) == (identity(), card())
    assert p.history.count() == 1  # masked values unchanged: no audit row for a re-encryption


def test_payment_pages_speak_english_when_switched(client, finance, s1):
    client.force_login(finance)
    client.cookies["django_language"] = "en"
    page = client.get("/commissions/finance/people/").content.decode()
    assert "Only people lacking payment data" in page and "1 of 1 people lack payment data." in page
    r = client.post(f"/commissions/finance/people/{s1.pk}/payment/", good(account_number="6222abc0200112233"))
    assert "The account number may contain digits only" in r.content.decode()
    assert not PaymentProfile.objects.exists()


def test_an_id_number_belongs_to_one_payee_as_an_employee_number_does(api, client, finance, s1):
    # Finance saved 北京分公司市场 with 王芳's 身份证号 ("已保存"): a bank batch would pay two
    # people under one identity. Refused as a duplicate 工号 is, naming no one.
    s2 = make_user("bj_m1", ("bj", "marketing"), home="bj")
    assert api(finance).put(f"/api/v1/payment-profiles/{s1.pk}/", good(), format="json").status_code == 200
    masked = PaymentProfile.objects.get(user=s1).id_number_masked
    history_before = PaymentProfile.history.count()

    r = api(finance).put(f"/api/v1/payment-profiles/{s2.pk}/", good(employee_number="BJ-0002"), format="json")
    assert (r.status_code, r.json()) == (400, {"id_number": [f"身份证号 {masked} 已被其他人员使用。"]})

    client.force_login(finance)
    page = client.post(f"/commissions/finance/people/{s2.pk}/payment/", good(employee_number="BJ-0002"))
    html = page.content.decode()
    assert page.status_code == 200 and f"身份证号 {masked} 已被其他人员使用。" in html and "已保存" not in html
    assert "bj_s1" not in html and s1.label not in html  # whose number it is stays unsaid
    assert list(PaymentProfile.objects.values_list("user_id", flat=True)) == [s1.pk]
    assert PaymentProfile.history.count() == history_before
    # The holder keeps their own number on an edit.
    assert api(finance).put(f"/api/v1/payment-profiles/{s1.pk}/", good(bank_branch="北京海淀支行"),
                            format="json").status_code == 200


def test_an_over_long_field_on_the_payment_form_says_so_in_our_words(client, finance, s1):
    client.force_login(finance)
    page = client.post(f"/commissions/finance/people/{s1.pk}/payment/", good(bank_branch="支" * 5000))
    html = page.content.decode()
    assert "不能超过 200 个字符(现为 5000 个)。" in html
    assert "确保该变量" not in html and "Ensure this value" not in html
    assert 'maxlength="200"' in html  # a paste is cut by the browser first
    assert not PaymentProfile.objects.exists()
