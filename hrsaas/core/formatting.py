"""THE display formatter: how money, dates, times and periods read on every page, notification
and file meant for people.

Money always has two decimals and thousands separators ("1,200.00") in every language: Django's
zh-hans locale groups by four without a separator, which finance staff do not read. Amounts
are rounded half-up to the fen (hrsaas.money), never through float. Dates and times are shown
in Asia/Shanghai (settings.TIME_ZONE) in the active locale's format — an HR user in 北京 reads
"2026年12月4日 09:38", never the stored UTC "2026-12-04T01:38". Machine formats (the API's
ISO strings, CSV columns meant for import) do not go through here.

Files for people (CSV/XLSX downloads) follow one rule of their own, stated here once and applied
by the one export writer (hrsaas/exports.py) to every typed cell:

  - a date:  2026-11-15 in every language (the numeric form Chinese and English spreadsheets
    both read, sort and filter as a date; never "2026年11月15日" in one file and "Dec. 1, 2026" in
    another); a time: 2026-11-15 09:38 in Asia/Shanghai;
  - a month: 2026年11月 / November 2026 (a `Period`, as the pages write it);
  - money: 1,200.00 in a CSV (two decimals, thousands separators); in an XLSX a number cell
    formatted #,##0.00, a date a date cell (yyyy-mm-dd), a month a date cell shown as the month;
  - nothing: an empty cell (never "None").
Prose written into a file (a line's explanation, a charge's note) is worded under
`file_forms()`, so a date inside a sentence reads as the date column beside it.
Files read by another system (bank batch, payroll import, import templates) keep that system's
columns and do not use these forms."""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import formats, timezone
from django.utils.translation import get_language

from hrsaas.core.period import Period
from hrsaas.money import quantize_money

__all__ = ["format_money", "format_signed_money", "format_percent", "format_date", "format_datetime", "format_period",
           "to_decimal", "is_english", "file_forms", "format_file_date", "file_text", "XLSX_MONEY", "XLSX_DATE",
           "XLSX_DATETIME", "xlsx_month_format"]

# Set while words are put together for a file (see `file_forms`).
_FILE_FORMS = contextvars.ContextVar("file_forms", default=False)


def to_decimal(value) -> Decimal | None:
    """An amount as Decimal, or None for nothing/garbage. Floats are refused (binary fractions)."""
    if value is None or value == "" or isinstance(value, (bool, float)):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def format_money(value) -> str:
    """Decimal("1200") → "1,200.00"; Decimal("-18090.456") → "-18,090.46"; None → ""."""
    amount = to_decimal(value)
    if amount is None:
        return ""
    text = f"{quantize_money(amount):,.2f}"
    return "0.00" if text == "-0.00" else text


def format_signed_money(value) -> str:
    """A difference: Decimal("120") → "+120.00", Decimal("-5") → "-5.00", zero → "0.00"."""
    amount = to_decimal(value)
    if amount is None:
        return ""
    return ("+" if quantize_money(amount) > 0 else "") + format_money(amount)


def format_percent(value) -> str:
    """Decimal("12.5") → "12.5%"; Decimal("20") → "20%" (a rate as people write it)."""
    amount = to_decimal(value)
    if amount is None:
        return ""
    amount = amount.quantize(Decimal("0.0001"))
    text = f"{amount:f}".rstrip("0").rstrip(".") if "." in f"{amount:f}" else f"{amount:f}"
    return f"{text}%"


def is_english() -> bool:
    return (get_language() or "").startswith("en")


def _localtime(value: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        # Naive values come from the database in UTC only when USE_TZ is off; treat as local.
        return value
    return timezone.localtime(value)


def format_date(value) -> str:
    """A date (or an aware datetime, or "YYYY-MM-DD…" text) in the active locale's date format:
    2026年12月4日 / Dec. 4, 2026. A datetime is first converted to Asia/Shanghai."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        parsed = _parse_text(value)
        if parsed is None:
            return value
        value = parsed
    if isinstance(value, dt.datetime):
        value = _localtime(value).date()
    if _FILE_FORMS.get():
        return value.isoformat()
    return formats.date_format(value, "DATE_FORMAT")


def format_datetime(value) -> str:
    """An aware datetime in Asia/Shanghai, in the active locale: 2026年12月4日 09:38 /
    Dec. 4, 2026, 09:38. A plain date falls back to format_date."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        parsed = _parse_text(value)
        if parsed is None:
            return value
        value = parsed
    if not isinstance(value, dt.datetime):
        return format_date(value)
    local = _localtime(value)
    if _FILE_FORMS.get():
        return f"{local:%Y-%m-%d %H:%M}"
    return f"{formats.date_format(local, 'DATE_FORMAT')} {local:%H:%M}"


def format_period(value) -> str:
    """"2026-03" → 2026年3月 / March 2026; an ISO week "2026-W05" → 2026年第5周 / Week 5, 2026; a
    quarter (appraisal cycles) "2026-Q4" → 2026年第4季度 / Q4 2026."""
    text = str(value or "")
    if len(text) == 7 and text[4:6] == "-Q" and text[6] in "1234" and text[:4].isdigit():
        year, quarter = int(text[:4]), int(text[6])
        return f"Q{quarter} {year}" if is_english() else f"{year}年第{quarter}季度"
    if len(text) == 7 and text[4] == "-":
        try:
            day = dt.date(int(text[:4]), int(text[5:7]), 1)
        except ValueError:
            return text
        return formats.date_format(day, "YEAR_MONTH_FORMAT")
    if len(text) == 8 and text[4:6] == "-W" and text[6:].isdigit():
        year, week = int(text[:4]), int(text[6:])
        return f"Week {week}, {year}" if is_english() else f"{year}年第{week}周"
    return text


# ---------------------------------------------------------------------------------------------
# Files for people (the module docstring states the rule)
# ---------------------------------------------------------------------------------------------
XLSX_MONEY = "#,##0.00"
XLSX_DATE = "yyyy-mm-dd"
XLSX_DATETIME = "yyyy-mm-dd hh:mm"


def xlsx_month_format() -> str:
    """A month cell's format: 2026年11月 / November 2026 ([$-409]: English month names in a
    Chinese Excel too)."""
    return "[$-409]mmmm yyyy" if is_english() else 'yyyy"年"m"月"'


@contextlib.contextmanager
def file_forms():
    """While active, `format_date`/`format_datetime` write the files' forms (2026-11-15,
    2026-11-15 09:38): for sentences put together to be written into a file."""
    token = _FILE_FORMS.set(True)
    try:
        yield
    finally:
        _FILE_FORMS.reset(token)


def format_file_date(value) -> str:
    """A date (or datetime, in Asia/Shanghai) as files write it: 2026-11-15 (2026-11-15 09:38)."""
    with file_forms():
        return format_datetime(value) if isinstance(value, dt.datetime) else format_date(value)


def file_text(value):
    """A typed value as the text a CSV for people holds (the rule above): Decimal → 1,200.00,
    date → 2026-11-15, datetime → 2026-11-15 09:38, Period → 2026年11月 / November 2026,
    None → "". Text and whole numbers are returned as they are."""
    if value is None:
        return ""
    if isinstance(value, Period):
        return format_period(str(value))
    if isinstance(value, Decimal):
        return format_money(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return format_file_date(value)
    return value


def _parse_text(text: str) -> dt.date | dt.datetime | None:
    text = text.strip()
    try:
        if len(text) > 10:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return parsed
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
