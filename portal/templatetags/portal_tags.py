from decimal import Decimal, InvalidOperation

from django import template

from hrsaas.core import formatting

register = template.Library()


@register.filter
def money(value) -> str:
    """THE formatter's money (1234.5 → "1,234.50"); a missing amount reads 0.00 on the portal."""
    return formatting.format_money(value if value is not None else 0)


@register.filter
def pct(value) -> str:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{d.normalize():f}" if d == d.to_integral() else f"{d:.2f}".rstrip("0")


@register.filter
def anchor(source: str) -> str:
    """A statement line's HTML id from its source ("bj:client:12" → "line-bj-client-12")."""
    return "line-" + str(source).replace(":", "-")


@register.filter
def lookup(mapping, key):
    return (mapping or {}).get(key, "")


@register.filter
def claim_reason(claim) -> str:
    """A claim's review result in the reader's language (selectors.claim_reason)."""
    from portal.selectors import claim_reason as reason

    return reason(claim)


@register.filter
def claim_event(reason) -> str:
    """A claim history row's stored audit reason in words: the automatic review, or a
    manager's override with its note."""
    from django.utils.translation import gettext

    text = str(reason or "")
    if text == "开户奖励申领:自动审核":
        return gettext("自动审核")
    if text.startswith("经理改判:"):
        return gettext("经理改判") + ":" + text[len("经理改判:"):]
    return text
