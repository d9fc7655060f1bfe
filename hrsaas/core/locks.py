"""The advisory-lock registry: one namespace per lock, one order to take them in.

PostgreSQL's `pg_advisory_xact_lock(int, int)` is one key space for the whole database; each
kind of lock below owns its first key (the namespace), so two apps can never wait on each
other's lock by accident (the performance app's bonus-rule lock once shared 7301 with the
social-insurance identity registry). The second key is a 32-bit hash of the lock's name, which
carries the schema where the lock is per branch, so two branches never wait for each other.

Order when one transaction takes several: by `ORDER` (HQ rules → a branch's adjustments → a
branch's periods in ascending order → the identity registry); `take()` sorts for the caller.
Row locks (`select_for_update`) stay in each app's `lock_objects.py`.
"""
from __future__ import annotations

import enum
import zlib

from django.db import connection


class Lock(enum.IntEnum):
    USERNAMES = 7101               # a new person's sign-in name, in any case (public)
    CLIENT_KEYS = 7204             # one branch's 开户 duplicate check (统一社会信用代码 / name)
    RULES_COMPONENT = 7203         # HQ rule versions of one component (public)
    ADJUSTMENTS_COMPONENT = 7202   # one branch's float adjustments of one component
    COMMISSION_PERIOD = 7201       # one branch-period: recompute / close / correction
    PERFORMANCE_BONUS_RULE = 7401  # the bonus rules of a branch (new rules and versions)
    PERFORMANCE_DEPARTMENTS = 7402  # the departments of a branch (a new one's name and generated code)
    SI_CLIENT_MONEY = 7302         # one client's fee-statement money in a branch: late fees (滞纳金) posted
    SI_IDENTITY_REGISTRY = 7301    # the company-wide identity registry (taken in social_insurance/sql.py)
    SI_MONTH_COMPUTES = 7303       # held shared by every running month compute, to count them (never exclusive)
    PORTAL_UPLOADS = 7501          # one person's stored photos and attachments in a branch (the day's quota)
    PAYMENT_IDENTITY = 7601        # one ID number among the payees' payment data (public: one payee per 身份证号)


ORDER = (Lock.USERNAMES, Lock.CLIENT_KEYS, Lock.RULES_COMPONENT, Lock.ADJUSTMENTS_COMPONENT, Lock.COMMISSION_PERIOD,
         Lock.PERFORMANCE_BONUS_RULE, Lock.PERFORMANCE_DEPARTMENTS, Lock.SI_CLIENT_MONEY, Lock.SI_IDENTITY_REGISTRY,
         Lock.PORTAL_UPLOADS, Lock.PAYMENT_IDENTITY, Lock.SI_MONTH_COMPUTES)
assert len({int(n) for n in Lock}) == len(Lock), "one namespace per lock"


def key(name: str) -> int:
    """The second key: a signed 32-bit hash of the lock's name."""
    return zlib.crc32(name.encode()) - 2**31


def take(*locks: tuple[Lock, str]) -> None:
    """Transaction-scoped locks on (namespace, name) pairs, in the registry's order (names
    ascending within a namespace); repeated pairs are taken once."""
    ordered = sorted(set(locks), key=lambda item: (ORDER.index(item[0]), item[1]))
    with connection.cursor() as cur:
        for namespace, name in ordered:
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [int(namespace), key(name)])


def others_holding_shared(namespace: Lock) -> int:
    """Take `namespace`'s shared lock (never waits: nobody takes it exclusively) and count the
    other sessions of this database holding it — how many others are doing the same job now."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock_shared(%s, 0)", [int(namespace)])
        cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = 0 "
                    "AND objsubid = 2 AND granted AND pid <> pg_backend_pid() "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                    [int(namespace)])
        return cur.fetchone()[0]
