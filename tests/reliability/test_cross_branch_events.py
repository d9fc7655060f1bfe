"""Every event arrives: openings and sales recorded in one branch for another branch's specialist
(跨区域支援) and in their own branch, while both branches' recomputes run at the same time in a
real worker with several processes. After each round, once the worker is idle, every statement
line of both branches equals what a from-scratch recompute wants (`lines_select`, the recompute's
own SQL, read without writing).

`CROSS_BRANCH_ROUNDS` sets the number of rounds (default 100, a few minutes here; e.g. 2000 for a
long soak)."""
from __future__ import annotations

import os
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.factories import make_user

pytestmark = pytest.mark.worker

ROUNDS = int(os.environ.get("CROSS_BRANCH_ROUNDS", "100"))
SETTLE_SECONDS = float(os.environ.get("CROSS_BRANCH_SETTLE_SECONDS", "40"))


def _wanted_and_stored(branch, period: str) -> tuple[set, set, int]:
    """(lines a from-scratch recompute wants, regular lines stored, markers pending) of a branch."""
    from commissions import services
    from commissions.engine import BranchRef
    from commissions.sql import lines_select

    with schema_context(branch.schema_name), connection.cursor() as cur:
        select = lines_select(period=period, home=BranchRef(branch.id, branch.code),
                              sources=services.source_branches(), rules=services.rulebook_load())
        cur.execute(f"SELECT earner_id, source, component, amount::text FROM ({select}) w")
        wanted = set(cur.fetchall())
        cur.execute("SELECT earner_id, source, component, amount::text FROM commissions_statementline "
                    "WHERE period = %s AND corrects IS NULL", [period])
        stored = set(cur.fetchall())
        cur.execute("SELECT count(*) FROM commissions_recomputemarker")
        markers = cur.fetchone()[0]
    return wanted, stored, markers


def _settled(branches, period: str, timeout: float) -> dict:
    """Wait until no marker is pending in either branch and stored == wanted; else the difference."""
    deadline = time.monotonic() + timeout
    while True:
        state = {b.code: _wanted_and_stored(b, period) for b in branches}
        if all(markers == 0 and wanted == stored for wanted, stored, markers in state.values()):
            return {}
        if time.monotonic() > deadline:
            return {code: {"missing": sorted(w - s), "stale": sorted(s - w), "markers": m}
                    for code, (w, s, m) in state.items()}
        time.sleep(0.05)


def test_every_event_reaches_its_statement_under_concurrent_recomputes(
        committed_branch, second_committed_branch, celery_prefork_worker):
    from clients import services as clients
    from commissions import services

    bj, sh = committed_branch, second_committed_branch
    staff_bj = make_user(f"{bj.code}_staff", (bj.code, "branch_staff"), home=bj.code)
    staff_sh = make_user(f"{sh.code}_staff", (sh.code, "branch_staff"), home=sh.code)
    beijing_specialist = make_user(f"{bj.code}_s1", (bj.code, "specialist"), (sh.code, "specialist"), home=bj.code)
    shanghai_specialist = make_user(f"{sh.code}_s1", (sh.code, "specialist"), home=sh.code)
    today = timezone.localdate()
    period = today.strftime("%Y-%m")
    errors: list[str] = []

    def in_branch(branch, fn):
        try:
            with schema_context(branch.schema_name):
                fn()
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(repr(exc))
        finally:
            connection.close()

    def open_client(branch, staff, opener, name):
        return lambda: clients.client_create(actor=staff, data=clients.ClientInput(
            name=name, headcount=80, opened_on=today, opened_by=opener, services=["social_insurance"]))

    checked = 0
    for n in range(ROUNDS):
        # A round: recomputes of both branches requested while a Shanghai client is opened by the
        # Beijing specialist (its line belongs on Beijing's statement), a Shanghai client by a
        # Shanghai specialist and a Beijing client by the Beijing specialist; then both branches'
        # recomputes requested again, as a manager would after saving.
        start = threading.Barrier(5)
        jobs = [
            (sh, open_client(sh, staff_sh, beijing_specialist, f"跨区客户{n}")),
            (sh, open_client(sh, staff_sh, shanghai_specialist, f"上海客户{n}")),
            (bj, open_client(bj, staff_bj, beijing_specialist, f"北京客户{n}")),
            (bj, lambda: services.recompute_request(actor=staff_bj, period=period)),
            (sh, lambda: services.recompute_request(actor=staff_sh, period=period)),
        ]
        threads = [threading.Thread(target=in_branch, args=(branch, (lambda f=fn: (start.wait(), f()))))
                   for branch, fn in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        for branch, staff in ((bj, staff_bj), (sh, staff_sh)):
            in_branch(branch, lambda s=staff: services.recompute_request(actor=s, period=period))
        assert errors == []
        difference = _settled([bj, sh], period, SETTLE_SECONDS)
        assert difference == {}, f"round {n}: statements differ from a from-scratch recompute: {difference}"
        checked += 1

    assert checked == ROUNDS
    wanted_bj, stored_bj, _ = _wanted_and_stored(bj, period)
    wanted_sh, stored_sh, _ = _wanted_and_stored(sh, period)
    # Beijing's statement holds the Beijing specialist's openings in both branches; Shanghai's only
    # its own specialist's: every client made one line, none twice.
    assert len(stored_bj) == 2 * ROUNDS and len(stored_sh) == ROUNDS
    assert {s.split(":")[0] for _e, s, _c, _a in stored_bj} == {bj.code, sh.code}
