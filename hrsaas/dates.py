"""Dates as the product accepts them in every input (API, form, import file): YYYY-MM-DD only."""
from __future__ import annotations

import datetime as dt
import re

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(value) -> dt.date | None:
    """A date or datetime as is; text as YYYY-MM-DD (a real day); None for nothing given.
    Anything else raises ValueError. Python's own ISO parser would also take 20250701 or
    2025-W27-2, which a spreadsheet user never means."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not _ISO_DAY.fullmatch(text):
        raise ValueError(f"not a YYYY-MM-DD date: {value!r}")
    return dt.date.fromisoformat(text)
