"""The commissions app's locks, in one place.

Order when several are taken: branch-periods in ascending period order (a correction of a
closed period locks it, then the open period it posts into). Keys carry the schema, so two
branches never wait for each other.
"""
from __future__ import annotations

from hrsaas.core import locks


def branch_period_key(schema: str, period: str) -> int:
    return locks.key(f"{schema}:commissions:{period}")


def branch_period(schema: str, *periods: str) -> None:
    """Transaction-scoped advisory locks on branch-periods: one recompute/close at a time each."""
    locks.take(*((locks.Lock.COMMISSION_PERIOD, f"{schema}:commissions:{p}") for p in periods))
