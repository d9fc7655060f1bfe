"""Field parsers for input from outside (API bodies, forms, import rows alike).

Each parser reads `data[field]`, returns the typed value (or None) and adds a message per
problem to an `Errors`; `raise_if_any()` raises one Django ValidationError mapping field →
messages, so the API's 400 and an import's per-row report say the same thing. Dates, periods
and money go through the core's one parser each (`period.py`, `money.py`), with their range.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _, pgettext

from .formatting import format_date, format_period
from .json_numbers import is_json_number
from .money import MoneyError, normalise_amount_text
from .money import parse_money as _parse_amount
from .period import MAX_YEAR, MIN_YEAR, PeriodError, parse_day
from .period import parse_period as _parse_period


def quoted(value, limit: int = 20) -> str | None:
    """`value` as a person typed it, to quote back in a message (its first `limit` characters), or
    None when there is nothing a person typed: missing, blank, or not text at all (a JSON number,
    list, object, true/false). A message then says what belongs there rather than quoting
    Python's spelling of the value (`None`, `True`, `['x']`)."""
    if isinstance(value, str) and value.strip():
        return value.strip()[:limit]
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)[:limit]
    return None


# The contract's own examples of a decimal string (API.md): money, and a percentage (20%).
MONEY_EXAMPLE, PERCENT_EXAMPLE = "1200.00", "20.00"


def number_as_text(example: str = MONEY_EXAMPLE) -> str:
    """The refusal of a JSON number or true/false where the API wants a decimal string (money, a
    percent), in the reader's language; `example` shows the form the field expects."""
    return _("请填写以字符串表示的数值,例如 \"%(example)s\"(不接受 JSON 数字或 true/false)。") % {"example": example}


def refuse_json_number(value, *, example: str = MONEY_EXAMPLE) -> str | None:
    """`number_as_text` when `value` was sent as a JSON number or true/false
    (hrsaas.core.json_numbers), else None: every money and percent input of the API asks this
    before reading the value, so a JSON number is refused on every endpoint in the same words."""
    return number_as_text(example) if is_json_number(value) else None


def record_id(value) -> int | None:
    """A record's id as typed in a form field or path (ASCII digits, within bigint), else None.
    `str.isdigit()` is not the test: "²" is a digit to it and int("²") raises (a 500)."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def wrong_value(value, *, what: str, form: str) -> str:
    """The message for a value that does not parse: required when blank, the expected form when
    it is not text, else the typed value quoted. `what` names the field's kind (日期, 期间 …),
    `form` its written form (YYYY-MM-DD …)."""
    if blank(value):
        return _("必填,格式 %(form)s。") % {"form": form}
    shown = quoted(value)
    if shown is None:
        return _("%(what)s须为 %(form)s 格式的文本。") % {"what": what, "form": form}
    return _("%(what)s格式须为 %(form)s:%(v)s") % {"what": what, "form": form, "v": shown}


def unknown_choice(value, *, what: str, choices) -> str:
    """The message for a value outside a list of choices (a service, a commission item)."""
    listed = _("、").join(str(c) for c in choices)  # the list separator of the reader's language
    if blank(value):
        return _("必填:请填写%(what)s(可选:%(all)s)。") % {"what": what, "all": listed}
    shown = quoted(value, 40)
    if shown is None:
        return _("%(what)s须为文本(可选:%(all)s)。") % {"what": what, "all": listed}
    return _("未知%(what)s:%(v)s(可选:%(all)s)。") % {"what": what, "v": shown, "all": listed}


def too_long(limit: int, length: int, *, what: str = "") -> str:
    """The one message for text longer than its field takes, in our words (Django's and DRF's own
    max_length messages are reworded to match in locale/): "不能超过 200 个字符(现为 5,000 个)".
    Text is refused, never cut: a note stored shorter than typed loses what its writer said."""
    words = {"what": what, "n": f"{limit:,}", "m": f"{length:,}"}
    if what:
        return _("%(what)s不能超过 %(n)s 个字符(现为 %(m)s 个)。") % words
    return _("不能超过 %(n)s 个字符(现为 %(m)s 个)。") % words


def refuse_too_long(field: str, value: str, limit: int, *, what: str = "") -> str:
    """`value` as it is, or ValidationError {field: [too_long(…)]} when it is over `limit`
    characters — for services that take text already read by a page or the API."""
    if len(value or "") > limit:
        raise ValidationError({field: [too_long(limit, len(value), what=what)]})
    return value


class Errors:
    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


ZERO_WIDTH_JOINER = "\u200d"
EMOJI_SIDES = frozenset({"So", "Sk", "Mn"})  # an emoji, a skin tone, the emoji variation selector
# Characters that show nothing although Unicode counts them as letters or marks (not Cf), so
# `isprintable()` passes them: the Hangul fillers (ㅤ U+3164 and its kin, which pad a name to look
# like another: "客服部ㅤ" shows as 客服部), the blank Braille pattern, the combining grapheme
# joiner and the Khmer inherent vowels (which Unicode itself says not to use).
INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5")


_OTHER_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n"})


def line_breaks_once(text: str) -> str:
    """`text` with each line break as one "\\n": a browser sends a text box's line break as CRLF
    (two characters) while its maxlength counts one, and an old Mac file has CR alone. Unicode's
    line and paragraph separators (U+2028, U+2029, pasted from some editors) break a line in
    browsers, spreadsheets and JSON viewers alike, so they are line breaks too — a one-line
    field refuses them as it refuses "\\n". Every length is counted, and every text stored,
    after this."""
    return text.replace("\r\n", "\n").translate(_OTHER_LINE_BREAKS)


def refused_character(text: str) -> str | None:
    """Why `text` may not be stored, or None. Refused: control characters but tab and line breaks
    (NUL among them: PostgreSQL cannot store it), a lone UTF-16 surrogate (nor that), and the
    invisible format characters (Unicode category Cf) — the bidi embeddings, overrides and
    isolates U+202A–U+202E and U+2066–U+2069 that make a page show a name reversed ("Trojan
    Source" spoofing), zero-width spaces, word joiners, soft hyphens, tags — which make two
    names look the same, and the letters that show nothing (INVISIBLE_LETTERS). A zero-width
    joiner between emoji (👩‍💻) is text."""
    if (text.replace("\n", "").replace("\r", "").replace("\t", "").isprintable()
            and INVISIBLE_LETTERS.isdisjoint(text)):
        return None  # the common case, at C speed: all the others above are non-printable
    for i, ch in enumerate(text):
        kind = unicodedata.category(ch)
        if kind == "Cc" and ch not in "\t\n\r":
            return _("含有不允许的控制字符。")
        if kind == "Cs":
            return _("含有不允许的字符:孤立的 UTF-16 代理项(U+%(code)04X)。") % {"code": ord(ch)}
        joins_emoji = (ch == ZERO_WIDTH_JOINER and 0 < i < len(text) - 1
                       and unicodedata.category(text[i - 1]) in EMOJI_SIDES
                       and unicodedata.category(text[i + 1]) == "So")
        if ch in INVISIBLE_LETTERS or (kind == "Cf" and not joins_emoji):
            return _("含有不允许的不可见字符 U+%(code)04X(文字方向控制符、零宽字符等),请删除后再提交。") % {
                "code": ord(ch)}
    return None


def parse_text(data: dict, field: str, errors: Errors, *, max_length: int | None = 200, required: bool = True,
               single_line: bool = False) -> str:
    """`max_length=None`: the service counts the length. A line break counts once (and is stored
    as "\\n"), as a text box's maxlength counts it (line_breaks_once)."""
    value = data.get(field)
    if value is not None and not isinstance(value, str):
        # A JSON number, list, object or true/false where text is wanted: refused, never stored as
        # its Python spelling ("['x']", "1e+308"). Imports hand their cells over as text
        # (commissions.imports.cell_text), forms send text.
        errors.add(field, _("须为文本。"))
        return ""
    refusal = refused_character(value or "")  # before strip(), which would drop \x1c–\x1f unseen
    if refusal:
        errors.add(field, refusal)
        return ""
    value = line_breaks_once(value or "").strip()
    if required and not value:
        errors.add(field, _("必填。"))
    elif single_line and any(ch in value for ch in "\r\n\t"):
        # A name shown in lists, choices and file cells: a line break there splits it in two.
        errors.add(field, _("须为一行文字,不能含换行或制表符。"))
    elif max_length is not None and len(value) > max_length:
        errors.add(field, too_long(max_length, len(value)))
    return value


def text_box(value, field: str, *, limit: int, what: str = "", required: str | None = None) -> str:
    """Text typed in a text box (a note, a reason), for a service that takes it as a page or the
    API read it: trimmed, each line break counted once and stored as "\\n" (line_breaks_once).
    Refused — ValidationError {field: [message]}, before anything is written — when it is not
    text, holds a character `refused_character` refuses (so a note of zero-width spaces alone
    is refused in those words, not stored as an empty-looking reason), is empty and `required`
    (the message that says what is missing), or is over `limit` characters (too_long, `what`
    naming it)."""
    if value is not None and not isinstance(value, str):
        raise ValidationError({field: [_("须为文本。")]})
    refusal = refused_character(value or "")
    if refusal:
        raise ValidationError({field: [refusal]})
    value = line_breaks_once(value or "").strip()
    if required and not value:
        raise ValidationError({field: [required]})
    return refuse_too_long(field, value, limit, what=what)


def text(data: dict, field: str, *, max_length: int | None = 200, required: bool = False) -> str:
    """One text field of an API body, or ValidationError {field: [message]} (see parse_text: a
    number, a list, an object or true/false is refused, never stored as its Python spelling)."""
    errors = Errors()
    value = parse_text(data, field, errors, max_length=max_length, required=required)
    errors.raise_if_any()
    return value


def parse_int(data: dict, field: str, errors: Errors, *, low: int = 1, high: int = 10_000_000) -> int | None:
    value = data.get(field)
    if isinstance(value, bool) or value is None or value == "":
        errors.add(field, _("必填,须为整数。"))
        return None
    if isinstance(value, float):
        if not value.is_integer():
            errors.add(field, _("须为整数。"))
            return None
        value = int(value)
    if isinstance(value, str):
        text = normalise_amount_text(value)  # full-width digits (５１) as typed with a Chinese IME
        if not re.fullmatch(r"[+-]?[0-9]+", text):
            errors.add(field, _("须为整数。"))
            return None
        if len(text.lstrip("+-").lstrip("0")) > 30:  # far out of any range (and int() refuses > 4,300 digits)
            errors.add(field, _("须小于等于 %(n)d。") % {"n": high} if not text.startswith("-")
                       else _("须大于等于 %(n)d。") % {"n": low})
            return None
        value = int(text)
    if not isinstance(value, int):
        errors.add(field, _("须为整数。"))
        return None
    if value < low:
        errors.add(field, _("须大于等于 %(n)d。") % {"n": low})
    elif value > high:
        errors.add(field, _("须小于等于 %(n)d。") % {"n": high})
    return value


def parse_money(data: dict, field: str, errors: Errors) -> Decimal | None:
    """A positive amount (see hrsaas.core.money for the accepted forms); more than 2 decimal
    places are refused, never rounded."""
    try:
        amount = _parse_amount(data.get(field), allow_negative=True)
    except MoneyError as exc:
        if exc.code == "number":
            errors.add(field, number_as_text())
        elif exc.code == "places":
            errors.add(field, _("金额最多保留 2 位小数。"))
        elif exc.code == "required":
            errors.add(field, _("必填,须为金额,例如 \"1000.00\"。"))
        elif exc.code == "too_large":
            errors.add(field, _("金额过大。"))
        else:
            shown = quoted(data.get(field), 30)
            errors.add(field, _("不是有效的金额:%(v)s") % {"v": shown} if shown is not None
                       else _("金额须为文本形式的数字,例如 \"1000.00\"。"))
        return None
    if amount <= 0:
        errors.add(field, _("金额须大于 0。"))
        return None
    return amount


def parse_date(data: dict, field: str, errors: Errors, *, required: bool = True,
               not_after_today: bool = False) -> dt.date | None:
    """A YYYY-MM-DD day in the range. With `not_after_today` (openings, sales, signings: things
    that have happened) a day after today (Asia/Shanghai) is refused — an opening dated next
    year would create that year's period, which a manager could then close."""
    value = data.get(field)
    try:
        day = parse_day(value)
    except PeriodError as exc:
        if exc.code == "range":
            errors.add(field, _("日期须在 %(lo)d–%(hi)d 年之间:%(v)s") % {"lo": MIN_YEAR, "hi": MAX_YEAR, "v": str(value)[:20]})
        elif exc.code == "day":  # well formed, but no such day (2025-02-30): say so, not "format"
            errors.add(field, _("日历上没有这一天:%(v)s") % {"v": str(value).strip()[:20]})
        else:
            errors.add(field, wrong_value(value, what=pgettext("in a sentence", "日期"), form="YYYY-MM-DD"))
        return None
    if day is None and required:
        errors.add(field, _("必填,格式 YYYY-MM-DD。"))
    if day is not None and not_after_today and day > timezone.localdate():
        errors.add(field, _("日期 %(d)s 晚于今天(%(t)s):只能录入已经发生的事。")
                   % {"d": format_date(day), "t": format_date(timezone.localdate())})
        return None
    return day


def parse_period(data: dict, field: str, errors: Errors, *, not_after_this_month: bool = False) -> str | None:
    value = data.get(field)
    try:
        period = _parse_period(value)
    except PeriodError as exc:
        if exc.code == "range":
            errors.add(field, _("期间须在 %(lo)d-01 至 %(hi)d-12 之间:%(v)s") % {"lo": MIN_YEAR, "hi": MAX_YEAR,
                                                                          "v": str(value).strip()[:20]})
        else:
            errors.add(field, wrong_value(value, what=pgettext("in a sentence", "期间"), form="YYYY-MM"))
        return None
    if not_after_this_month and str(period) > (this_month := timezone.localdate().strftime("%Y-%m")):
        # Months in the reader's words (2027年1月 / January 2027), never the key 2027-01.
        errors.add(field, _("%(p)s晚于本月(%(m)s):只能录入已经发生的销售。") % {
            "p": format_period(str(period)), "m": format_period(this_month)})
        return None
    return period


def parse_bool(data: dict, field: str, errors: Errors, *, default: bool) -> bool:
    value = data.get(field)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "y", "是"}:
        return True
    if text in {"0", "false", "no", "n", "否"}:
        return False
    errors.add(field, _("须为 true 或 false。"))
    return default


def errors_to_form(form, exc: ValidationError) -> None:
    """A service's ValidationError shown on a page's form: each message on its field when the
    form has one, else at the top."""
    for fld, errs in exc.message_dict.items():
        for err in errs:
            form.add_error(fld if fld in form.fields else None, err)
