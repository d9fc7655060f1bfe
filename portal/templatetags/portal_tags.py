from decimal import Decimal, InvalidOperation

from django import template

from portal import engine

register = template.Library()


@register.filter
def money(value) -> str:
    """Two decimals with thousands separators: 1234.5 → "1,234.50"."""
    try:
        return engine.money(Decimal(str(value if value is not None else 0)))
    except (InvalidOperation, ValueError):
        return str(value)


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
