"""Statements as files (CSV or XLSX) through the shared table download (`hrsaas.exports`, which
writes every cell through THE export writer): a month's list of statements with its total, and
one person's statement with every line and the explanation the page shows.

The views pass what their pages show, already scoped (`selectors.statements_visible_to`,
`selectors.access_statement`): a file never holds more than the page it is downloaded from. A
statement's explanations are worded under `formatting.file_forms()` by the view, so the dates in
them read like the 日期 column (2026-03-05)."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _

from hrsaas.exports import FORMATS, table_response
from hrsaas.core.formatting import format_period
from hrsaas.core.labels import label

from .templatetags.commission_format import period_status

__all__ = ["FORMATS", "statements_response", "statement_response"]

# What a file name cannot hold on Windows or macOS (and quotes, which would end the header's
# filename="…"); the readable name comes from people's and branches' names.
_NOT_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
_ASCII_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def _title(*parts: str) -> str:
    return "-".join(_NOT_IN_NAMES.sub("_", p).strip() for p in parts if p)


def statements_rows(rows: list[dict]) -> list[list]:
    """The month's statements (`statements_visible_to`), then a 合计 row. Amounts stay Decimals."""
    out = [[r["display_name"] or r["username"], r["line_count"], Decimal(r["total"]), str(period_status(r["status"]))]
           for r in rows]
    out.append([_("合计"), sum(r["line_count"] for r in rows), sum((Decimal(r["total"]) for r in rows), Decimal("0.00")),
                ""])
    return out


def statements_response(rows: list[dict], *, fmt: str, branch, period: str) -> HttpResponse:
    return table_response(
        fmt=fmt, filename=f"statements-{branch.code}-{period}", title=_title(_("提成单"), branch.name, format_period(period)),
        headers=[_("姓名"), _("笔数"), _("金额(元)"), _("状态")], rows=statements_rows(rows))


def statement_rows(statement: dict) -> list[list]:
    """One person's statement (`access_statement`), a row per line as the page lists them, then the
    total. 浮动 is empty where the page shows "—" (no branch float on the line)."""
    out = []
    for ln in statement["lines"]:
        adjustment = Decimal(ln["adjustment_percent"])
        out.append([dt.date.fromisoformat(ln["event_date"]), label("component", ln["component"]), ln.get("client", ""),
                    Decimal(ln["base"]), Decimal(ln["rate"]), adjustment if adjustment else None,
                    Decimal(ln["amount"]), ln["explanation"]])
    out.append([None, _("合计"), "", None, None, None, Decimal(statement["total"]), ""])
    return out


def statement_response(statement: dict, *, fmt: str, branch) -> HttpResponse:
    period = statement["period"]
    # The ASCII name (for browsers that ignore filename*) says whose file it is by login name when
    # that is plain ASCII; the Chinese name (filename*) by the person's name.
    who = _ASCII_NAME.sub("", statement["username"]) or "person"
    return table_response(
        fmt=fmt, filename=f"statement-{branch.code}-{period}-{who}",
        title=_title(_("提成单"), statement["display_name"] or statement["username"], format_period(period)),
        headers=[_("日期"), _("项目"), _("客户"), _("基数"), _("比例(%)"), _("分支浮动(%)"), _("金额(元)"), _("说明")],
        rows=statement_rows(statement))
