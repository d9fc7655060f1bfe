"""Rules of payment data, in plain typed Python (no ORM).

Account numbers (收款账号): spaces and hyphens people type as separators are dropped; what is
left must be 12–30 digits (Chinese bank accounts and cards are all digits; 对公/存折 accounts run
up to about 25). A 16- or 19-digit number starting with 62 (银联), 4 (Visa) or 5 (Mastercard) is
a bank card number (ISO/IEC 7812) and must pass the Luhn check; other accounts carry no public
checksum, so none is applied.

Identity numbers (身份证号) are validated, normalised and masked by the social-insurance engine
(GB 11643 check character, a real birth date) — one rule for every identity in the product."""
from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from hrsaas.core.inputs import too_long
from social_insurance.engine import identity_number_valid, mask_identity, normalize_identity

__all__ = ["PaymentDetails", "PaymentDataError", "account_number_error", "clean_account_number", "luhn_valid",
           "mask_account", "mask_identity", "parse_payment_details"]

CARD_PREFIXES = ("62", "4", "5")
_EMPLOYEE_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")


class PaymentDataError(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class PaymentDetails:
    """Validated input. `id_number`/`account_number` are None when an edit keeps the stored
    ones (the form shows them masked and leaves the field empty)."""

    employee_number: str
    id_number: str | None
    account_name: str
    bank_name: str
    bank_branch: str
    account_number: str | None


def clean_account_number(raw: str) -> str:
    return re.sub(r"[\s-]", "", raw or "")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    return len(digits) in (16, 19) and digits.startswith(CARD_PREFIXES)


def account_number_error(raw: str) -> str | None:
    """None when `raw` is an acceptable account number, else the message to show."""
    digits = clean_account_number(raw)
    if not digits:
        return _("请填写收款账号。")
    if not digits.isdigit() or not digits.isascii():
        return _("收款账号只能包含数字(可用空格分隔),不能有字母或其他符号。")
    if not 12 <= len(digits) <= 30:
        return _("收款账号应为 12–30 位数字,现为 %(n)d 位。") % {"n": len(digits)}
    if is_card_number(digits) and not luhn_valid(digits):
        return _("银行卡号校验位不正确(%(n)d 位卡号按 Luhn 规则校验),请核对后重新填写。") % {"n": len(digits)}
    return None


def mask_account(digits: str) -> str:
    """6222 **** **** 1234 style: the first four and the last four digits."""
    if len(digits) <= 8:
        return "*" * len(digits)
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


# A person's name as banks hold it: letters of any script (张伟, Li Wei), parts joined by a space,
# the middle dot of transcribed names (阿卜杜拉·艾买提), a hyphen or an apostrophe.
_PERSON_NAME = re.compile(r"[^\W\d_]+(?:(?: |·|•|-|')[^\W\d_]+)*")


def _text(data: dict, name: str, label: str, max_length: int, errors: dict) -> str:
    value = data.get(name)
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        errors.setdefault(name, []).append(_("请填写%(f)s。") % {"f": label})
    elif len(value) > max_length:
        errors.setdefault(name, []).append(too_long(max_length, len(value), what=label))
    elif "\x00" in value:
        errors.setdefault(name, []).append(_("%(f)s含有不可见字符。") % {"f": label})
    return value


def parse_payment_details(data, *, existing: bool) -> PaymentDetails:
    """Form or JSON input → PaymentDetails, or PaymentDataError with a message per field.
    With `existing`, an empty identity or account number keeps the stored one."""
    if not isinstance(data, dict):
        raise PaymentDataError({"non_field_errors": [_("请求体须为 JSON 对象。")]})
    errors: dict[str, list[str]] = {}
    employee_number = _text(data, "employee_number", _("工号"), 32, errors)
    if employee_number and "employee_number" not in errors and not _EMPLOYEE_NUMBER.fullmatch(employee_number):
        errors["employee_number"] = [_("工号只能包含字母、数字、“-”和“_”。")]
    account_name = _text(data, "account_name", _("户名"), 50, errors)
    if account_name and "account_name" not in errors and not _PERSON_NAME.fullmatch(account_name):
        # The bank matches the name letter for letter: anything but a person's name (a formula,
        # digits, brackets) would only fail the transfer, or run in a spreadsheet on the way.
        errors["account_name"] = [_("户名须为收款人的姓名:汉字或字母,可含空格和间隔号“·”。")]
    bank_name = _text(data, "bank_name", _("开户行"), 60, errors)
    bank_branch = _text(data, "bank_branch", _("开户支行"), 100, errors)

    raw_id = data.get("id_number")
    raw_id = normalize_identity(raw_id) if isinstance(raw_id, str) else ""
    id_number: str | None = raw_id or None
    if id_number is None and not existing:
        errors["id_number"] = [_("请填写身份证号。")]
    elif id_number is not None and not identity_number_valid(id_number):
        errors["id_number"] = [_("身份证号格式或校验位不正确(18 位,最后一位可为 X)。")]

    raw_account = data.get("account_number")
    raw_account = raw_account if isinstance(raw_account, str) else ""
    account: str | None = clean_account_number(raw_account) or None
    if account is None and existing:
        pass
    else:
        problem = account_number_error(raw_account)
        if problem:
            errors["account_number"] = [problem]
    if errors:
        raise PaymentDataError(errors)
    return PaymentDetails(employee_number=employee_number, id_number=id_number, account_name=account_name,
                          bank_name=bank_name, bank_branch=bank_branch, account_number=account)
