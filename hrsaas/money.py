"""Moved to `hrsaas.core.money` (kept so old imports still work)."""
from hrsaas.core.money import (  # noqa: F401
    MAX_AMOUNT, MONEY_PLACES, MONEY_ROUNDING, ZERO, MoneyError, parse_money, percent_of, quantize_money,
)
from hrsaas.core.period import format_period  # noqa: F401

__all__ = ["MAX_AMOUNT", "MONEY_PLACES", "MONEY_ROUNDING", "ZERO", "MoneyError", "parse_money", "percent_of",
           "quantize_money", "format_period"]
