"""Template filters for money, percentages and periods on the commission pages.

Money is shown with two decimals and thousands separators (1,234,567.50) in every language:
Django's zh-hans locale groups digits by four without a separator, which finance staff do not
read. Amounts are rounded half-up like everywhere else (hrsaas.money), never through float."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats, timezone

from hrsaas.money import quantize_money

register = template.Library()


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, (bool, float)):
        return None
    try:
        return Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        return None


@register.filter
def money(value) -> str:
    """1234567.5 → "1,234,567.50"; empty for a missing amount."""
    amount = _decimal(value)
    if amount is None or not amount.is_finite():
        return ""
    return f"{quantize_money(amount):,.2f}"


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


@register.filter
def period_label(period) -> str:
    """"2026-03" in the active language's year-month format (2026年3月 / March 2026)."""
    day = period_date(str(period or ""))
    return formats.date_format(day, "YEAR_MONTH_FORMAT") if day else str(period or "")


@register.filter
def local_date(value) -> str:
    """A date (or ISO date string) in the active language's date format."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    return formats.date_format(value, "DATE_FORMAT") if value else ""


@register.filter
def period_status(status) -> str:
    """open / closed / paid in the active language (未结算 / 已关账 / 已发放)."""
    from ..hq.models import BranchPeriod

    try:
        return BranchPeriod.Status(status).label
    except ValueError:
        return str(status or "")
