"""Money precision in one place: CNY, 2 places, half-up unless a locality rule says otherwise."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

MONEY_PLACES = Decimal("0.01")
MONEY_ROUNDING = ROUND_HALF_UP
ZERO = Decimal("0.00")


def quantize_money(amount: Decimal) -> Decimal:
    """Round to the fen, half-up. Refuses floats so that no binary fraction slips in."""
    if isinstance(amount, float):
        raise TypeError("money must be Decimal, not float")
    return Decimal(amount).quantize(MONEY_PLACES, rounding=MONEY_ROUNDING)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """`percent`% of `amount`, unrounded (callers round at their named point)."""
    return amount * percent / Decimal(100)


def format_period(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"
