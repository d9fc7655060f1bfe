"""Lists exported for people (CSV/XLSX) by the 客户管理 and 参保员工 pages.

Headers and values arrive already in the users' words (labels, names, masked identity
numbers); this module only writes them. Text cells are escaped in one place (`export_text`) so
that a spreadsheet never runs a value as a formula — the shared escaping helper that is being
written for every export can replace that one function."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from django.http import HttpResponse

from hrsaas.money import quantize_money

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_text(value: str) -> str:
    """A text cell a spreadsheet will not run: a leading =, +, -, @ (or a tab or carriage
    return before one) makes Excel and LibreOffice read a formula, so such a cell gets a
    leading apostrophe."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{quantize_money(value):,.2f}"
    if isinstance(value, dt.date):
        return f"{value.year}-{value.month:02d}-{value.day:02d}"
    if isinstance(value, int):
        return str(value)
    return export_text(str(value))


def table_response(*, fmt: str, filename: str, title: str, headers: list[str], rows) -> HttpResponse:
    """`rows` of str/int/Decimal/date values → a CSV (UTF-8 with BOM, which Excel in China opens
    correctly) or XLSX download. Money keeps two decimals with separators; in XLSX it stays a
    number (formatted #,##0.00) and dates stay dates."""
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        wb = Workbook()
        ws = wb.active
        ws.title = title[:31]
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([export_text(v) if isinstance(v, str) else v for v in row])
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, (Decimal, float)):
                    cell.number_format = "#,##0.00"
                elif isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
        buf = io.BytesIO()
        wb.save(buf)
        body, content_type = buf.getvalue(), XLSX_TYPE
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([_csv_cell(v) for v in row])
        body, content_type = ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    # ASCII filename (every browser), the Chinese one for those that read RFC 5987.
    from urllib.parse import quote

    response["Content-Disposition"] = (f'attachment; filename="{filename}.{fmt}"; '
                                       f"filename*=UTF-8''{quote(title)}.{fmt}")
    return response
