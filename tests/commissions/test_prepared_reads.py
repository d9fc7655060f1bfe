"""Issue #25: statements and boards served from bodies prepared when a recompute commits.

Correct before fast: a read right after a recompute (through a real worker) is new; a prepared
body is never served to someone the role checks refuse; a revoked token is refused at once; a
slow reader's stale body can never overwrite a fresh one. Committed data (no test transaction):
inside a transaction the prepared store is bypassed by design."""
from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tests.factories import make_user
from hrsaas.core.formatting import format_period

PERIOD = "2025-07"


def _client_for(user) -> APIClient:
    from branches.models import ApiToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.objects.create(user=user).key}")
    return client


def _sale(schema: str, seller, amount: str, *, name: str = "客户甲"):
    from clients.models import Client
    from commissions.models import Sale

    with schema_context(schema):
        client = Client.objects.create(name=name, headcount=30, opened_on="2025-01-03", opened_by=seller,
                                       services=["social_insurance"])
        return Sale.objects.create(client=client, client_opened_on=client.opened_on, service="social_insurance",
                                   period=PERIOD, amount=amount, seller=seller)


def _two_sellers(branch):
    """Two specialists of the branch with one sale each (100,000.00 and 50,000.00) in PERIOD."""
    code, schema = branch.code, branch.schema_name
    one = make_user(f"{code}_s1", (code, "specialist"), home=code)
    two = make_user(f"{code}_s2", (code, "specialist"), home=code)
    _sale(schema, one, "100000.00")
    _sale(schema, two, "50000.00", name="客户乙")
    return one, two


def _statements_rendered(monkeypatch) -> list:
    """The people whose statements this process renders for preparing from now on (the real
    renderer still runs), one list per call."""
    from commissions import selectors

    rendered, original = [], selectors.statements_of
    monkeypatch.setattr(selectors, "statements_of",
                        lambda branch, period, earner_ids, **k: (rendered.append(sorted(earner_ids)),
                                                                  original(branch, period, earner_ids, **k))[1])
    return rendered


@pytest.mark.worker
def test_statement_read_right_after_a_worker_recompute_is_new(committed_branch, celery_worker_process):
    from hrsaas.celery import app

    code, schema = committed_branch.code, committed_branch.schema_name
    staff = make_user(f"{code}_staff", (code, "branch_staff"), home=code)
    specialist = make_user(f"{code}_s1", (code, "specialist"), home=code)
    me, office = _client_for(specialist), _client_for(staff)
    url = f"/b/{code}/api/v1/statements/{specialist.username}/{PERIOD}/"
    board = f"/b/{code}/api/v1/leaderboards/?period={PERIOD}&metric=sales"

    _sale(schema, specialist, "100000.00")
    r = office.post(f"/b/{code}/api/v1/recompute/", {"period": PERIOD}, format="json")
    app.AsyncResult(r.json()["task_id"]).get(timeout=60)
    first = me.get(url)
    assert first.status_code == 200 and first.json()["total"] == "2000.00", first.content

    # Prepared: the same read again costs no query at all (token, roles, branch, body).
    with CaptureQueriesContext(connection) as queries:
        again = me.get(url)
        board_again = me.get(board)
    assert again.content == first.content and board_again.status_code == 200
    assert len(queries) == 0, [q["sql"] for q in queries]
    assert board_again.json()["rows"] == [{"rank": 1, "username": specialist.username, "value": "100000.00",
                                           "gap_to_previous": None}]

    # A new sale, a recompute through the worker: the very first read after the task is new.
    _sale(schema, specialist, "50000.00", name="客户乙")
    r = office.post(f"/b/{code}/api/v1/recompute/", {"period": PERIOD}, format="json")
    app.AsyncResult(r.json()["task_id"]).get(timeout=60)
    after = me.get(url)
    assert after.json()["total"] == "3000.00"
    assert len(after.json()["lines"]) == 2
    assert me.get(board).json()["rows"][0]["value"] == "150000.00"
    assert me.get(f"/api/v1/leaderboards/?period={PERIOD}&metric=sales").json()["rows"] == [
        {"rank": 1, "username": specialist.username, "value": "150000.00", "gap_to_previous": None}]

    # Byte for byte what the uncached path answers (the same reads inside a transaction).
    prepared_board = me.get(board).content
    with transaction.atomic():
        assert me.get(url).content == after.content
        assert me.get(board).content == prepared_board

    # The period closed: the status shown changes at once; a client renamed: its words too.
    manager = make_user(f"{code}_mgr", (code, "branch_manager"), home=code)
    assert _client_for(manager).post(f"/b/{code}/api/v1/periods/{PERIOD}/close/").status_code == 200
    assert me.get(url).json()["status"] == "closed"
    from clients.models import Client

    with schema_context(schema):
        c = Client.objects.get(name="客户乙")
        c.name = "客户丙"
        c.save()
    assert "客户丙" in me.get(url).content.decode()


def test_prepared_bodies_never_pass_the_role_checks(committed_branch, second_committed_branch):
    from commissions import services

    code, schema = committed_branch.code, committed_branch.schema_name
    manager = make_user(f"{code}_mgr", (code, "branch_manager"), home=code)
    specialist = make_user(f"{code}_s1", (code, "specialist"), home=code)
    colleague = make_user(f"{code}_s2", (code, "specialist"), home=code)
    contact = make_user(f"{code}_c", (code, "client_contact"), home=code)
    other_code = second_committed_branch.code
    outsider = make_user(f"{other_code}_mgr", (other_code, "branch_manager"), home=other_code)
    _sale(schema, specialist, "100000.00")
    with schema_context(schema):
        services.recompute_period(period=PERIOD)  # prepares the statement and the boards

    url = f"/b/{code}/api/v1/statements/{specialist.username}/{PERIOD}/"
    boss = _client_for(manager)
    assert boss.get(url).json()["total"] == "2000.00"
    assert boss.get(f"/b/{code}/api/v1/leaderboards/?period={PERIOD}&metric=commission").status_code == 200
    assert _client_for(specialist).get(url).status_code == 200
    assert _client_for(colleague).get(url).status_code == 404  # not theirs: as if missing
    assert _client_for(contact).get(url).status_code == 403  # an outsider's role
    assert _client_for(contact).get(f"/b/{code}/api/v1/leaderboards/?period={PERIOD}&metric=sales").status_code == 403
    assert _client_for(outsider).get(url).status_code == 404  # another branch's manager
    # Commission amounts stay with managers and HQ, prepared or not.
    assert _client_for(specialist).get(
        f"/b/{code}/api/v1/leaderboards/?period={PERIOD}&metric=commission").status_code == 403
    assert _client_for(specialist).get(f"/api/v1/leaderboards/?period={PERIOD}&metric=commission").status_code == 403
    # Each caller's own "me" sentence on the same prepared board.
    board = f"/b/{code}/api/v1/leaderboards/?period={PERIOD}&metric=sales"
    assert _client_for(specialist).get(board).json()["me"] == "您当前月排名第1位"
    assert _client_for(colleague).get(board).json()["me"] is None


def test_token_revocation_and_role_changes_take_effect_at_once(committed_branch):
    from branches.models import BranchMembership

    code = committed_branch.code
    specialist = make_user(f"{code}_s1", (code, "specialist"), home=code)
    url = f"/b/{code}/api/v1/statements/{specialist.username}/{PERIOD}/"
    me = _client_for(specialist)
    assert me.get(url).status_code == 200
    assert me.get(url).status_code == 200  # now from the prepared token entry
    assert me.post("/api/v1/auth/token/revoke/", {}, format="json").status_code == 200
    assert me.get(url).status_code == 401

    again = _client_for(specialist)
    assert again.get(url).status_code == 200
    BranchMembership.objects.filter(user=specialist).delete()
    assert again.get(url).status_code == 404  # no longer in the branch

    BranchMembership.objects.create(user=specialist, branch=committed_branch, role="specialist")
    assert again.get(url).status_code == 200
    specialist.is_active = False
    specialist.save()
    assert again.get(url).status_code == 401


def test_a_stale_fill_never_overwrites_a_fresh_body(django_db_setup, django_db_blocker):
    """The race of a reader computing a body while a recompute commits."""
    import uuid

    from hrsaas.core import prepared

    with django_db_blocker.unblock():
        _race(prepared, f"test-{uuid.uuid4().hex}")


def test_generations_never_repeat_after_redis_is_emptied(django_db_setup, django_db_blocker):
    """Processes keep branch rows and boards in memory tagged with generations. Redis restarted
    empty (or flushed) once counted them from 0 again, so after as many changes a process's old
    copy matched again and was served (a removed branch answered from memory, an old board).
    Generations never seen start from Redis' clock instead, through every reader and writer."""
    import uuid

    from hrsaas.core import prepared

    with django_db_blocker.unblock():
        scope = f"test-{uuid.uuid4().hex}"
        key = prepared.body_key("test", scope)
        seen = {prepared.generation(scope)}
        prepared._bump([scope], None)
        seen.add(prepared.generation(scope))
        seen.add(prepared.read([scope], key)[1].tag)
        prepared._redis().flushdb()
        after = [prepared.read([scope], key)[1].tag, prepared.generation(scope)]
        prepared._bump([scope], None)
        after.append(prepared.generation(scope))
        prepared._redis().flushdb()
        prepared._bump([scope], None)  # a writer first
        after.append(prepared.generation(scope))
        prepared._redis().flushdb()
        ticket = prepared.read_many([([scope], key, "")])[0][0][1]  # a token's round trip first
        after.append(ticket.tag)
    assert len(seen) == 2 and not seen & set(after), (seen, after)
    assert after[0] == after[1] and after[2] != after[1]


def test_a_held_copy_is_answered_unchanged_only_while_it_is_current(django_db_setup, django_db_blocker):
    """A process that holds a body names its tag; Redis answers "=" (the body neither copied
    nor sent) only while that tag is current, no writer is in flight and the stored body is of
    that tag. Every other case answers as a read without a copy would."""
    import time
    import uuid

    from hrsaas.core import prepared

    with django_db_blocker.unblock():
        name = f"test-{uuid.uuid4().hex}"
        scopes, key = [f"e:{name}:{PERIOD}:1", f"p:{name}:{PERIOD}"], prepared.body_key("test", name)
        held = prepared.Held(10_000)
        assert prepared.read_held(held, scopes, key)[0] is None  # nothing stored, nothing held
        _body, ticket = prepared.read(scopes, key)
        assert prepared.fill(ticket, b"v1")
        body, ticket = prepared.read_held(held, scopes, key)
        assert body == b"v1"
        held.keep(key, ticket, body)
        assert prepared.read(scopes, key, known_tag=ticket.tag)[0] == b"="  # the copy is current
        assert prepared.read_held(held, scopes, key)[0] == b"v1"

        with transaction.atomic():  # a writer in flight: no "=", no body
            prepared.changing(scopes[1:])
            during = prepared.read(scopes, key, known_tag=ticket.tag)
            assert during[0] is None and during[1].busy
        # committed: the copy's tag is old, so the stored body (none of the new tag) is not served
        assert prepared.read_held(held, scopes, key)[0] is None
        _body, fresh = prepared.read(scopes, key)
        assert prepared.fill(fresh, b"v2")
        assert prepared.read(scopes, key, known_tag=ticket.tag)[0] == b"v2"  # sent whole
        assert prepared.read_held(held, scopes, key)[0] == b"v2"

        # A writer's mark past its time (a rolled-back transaction's) no longer makes reads busy,
        # while one still in its time does.
        mark = "w|" + prepared._gen_key(scopes[0])
        prepared._redis().zadd(mark, {"rolled-back": time.time() - 1})
        assert not prepared.read(scopes, key)[1].busy
        prepared._redis().zadd(mark, {"in-flight": time.time() + 60})
        assert prepared.read(scopes, key)[1].busy
        prepared._redis().delete(mark)


def test_held_bodies_stay_within_their_bytes():
    """A process's copies stay within `limit` bytes of memory, counted with their keys, tags and
    the cost of holding them (a month with no lines is a 120-byte statement; counting bodies
    alone held five times the limit), least recently read dropped first."""
    import tracemalloc

    from hrsaas.core import prepared

    limit = 2_000_000
    tag = ",".join(str(1_765_000_000_000_000 + i) for i in range(5))
    tracemalloc.start()
    try:
        held = prepared.Held(limit)
        for i in range(40_000):
            key = f"prep:test_hrsaas.16384:b:stmt:br_beijing:{2000 + i % 100}-{i % 12 + 1:02d}:{i}:zh"
            body = (b'{"username":"bj_s%d","display_name":"bj_s","period":"2025-07","status":"open",'
                    b'"total":"0.00","lines":[]}' % i)
            held.keep(key, prepared.Ticket([], key, tag[:-1] + str(i % 10), False), body)
        used = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held._size <= limit and used <= 1.5 * limit, (held._size, used, len(held._items))
    last = f"prep:test_hrsaas.16384:b:stmt:br_beijing:{2000 + 39_999 % 100}-{39_999 % 12 + 1:02d}:39999:zh"
    assert held.body(last, tag[:-1] + "9") is not None  # the latest kept, the earliest dropped
    assert not held.tag("prep:test_hrsaas.16384:b:stmt:br_beijing:2000-01:0:zh")

    ticket = prepared.Ticket(["s"], "k", "1", False)
    small = prepared.Held(16_000)
    small.keep("big", ticket, bytes(1_000))  # over a sixteenth of the limit: not kept
    assert small.tag("big") == ""
    small.keep("busy", prepared.Ticket(["s"], "busy", "1", True), b"x")  # read while a writer was in flight
    assert small.tag("busy") == ""
    small.keep("k", ticket, b"x")
    assert small.body("k", "2") is None and small.body("k", "1") == b"x"  # another tag: not this copy
    small.keep("k", ticket, b"yy")  # kept again: counted once
    assert small._size == len(b"yy") + len("k") + len("1") + prepared.Held.ENTRY_BYTES


def test_held_copies_are_safe_between_threads():
    """A threaded web server shares one process' held copies: eight threads keeping and reading
    the same keys, switched as often as the interpreter allows, raise nothing and leave the
    byte count equal to what is held and within the limit (unlocked, both went wrong)."""
    import random
    import sys
    import threading

    from hrsaas.core import prepared

    held, errors = prepared.Held(20_000), []

    def work(seed):
        rnd = random.Random(seed)
        try:
            for _ in range(5_000):
                key = f"k{rnd.randrange(200)}"
                ticket = prepared.Ticket([], key, f"t{rnd.randrange(3)}", False)
                held.keep(key, ticket, b"x" * rnd.randrange(10, 600))
                held.body(key, ticket.tag)
        except Exception as exc:  # noqa: BLE001 - any failure in a thread is the finding
            errors.append(repr(exc))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert held._items, "nothing was held: the test exercised nothing"
    assert held._size == sum(held._cost(key, *item) for key, item in held._items.items()) <= held.limit


def test_a_held_copy_is_not_served_after_redis_came_back_from_an_older_snapshot(django_db_setup, django_db_blocker):
    """Redis restarted from an older snapshot has its generations gone back: bumps go on from
    Redis' clock, so a tag a process holds a copy for is never handed out again for another body."""
    import uuid

    from hrsaas.core import prepared

    with django_db_blocker.unblock():
        name = f"test-{uuid.uuid4().hex}"
        scopes, key = [f"e:{name}:{PERIOD}:1", f"p:{name}:{PERIOD}"], prepared.body_key("test", name)
        r = prepared._redis()
        held = prepared.Held(10_000)
        _body, ticket = prepared.read(scopes, key)
        assert prepared.fill(ticket, b"v1")
        keys = [prepared._gen_key(s) for s in scopes] + [key]
        snapshot = {k: r.dump(k) for k in keys}  # Redis' last snapshot
        with transaction.atomic():
            prepared.changing(scopes[1:])
        body, ticket = prepared.read_held(held, scopes, key)
        assert body is None
        assert prepared.fill(ticket, b"v2")
        body, ticket = prepared.read_held(held, scopes, key)
        assert body == b"v2"
        held.keep(key, ticket, body)
        for k, v in snapshot.items():  # a crash, and a restart from the snapshot
            r.restore(k, 0, v, replace=True)
        with transaction.atomic():
            prepared.changing(scopes[1:])
        _body, other = prepared.read(scopes, key)  # another process prepares the new body
        assert prepared.fill(other, b"v3")
        assert prepared.read_held(held, scopes, key)[0] == b"v3"


def test_a_period_the_views_refuse_leaves_nothing_in_redis(committed_branch):
    """The round trip's guess of the body a request asks for names generation keys, which the
    read script creates: a refused period (13th month, year out of range) must create none."""
    from hrsaas.core import prepared

    code = committed_branch.code
    specialist = make_user(f"{code}_s1", (code, "specialist"), home=code)
    me = _client_for(specialist)
    assert me.get(f"/b/{code}/api/v1/statements/{specialist.username}/{PERIOD}/").status_code == 200
    for period in ("2026-13", "9999-01", "2026-00"):
        assert me.get(f"/b/{code}/api/v1/statements/{specialist.username}/{period}/").status_code == 400
        assert me.get(f"/b/{code}/api/v1/leaderboards/?period={period}&metric=sales").status_code == 400
        assert me.get(f"/api/v1/leaderboards/?period={period}&metric=sales").status_code == 400
        assert not list(prepared._redis().scan_iter(f"prep:{prepared.epoch()}:*{period}*")), period
    assert list(prepared._redis().scan_iter(f"prep:{prepared.epoch()}:*{PERIOD}*"))  # (the pattern finds keys)


def test_requests_that_find_a_tokens_last_use_due_together_write_it_once(committed_branch):
    """A phone opening a page asks for several things at once; different processes serve them
    and each finds the token's last use more than a minute old. One of them writes it: the one
    that claims the write in Redis first (before, each of them wrote, one UPDATE and its commit
    per process)."""
    import datetime as dt

    from django.utils import timezone

    from branches import tokens
    from branches.models import ApiToken
    from hrsaas.core import prepared

    code = committed_branch.code
    specialist = make_user(f"{code}_s1", (code, "specialist"), home=code)
    me = _client_for(specialist)
    url = f"/b/{code}/api/v1/statements/{specialist.username}/{PERIOD}/"
    token = ApiToken.objects.get(user=specialist)
    old = timezone.now() - dt.timedelta(minutes=5)
    token.last_used_at = old
    token.save(update_fields=["last_used_at"])  # its prepared entry now says five minutes ago too

    def writes() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert me.get(url).status_code == 200
        found = [q["sql"] for q in queries.captured_queries if 'UPDATE "branches_apitoken"' in q["sql"]]
        # on its own, in autocommit: its commit does not wait for the disk
        assert all(sql.startswith("SET LOCAL synchronous_commit = off; UPDATE") for sql in found), found
        return len(found)

    # Another process found it due a moment ago and is writing it: this one leaves it, and does
    # not ask again within the minute (until the writer's entry reaches it, its requests keep
    # finding the last use due).
    claim = f"prep:{prepared.epoch()}:claim:touch:{token.digest}"
    assert prepared.claim(f"touch:{token.digest}", 59)
    assert writes() == 0
    prepared._redis().delete(claim)
    assert writes() == 0
    token.refresh_from_db()
    assert token.last_used_at == old
    # A minute later (the claim gone): the next request writes it, once.
    tokens._TOUCHED[token.digest] -= dt.timedelta(seconds=61)
    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit = on")  # (the test database's default is off)
    before = timezone.now()
    assert writes() == 1
    token.refresh_from_db()
    assert before <= token.last_used_at <= timezone.now()
    assert prepared._redis().exists(claim)
    with connection.cursor() as cur:  # its commit did not wait for the disk; nothing after it skips that
        cur.execute("SHOW synchronous_commit")
        assert cur.fetchone()[0] == "on"
    assert writes() == 0


def test_a_last_use_written_inside_a_transaction_keeps_that_transactions_settings(committed_branch):
    """Inside a caller's transaction (an atomic block, or autocommit turned off) the last use is
    written with it, and the transaction's other writes still wait for the disk."""
    from django.utils import timezone

    from branches import tokens
    from branches.models import ApiToken

    code = committed_branch.code
    specialist = make_user(f"{code}_s1", (code, "specialist"), home=code)
    ApiToken.objects.create(user=specialist)
    token = ApiToken.objects.select_related("user").get(user=specialist)
    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit = on")  # (the test database's default is off)

    def written_within(enter, leave) -> list[str]:
        enter()
        try:
            with CaptureQueriesContext(connection) as queries:
                at = timezone.now()
                tokens._write_last_use(token, at)
            with connection.cursor() as cur:
                cur.execute("SHOW synchronous_commit")
                assert cur.fetchone()[0] == "on"
        finally:
            leave()
        assert ApiToken.objects.get(pk=token.pk).last_used_at == at
        return [q["sql"] for q in queries.captured_queries]

    atomic = transaction.atomic()
    for sql in (written_within(atomic.__enter__, lambda: atomic.__exit__(None, None, None)),
                written_within(lambda: transaction.set_autocommit(False),
                               lambda: (transaction.commit(), transaction.set_autocommit(True)))):
        assert len(sql) == 1 and sql[0].startswith('UPDATE "branches_apitoken"'), sql


def _race(prepared, name: str):
    scopes, key = [f"e:{name}:{PERIOD}:1"], prepared.body_key("test", name)
    _body, slow = prepared.read(scopes, key)  # a reader starts: generations read, then the database…
    with transaction.atomic():
        prepared.changing(scopes)  # …a recompute of the same scope runs
        _body, during = prepared.read(scopes, key)
        assert during.busy and not prepared.fill(during, b"uncommitted")  # nothing stored while busy
    _body, fresh = prepared.read(scopes, key)  # after the commit
    assert prepared.fill(fresh, b"new")
    assert not prepared.fill(slow, b"old")  # the slow reader's body is refused
    assert prepared.read(scopes, key)[0] == b"new"
    with transaction.atomic():
        prepared.changing(scopes)
    assert prepared.read(scopes, key)[0] is None  # the next commit ends it


def test_the_light_path_answers_exactly_as_the_drf_view(committed_branch, second_committed_branch, monkeypatch):
    """Prepared GETs are answered without DRF's machinery (branches/prepared_api.py) only when
    every check passes; any other request is DRF's. For every caller and every URL, the answer
    (status, body, every header) equals DRF's own answer to the same request (`format=json`
    sends a request through DRF), and DRF ran exactly for the requests the light path left."""
    from rest_framework.views import APIView

    from branches.models import ApiToken
    from branches.tokens import tokens_revoke
    from commissions import services

    code, schema = committed_branch.code, committed_branch.schema_name
    other = second_committed_branch.code
    specialist = make_user(f"{code}_s1", (code, "specialist"), home=code)
    callers = {
        "specialist": specialist,
        "colleague": make_user(f"{code}_s2", (code, "specialist"), home=code),
        "manager": make_user(f"{code}_mgr", (code, "branch_manager"), home=code),
        "contact": make_user(f"{code}_c", (code, "client_contact"), home=code),
        "outsider": make_user(f"{other}_mgr", (other, "branch_manager"), home=other),
        "hq": make_user(f"{code}_hq", (None, "hq_admin")),
    }
    _sale(schema, specialist, "100000.00")
    with schema_context(schema):
        services.recompute_period(period=PERIOD)
    tokens = {name: ApiToken.objects.create(user=user).key for name, user in callers.items()}
    revoked = ApiToken.objects.create(user=specialist)
    tokens["revoked"] = revoked.key
    tokens_revoke(user=specialist, reason="test", token=revoked)
    tokens["unknown"] = "0" * 40

    statement = f"/b/{code}/api/v1/statements/{specialist.username}/{PERIOD}/"
    urls = [statement, statement.replace(PERIOD, "2025-13"), statement.replace(specialist.username, "nobody"),
            f"/b/{code}/api/v1/statements/{callers['colleague'].username}/{PERIOD}/",
            f"/b/{other}/api/v1/statements/{specialist.username}/{PERIOD}/",
            f"/b/no-such-branch/api/v1/statements/{specialist.username}/{PERIOD}/",
            *[f"/b/{code}/api/v1/leaderboards/?period={PERIOD}&metric={m}" for m in ("openings", "sales", "commission",
                                                                                     "bogus")],
            f"/b/{code}/api/v1/leaderboards/?period=2025-W30&metric=sales",
            f"/b/{code}/api/v1/leaderboards/?period=July&metric=sales",
            *[f"/api/v1/leaderboards/?period={PERIOD}&metric={m}" for m in ("openings", "sales", "commission")],
            f"/api/v1/leaderboards/?period=2025-W30&metric=sales"]
    drf_calls = []
    initial = APIView.initial
    monkeypatch.setattr(APIView, "initial", lambda self, *a, **k: (drf_calls.append(1), initial(self, *a, **k))[1])

    light = 0
    for name, key in tokens.items():
        for url in urls:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
            drf_calls.clear()
            answer = client.get(url)
            took_light = not drf_calls
            light += took_light
            drf_calls.clear()
            through_drf = client.get(url + ("&" if "?" in url else "?") + "format=json")
            assert drf_calls, url
            assert (answer.status_code, answer.content) == (through_drf.status_code, through_drf.content), (name, url)
            assert sorted(answer.items()) == sorted(through_drf.items()), (name, url)
            assert not took_light or answer.status_code == 200, (name, url)
    # The plain cases went the light way: each insider's own statement, the boards they may read.
    assert light >= 12, light
    # The browsable API and HEAD are always DRF's.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens['specialist']}")
    drf_calls.clear()
    assert client.get(statement, HTTP_ACCEPT="text/html").status_code == 200 and drf_calls
    drf_calls.clear()
    assert client.head(statement).status_code == 200 and drf_calls


def test_a_prepared_read_is_one_redis_round_trip(committed_branch, monkeypatch):
    """The token's entry, the branch routes' generation and the statement or board come in one
    round trip (`read_many`), for the specialist's own statement, the branch and company boards."""
    from commissions import services
    from hrsaas.core import prepared

    code, schema = committed_branch.code, committed_branch.schema_name
    specialist = make_user(f"{code}_s1", (code, "specialist"), home=code)
    _sale(schema, specialist, "100000.00")
    with schema_context(schema):
        services.recompute_period(period=PERIOD)
    me = _client_for(specialist)
    urls = [f"/b/{code}/api/v1/statements/{specialist.username}/{PERIOD}/",
            f"/b/{code}/api/v1/leaderboards/?period={PERIOD}&metric=sales",
            f"/api/v1/leaderboards/?period={PERIOD}&metric=sales"]
    first = [me.get(url) for url in urls]
    assert [r.status_code for r in first] == [200, 200, 200]
    trips = []
    for name in ("read", "read_many", "generation", "fill"):
        original = getattr(prepared, name)
        monkeypatch.setattr(prepared, name, lambda *a, _n=name, _f=original, **k: (trips.append(_n), _f(*a, **k))[1])
    for url, before in zip(urls, first):
        # A change committed meanwhile elsewhere in the database (another test's branch removed:
        # every body's `all` scope) makes one read a miss that reads and fills; the next one is
        # prepared again. A read path of two round trips fails every attempt.
        seen = []
        for _attempt in range(3):
            trips.clear()
            again = me.get(url)
            assert again.content == before.content
            seen.append(list(trips))
            if trips == ["read_many"]:
                break
        assert seen[-1] == ["read_many"], (url, seen)


def test_a_deleted_persons_board_rows_are_not_given_to_the_next_holder_of_the_username(committed_branch):
    """A person deleted (their lines stay: the earner is not a constraint) and their username
    given to someone new: the board computed now names the deleted person's lines by their id,
    and the newcomer has no "me" sentence. The prepared board must say the same, not credit the
    newcomer with the deleted person's sales and rank."""
    import json

    from branches.models import User
    from commissions import selectors, services
    from hrsaas.core.prepared import render_json

    code, schema = committed_branch.code, committed_branch.schema_name
    manager = make_user(f"{code}_mgr", (code, "branch_manager"), home=code)
    leaver = make_user(f"{code}_s1", (code, "specialist"), home=code)
    _sale(schema, leaver, "100000.00")
    with schema_context(schema):
        services.recompute_period(period=PERIOD)
    url = f"/b/{code}/api/v1/leaderboards/?period={PERIOD}&metric=sales"
    before = _client_for(manager).get(url)
    assert [r["username"] for r in before.json()["rows"]] == [leaver.username]

    leaver_id, username = leaver.pk, leaver.username
    User.objects.get(pk=leaver_id).delete()
    newcomer = make_user(username, (code, "specialist"), home=code)
    answer = _client_for(newcomer).get(url)
    with schema_context(schema):
        rows = json.loads(render_json(selectors.leaderboard(period=PERIOD, metric="sales")))
    assert [r["username"] for r in rows] == [str(leaver_id)]
    assert answer.status_code == 200
    assert answer.json()["rows"] == rows, answer.content
    assert answer.json()["me"] is None


def test_a_full_recompute_prepares_again_only_the_statements_it_changed(committed_branch, monkeypatch):
    """A scheduled full recompute that changes nothing re-renders no statement (their prepared
    bodies stay good: served with no query); one that changes one person's lines prepares that
    person's statement (new at once) and the boards, not everyone's."""
    from commissions import services

    code, schema = committed_branch.code, committed_branch.schema_name
    one, two = _two_sellers(committed_branch)
    with schema_context(schema):
        services.recompute_period(period=PERIOD)
    urls = {u: f"/b/{code}/api/v1/statements/{u.username}/{PERIOD}/" for u in (one, two)}
    clients = {u: _client_for(u) for u in (one, two)}
    first = {u: clients[u].get(url) for u, url in urls.items()}
    assert first[one].json()["total"] == "2000.00" and first[two].json()["total"] == "1000.00"

    prepared_for = _statements_rendered(monkeypatch)
    with schema_context(schema):
        services.recompute_period(period=PERIOD)  # nothing changed
    assert prepared_for == []
    with CaptureQueriesContext(connection) as queries:
        again = {u: clients[u].get(url) for u, url in urls.items()}
    assert {u: r.content for u, r in again.items()} == {u: r.content for u, r in first.items()}
    assert len(queries) == 0, [q["sql"] for q in queries]

    _sale(schema, one, "50000.00", name="客户丙")
    with schema_context(schema):
        services.recompute_period(period=PERIOD)
    assert prepared_for == [[one.pk]]
    assert clients[one].get(urls[one]).json()["total"] == "3000.00"
    assert clients[two].get(urls[two]).content == first[two].content
    board = clients[two].get(f"/b/{code}/api/v1/leaderboards/?period={PERIOD}&metric=sales").json()
    assert [(r["username"], r["value"]) for r in board["rows"]] == [(one.username, "150000.00"),
                                                                     (two.username, "50000.00")]


@pytest.mark.worker
def test_a_large_recompute_leaves_its_statements_to_tasks_and_they_are_prepared(committed_branch,
                                                                                 celery_worker_process, monkeypatch):
    """Statements holding more lines than PREPARE_INLINE_LINES are not rendered by the recompute
    itself (a branch-period's first load of a million lines spent minutes on it): the boards are
    prepared at once, the statements by tasks the worker runs; a read meanwhile is right anyway."""
    from commissions import prepared, services

    code, schema = committed_branch.code, committed_branch.schema_name
    one, two = _two_sellers(committed_branch)
    monkeypatch.setattr(prepared, "PREPARE_INLINE_LINES", 1)  # two lines: "large"
    rendered = _statements_rendered(monkeypatch)
    with schema_context(schema):
        services.recompute_period(period=PERIOD)
    assert rendered == []  # not in the recompute's process

    me = _client_for(one)
    with CaptureQueriesContext(connection) as queries:
        board = me.get(f"/b/{code}/api/v1/leaderboards/?period={PERIOD}&metric=sales")
    # Prepared (the first request of this process may still look its branch up).
    assert board.status_code == 200
    assert not [q for q in queries if "statementline" in q["sql"] or "rollup" in q["sql"]], queries.captured_queries
    url = f"/b/{code}/api/v1/statements/{one.username}/{PERIOD}/"
    assert me.get(url).json()["total"] == "2000.00"

    import time

    deadline = time.monotonic() + 30
    while True:  # the worker's task prepares both statements: then a read costs no query
        with CaptureQueriesContext(connection) as queries:
            answers = [me.get(url), _client_for(two).get(f"/b/{code}/api/v1/statements/{two.username}/{PERIOD}/")]
        if not [q for q in queries if "commissions_statementline" in q["sql"]]:
            break
        assert time.monotonic() < deadline, "statements never prepared by the worker"
        time.sleep(0.2)
    assert [a.json()["total"] for a in answers] == ["2000.00", "1000.00"]


def test_a_full_recompute_refreshes_the_people_its_consumed_markers_name(committed_branch):
    """A change a statement shows without any line changing (a client's opening taken from the
    cycle rewords its tier), with its marker naming the opener, then a full recompute (the
    schedule, a request, closing) consuming that marker before the drain: the statement served
    is the new one, as the database answers."""
    from clients.models import Client
    from commissions import services
    from commissions.models import RecomputeMarker

    code, schema = committed_branch.code, committed_branch.schema_name
    one = make_user(f"{code}_s1", (code, "specialist"), home=code)
    with schema_context(schema):
        client = Client.objects.create(name="客户甲", headcount=60, opened_on="2025-07-10", opened_by=one,
                                       services=["social_insurance"])
        services.recompute_period(period=PERIOD)
    url = f"/b/{code}/api/v1/statements/{one.username}/{PERIOD}/"
    me = _client_for(one)
    assert "员工60人" in me.get(url).json()["lines"][0]["explanation"]

    with schema_context(schema), transaction.atomic():  # written without signals, as filing may
        Client.objects.filter(pk=client.pk).update(opening_source="cycle", opening_period=PERIOD)
        RecomputeMarker.objects.create(period=PERIOD, earners=[one.pk])
    with schema_context(schema):
        services.recompute_period(period=PERIOD)
    served = me.get(url)
    with transaction.atomic():  # the database's answer (the prepared store is bypassed)
        fresh = me.get(url)
    assert f"首个申报月 {format_period(PERIOD)}" in served.json()["lines"][0]["explanation"]
    assert served.content == fresh.content


@pytest.mark.parametrize("args, message", [
    (("{schema}", "2025-13", "[one]", "zh"), "period must be YYYY-MM"),
    (("{schema}", None, "[one]", "zh"), "period must be YYYY-MM"),
    (("{schema}", PERIOD, "[one]", "fr"), "lang must be zh or en"),
    (("{schema}", PERIOD, "one", "zh"), "earner_ids must be a list"),
    (("{schema}", PERIOD, "['1; DROP TABLE x']", "zh"), "earner_ids must be a list"),
    (("{schema}", PERIOD, "[-1]", "zh"), "earner_ids must be a list"),
    ((None, PERIOD, "[one]", "zh"), "schema must be"),
    (("br_no_such_branch", PERIOD, "[one]", "zh"), "schema must be"),
])
def test_the_prepare_task_refuses_bad_arguments_and_stores_nothing(committed_branch, monkeypatch, args, message):
    """A prepare task with a bad argument (a schema that is no branch's too) is refused with a
    clear error before reading anything."""
    from commissions.tasks import prepare_statements_task

    one = make_user(f"{committed_branch.code}_s1", (committed_branch.code, "specialist"), home=committed_branch.code)
    values = {"{schema}": committed_branch.schema_name, "[one]": [one.pk], "one": one.pk,
              "['1; DROP TABLE x']": ["1; DROP TABLE x"], "[-1]": [-1]}
    rendered = _statements_rendered(monkeypatch)
    with pytest.raises(ValueError, match=message):
        prepare_statements_task(*[values.get(a, a) if isinstance(a, str) else a for a in args])
    assert rendered == []
