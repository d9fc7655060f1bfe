"""Reads that must agree with each other: one snapshot of the database for all their statements.

A read made of several statements (a plan's replay: the rules, which branches give a branch
lines, then a statement per branch) sees, in READ COMMITTED, each statement's own moment: a
commit in between (a person moved to another branch, a new sale) can be half in the result. In
one REPEATABLE READ transaction every statement sees the database as of the first one. Read-only
callers only: a write in it could fail on a concurrent update, which these reads never make."""
from __future__ import annotations

import functools

from django.db import connection, transaction


def one_snapshot(func):
    """Run `func` in a REPEATABLE READ transaction of its own; inside a transaction already (a
    test's, or a caller's), in that one — its isolation cannot change once it has read."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if connection.in_atomic_block:
            return func(*args, **kwargs)
        with transaction.atomic():
            with connection.cursor() as cur:  # before the transaction's first read
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return func(*args, **kwargs)

    return wrapper
