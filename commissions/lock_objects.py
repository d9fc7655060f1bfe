"""The commissions app's locks, in one place.

Order when several are taken: branch-periods in ascending period order (a correction of a
closed period locks it, then the open period it posts into). Keys carry the schema, so two
branches never wait for each other.
"""
from __future__ import annotations

import zlib

from django.db import connection

_NAMESPACE = 7201  # first key of pg_advisory_xact_lock(int, int): the commissions app


def branch_period_key(schema: str, period: str) -> int:
    return zlib.crc32(f"{schema}:commissions:{period}".encode()) - 2**31


def branch_period(schema: str, *periods: str) -> None:
    """Transaction-scoped advisory locks on branch-periods: one recompute/close at a time each."""
    with connection.cursor() as cur:
        for period in sorted(set(periods)):
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_NAMESPACE, branch_period_key(schema, period)])
