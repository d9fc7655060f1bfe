"""Money: precision in one place, and THE parser every input path uses.

Precision: CNY, 2 places, half-up unless a locality rule says otherwise (`quantize_money`).

Accepted forms (`parse_money`), the same for the API, page forms, CSV/XLSX imports and social
insurance:
  - digits with an optional decimal part: "1200", "1200.5", "1200.50", "-3" (where negatives
    are allowed);
  - thousands separators in the right places only: "1,200.00", "12,345,678" (not "1,2" or "12,00");
  - full-width digits, comma, point and minus (typed with a Chinese IME), e.g. "５１", "１，２００．５";
    surrounding blanks (also the full-width blank) are ignored;
  - int and Decimal values as they are; a float (a spreadsheet cell) by its shortest exact text.
Refused with a message for people: empty, "1e5", "NaN", "Infinity", ".5", "1.", currency signs,
more decimal places than allowed (never rounded), out of the caller's bounds — and a JSON number
or true/false in an API body (code "number"): the contract writes money as a decimal string
(hrsaas.core.json_numbers says why and how it is told from a spreadsheet's number).
"""
from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from .json_numbers import is_json_number

MONEY_PLACES = Decimal("0.01")
MONEY_ROUNDING = ROUND_HALF_UP
ZERO = Decimal("0.00")
# The largest amount any input may carry (the DB columns hold 14 digits, 2 of them decimals).
MAX_AMOUNT = Decimal("999999999999.99")

_AMOUNT_RE = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")


def quantize_money(amount: Decimal) -> Decimal:
    """Round to the fen, half-up. Refuses floats so that no binary fraction slips in."""
    if isinstance(amount, float):
        raise TypeError("money must be Decimal, not float")
    return Decimal(amount).quantize(MONEY_PLACES, rounding=MONEY_ROUNDING)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """`percent`% of `amount`, unrounded (callers round at their named point)."""
    return amount * percent / Decimal(100)


class MoneyError(ValueError):
    """Input that is not an acceptable amount. `code` says why (for callers that word it their
    own way): number, required, invalid, places, negative, zero, too_small, too_large."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def normalise_amount_text(value) -> str:
    """Full-width characters to their ASCII form (NFKC), blanks stripped."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def decimal_from_text(value) -> Decimal | None:
    """The number in `value` when it is spelled as an amount is (the forms above: digits, sign,
    thousands separators, a decimal part, full-width characters), else None — so a percent, a
    rate or a score accepts exactly what an amount accepts and refuses "1e1", "NaN", "Infinity"
    and ".5" the same way. An int or a finite Decimal is taken as it is; a float by its shortest
    text. No bounds and no places: the caller words those."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        value = repr(value)
    if not isinstance(value, str):
        return None
    text = normalise_amount_text(value)
    return Decimal(text.replace(",", "")) if _AMOUNT_RE.fullmatch(text) else None


def parse_money(value, *, places: int = 2, minimum: Decimal | None = None, maximum: Decimal | None = MAX_AMOUNT,
                allow_negative: bool = False, allow_zero: bool = True) -> Decimal:
    """The amount in `value` as an exact Decimal (not rounded: over-precise input is refused).

    Raises MoneyError; see the module docstring for the accepted forms."""
    if is_json_number(value):
        raise MoneyError("number", "金额须为字符串,例如 \"1200.00\"(不接受 JSON 数字或 true/false)。")
    if value is None or (isinstance(value, str) and not normalise_amount_text(value)):
        raise MoneyError("required", "必填,须为金额,例如 \"1000.00\"。")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise MoneyError("invalid", f"不是有效的金额:{value}")
        value = repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError("invalid", f"不是有效的金额:{value}")
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    else:
        text = normalise_amount_text(value)
        if not _AMOUNT_RE.fullmatch(text):
            raise MoneyError("invalid", f"不是有效的金额:{str(value)[:30]}")
        amount = Decimal(text.replace(",", ""))
    if -amount.as_tuple().exponent > places:
        raise MoneyError("places", f"金额最多保留 {places} 位小数。")
    if amount < 0 and not allow_negative:
        raise MoneyError("negative", "不能为负数。")
    if amount == 0 and not allow_zero:
        raise MoneyError("zero", "金额不能为 0。")
    if minimum is not None and amount < minimum:
        raise MoneyError("too_small", f"金额须大于等于 {minimum}。")
    if maximum is not None and abs(amount) > maximum:
        raise MoneyError("too_large", "金额过大。")
    return amount
