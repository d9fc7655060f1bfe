"""Moved to `hrsaas.core.period` (kept so old imports still work)."""
from hrsaas.core.period import PeriodError, parse_day  # noqa: F401

__all__ = ["PeriodError", "parse_day"]
