"""Template filters for money, percentages and periods on the commission pages.

Money is shown with two decimals and thousands separators (1,234,567.50) in every language:
Django's zh-hans locale groups digits by four without a separator, which finance staff do not
read. Amounts are rounded half-up like everywhere else (hrsaas.money), never through float."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django import template

from hrsaas.core import formatting
from hrsaas.money import quantize_money

register = template.Library()


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, (bool, float)):
        return None
    try:
        return Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        return None


# Money and dates come from THE formatter (hrsaas/core/formatting.py); these names stay so
# that templates loading this library keep working.
money = register.filter("money", formatting.format_money)


@register.filter
def percent(value) -> str:
    """A percentage with two decimals: "20.00%"."""
    amount = _decimal(value)
    return "" if amount is None else f"{quantize_money(amount):,.2f}%"


def period_date(period: str) -> dt.date | None:
    try:
        return dt.date(int(period[:4]), int(period[5:7]), 1)
    except (TypeError, ValueError):
        return None


period_label = register.filter("period_label", formatting.format_period)


@register.filter
def local_date(value) -> str:
    """A date in the locale's format; a datetime with its Asia/Shanghai time."""
    if isinstance(value, dt.datetime):
        return formatting.format_datetime(value)
    return formatting.format_date(value)


@register.filter
def period_status(status) -> str:
    """open / closed / paid in the active language (未结算 / 已关账 / 已发放)."""
    from ..hq.models import BranchPeriod

    try:
        return BranchPeriod.Status(status).label
    except ValueError:
        return str(status or "")


_SETTLED_NOTE = re.compile(r"(\d{4}-\d{2}) 关账")


@register.filter
def stage_note(step: dict) -> str:
    """A lead's stage note as its reader reads it: the one the close writes on 业绩结算
    ("2026-10 关账", the month's key) in words (2026年10月关账 / Closed for Oct 2026); any other
    note is someone's own text, shown as written."""
    from django.utils.translation import gettext

    note = str(step.get("note") or "")
    match = _SETTLED_NOTE.fullmatch(note.strip())
    if step.get("stage") == "settled" and match:
        return gettext("%(p)s关账") % {"p": formatting.format_period(match.group(1))}
    return note
