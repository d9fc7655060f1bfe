"""The branch schema reaches PostgreSQL once per connection and schema (TENANT_LIMIT_SET_CALLS),
and is sent again wherever PostgreSQL may have dropped it: a ROLLBACK or a ROLLBACK TO SAVEPOINT
undoes a `SET` made inside it, so a query after one must not run on the path from before.

Each test uses a connection of its own, outside the test's transaction, so that a real ROLLBACK
can happen; the schemas named need not exist (the path is what is checked)."""
from __future__ import annotations

import pytest
from django.db import DatabaseError, connections, transaction
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


ALIAS = "search_path_test"


@pytest.fixture
def conn():
    wrapper = connections.create_connection("default")
    connections[ALIAS] = wrapper  # so that atomic(using=ALIAS) runs on it
    yield wrapper
    wrapper.close()
    del connections[ALIAS]


def path(conn) -> str:
    with conn.cursor() as cur:
        cur.execute("SELECT current_setting('search_path')")
        return cur.fetchone()[0]


def sets(ctx) -> int:
    return sum(q["sql"].startswith("SET search_path") for q in ctx.captured_queries)


def test_the_path_is_sent_once_per_schema_not_before_every_query(conn):
    conn.set_schema("br_path_one")
    with CaptureQueriesContext(conn) as ctx:
        for _ in range(3):
            assert path(conn) == "br_path_one, public"
    assert sets(ctx) == 1
    conn.set_schema("br_path_two")
    with CaptureQueriesContext(conn) as ctx:
        assert path(conn) == "br_path_two, public"
        assert path(conn) == "br_path_two, public"
        conn.set_schema_to_public()
        assert path(conn) == "public"
    assert sets(ctx) == 2


def test_a_rollback_that_undid_the_set_sends_it_again(conn):
    conn.set_schema_to_public()
    assert path(conn) == "public"  # committed (autocommit): the session's path
    conn.set_autocommit(False)
    conn.set_schema("br_path_rolled")
    assert path(conn) == "br_path_rolled, public"  # SET inside the transaction
    conn.rollback()  # PostgreSQL is back on "public"; the schema chosen is still br_path_rolled
    assert path(conn) == "br_path_rolled, public"
    conn.commit()


def test_a_rollback_to_a_savepoint_that_undid_the_set_sends_it_again(conn):
    conn.set_autocommit(False)
    conn.set_schema("br_path_outer")
    assert path(conn) == "br_path_outer, public"
    sid = conn.savepoint()
    conn.set_schema("br_path_inner")
    assert path(conn) == "br_path_inner, public"  # SET after the savepoint
    conn.savepoint_rollback(sid)  # PostgreSQL is back on br_path_outer
    assert path(conn) == "br_path_inner, public"
    conn.rollback()


def test_a_failed_statement_then_rollback_keeps_the_schema(conn):
    conn.set_autocommit(False)
    conn.set_schema("br_path_failed")
    assert path(conn) == "br_path_failed, public"
    with pytest.raises(Exception), conn.cursor() as cur:
        cur.execute("SELECT 1/0")
    conn.rollback()
    assert path(conn) == "br_path_failed, public"
    conn.commit()


def test_a_commit_that_postgresql_turns_into_a_rollback_sends_it_again(conn):
    """A failed statement caught inside atomic() with no savepoint of its own: atomic() exits
    normally and sends COMMIT, which PostgreSQL carries out as a ROLLBACK, with no error — the
    SET made in the transaction is gone (hrsaas/core/postgres)."""
    conn.set_schema("br_path_earlier")  # an earlier request on this persistent connection
    assert path(conn) == "br_path_earlier, public"  # committed: the session's path
    conn.set_schema("br_path_next")  # the next request's branch
    with transaction.atomic(using=ALIAS):
        assert path(conn) == "br_path_next, public"  # SET inside the transaction
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1/0")
        except DatabaseError:
            pass
    assert path(conn) == "br_path_next, public"
