"""THE template library of every page (a builtin: no {% load %} needed): money, dates, times,
periods and labels, all from hrsaas.core.formatting / hrsaas.core.labels."""
from __future__ import annotations

from django import template

from hrsaas.core import formatting, labels

register = template.Library()


@register.filter
def money(value) -> str:
    """1200 → "1,200.00"."""
    return formatting.format_money(value)


@register.filter
def percent(value) -> str:
    return formatting.format_percent(value)


@register.filter
def local_date(value) -> str:
    return formatting.format_date(value)


@register.filter
def local_datetime(value) -> str:
    return formatting.format_datetime(value)


@register.filter
def period_label(value) -> str:
    return formatting.format_period(value)


@register.filter
def label(value, kind: str) -> str:
    """{{ m.role|label:"role" }} → 分支机构经理."""
    return labels.label(kind, value)


@register.filter
def role_names(codes) -> list[str]:
    return labels.role_labels(codes or ())


@register.filter
def person(user) -> str:
    """A person's name, never their username when a name is known."""
    if user is None:
        return ""
    name = getattr(user, "display_name", "") or ""
    return name or getattr(user, "username", "") or ""
