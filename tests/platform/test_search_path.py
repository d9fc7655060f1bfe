"""The branch schema reaches PostgreSQL once per connection and schema (TENANT_LIMIT_SET_CALLS),
and is sent again wherever PostgreSQL may have dropped it: a ROLLBACK or a ROLLBACK TO SAVEPOINT
undoes a `SET` made inside it, so a query after one must not run on the path from before.

Each test uses a connection of its own, outside the test's transaction, so that a real ROLLBACK
can happen; the schemas named need not exist (the path is what is checked)."""
from __future__ import annotations

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


@pytest.fixture
def conn():
    wrapper = connections.create_connection("default")
    yield wrapper
    wrapper.close()


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
