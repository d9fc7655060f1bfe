"""Lists exported for people (CSV/XLSX) by the 客户管理 and 参保员工 pages.

Headers and values arrive already in the users' words (labels, names, masked identity
numbers); this module only lays them out. Cells are written through `hrsaas.exports`, which
makes every text cell inert (no formula runs when the file is opened)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse

from hrsaas import exports
from hrsaas.core.formatting import format_date, is_english
from hrsaas.money import quantize_money

FORMATS = ("csv", "xlsx")


def _csv_cell(value, *, local_dates: bool = False):
    # Money reads as people write it (1,234.50) in a CSV; the export helper escapes the text.
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{quantize_money(value):,.2f}"
    if isinstance(value, dt.date):
        if local_dates:
            return format_date(value)
        return f"{value.year}-{value.month:02d}-{value.day:02d}"
    return value


def _local_date_format() -> str:
    """An XLSX date format that reads as the pages' dates: 2026年12月5日 / December 5, 2026."""
    return "mmmm d, yyyy" if is_english() else 'yyyy"年"m"月"d"日"'


def table_response(*, fmt: str, filename: str, title: str, headers: list[str], rows,
                   local_dates: bool = False) -> HttpResponse:
    """`rows` of str/int/Decimal/date values → a CSV (UTF-8 with BOM, which Excel in China opens
    correctly) or XLSX download. Money keeps two decimals with separators; in XLSX it stays a
    number (formatted #,##0.00) and dates stay dates.

    `local_dates`: dates as the pages write them (2026年12月5日), for files that are only read by
    people (statements); without it they stay YYYY-MM-DD as the imports read them."""
    if fmt == "xlsx":
        from openpyxl.styles import Font

        sheet = exports.Sheet(title)
        sheet.append(headers)
        for cell in sheet.ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for row in sheet.ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, (Decimal, float)):
                    cell.number_format = "#,##0.00"
                elif isinstance(cell.value, dt.date):
                    cell.number_format = _local_date_format() if local_dates else "yyyy-mm-dd"
        body, content_type = sheet.bytes(), exports.XLSX_CONTENT_TYPE
    else:
        body = exports.csv_bytes([headers, *([_csv_cell(v, local_dates=local_dates) for v in row] for row in rows)])
        content_type = exports.CSV_CONTENT_TYPE
    response = HttpResponse(body, content_type=content_type)
    # ASCII filename (every browser), the Chinese one for those that read RFC 5987.
    from urllib.parse import quote

    response["Content-Disposition"] = (f'attachment; filename="{filename}.{fmt}"; '
                                       f"filename*=UTF-8''{quote(title)}.{fmt}")
    return response
