"""Periods ("YYYY-MM") and days as the product accepts them, with one sane range.

Every date or period that comes from outside (API body, query string, form, import file, URL)
goes through `Period.parse` or `parse_day`. Both refuse years outside `MIN_YEAR..MAX_YEAR`:
a period like "0000-01" or a client opened on 0001-01-15 once left recompute markers whose date
arithmetic failed (no month before year 1) and stopped a branch's statements for good.

Pure Python (no Django): the engines import it too.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# The range of business dates the product accepts, stated once. Nothing an HR-outsourcing
# branch records is older than 2000, and 2099 leaves room for far-future contract ends.
MIN_YEAR = 2000
MAX_YEAR = 2099

# The one period regex (format only; the range is checked by `Period.parse`). Also used in
# database CHECK constraints, hence plain text without named groups.
PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
# In Python `$` also matches before a final newline: "2026-10\n" passed the check and reached a
# varchar(7) column (a 500). The compiled check ends at the end of the text only.
PERIOD_RE = re.compile(PERIOD_PATTERN[:-1] + r"\Z")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class PeriodError(ValueError):
    """A period or day that is malformed (`code` "format"), a day the calendar does not have
    ("day": 2025-02-30) or outside the range ("range");
    `str()` is a message for people."""

    def __init__(self, message: str, code: str = "format"):
        super().__init__(message)
        self.code = code


def _check_year(year: int, shown) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(f"年份须在 {MIN_YEAR}–{MAX_YEAR} 之间:{shown}", "range")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month of the business (提成期间 / 社保月份). Ordered like time."""

    year: int
    month: int

    def __post_init__(self):
        if not isinstance(self.year, int) or not isinstance(self.month, int) or not 1 <= self.month <= 12:
            raise PeriodError(f"不是有效的月份:{self.year}-{self.month}")
        _check_year(self.year, f"{self.year:04d}-{self.month:02d}")

    @classmethod
    def parse(cls, value) -> Period:
        """"YYYY-MM" (surrounding blanks ignored) in the range; a Period as is. Raises PeriodError."""
        if isinstance(value, Period):
            return value
        text = "" if value is None else str(value).strip()
        if not PERIOD_RE.match(text):
            shown = text[:20] if isinstance(value, str) and text else None
            raise PeriodError(f"期间格式须为 YYYY-MM:{shown}" if shown else "请填写期间,格式 YYYY-MM。" if not text
                              else "期间须为 YYYY-MM 格式的文本,例如 2026-03。")
        return cls(int(text[:4]), int(text[5:7]))

    @classmethod
    def of(cls, day: dt.date) -> Period:
        return cls(day.year, day.month)

    @classmethod
    def is_valid(cls, value) -> bool:
        try:
            cls.parse(value)
        except PeriodError:
            return False
        return True

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shifted(self, months: int) -> Period:
        index = self.year * 12 + self.month - 1 + months
        return Period(index // 12, index % 12 + 1)

    def next(self) -> Period:
        return self.shifted(1)

    def previous(self) -> Period:
        return self.shifted(-1)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        nxt = dt.date(self.year + (self.month == 12), self.month % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)


def parse_period(value) -> str:
    """The canonical "YYYY-MM" text of a period input (raises PeriodError)."""
    return str(Period.parse(value))


def valid_period(value) -> bool:
    return Period.is_valid(value)


def parse_day(value) -> dt.date | None:
    """A date or datetime as is; text as YYYY-MM-DD (a real day); None for nothing given.
    Anything else, or a year outside MIN_YEAR..MAX_YEAR, raises PeriodError (a ValueError).
    Python's own ISO parser would also take 20250701 or 2025-W27-2, which a spreadsheet user
    never means."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip()
        if not _ISO_DAY.fullmatch(text):
            raise PeriodError(f"日期格式须为 YYYY-MM-DD:{text[:20]}")
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise PeriodError(f"日历上没有这一天:{text[:20]}", code="day") from None
    _check_year(day.year, day.isoformat())
    return day


def format_period(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"
