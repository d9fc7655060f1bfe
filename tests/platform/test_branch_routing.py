"""The branch of a `/b/<code>/` URL inside a transaction (branches/middleware.py: `_in_transaction`):
read once per transaction, read again after a branch or a route is saved, never carried into
another transaction."""
from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from branches import middleware
from tests.factories import make_user


def _branch_reads(queries) -> int:
    """The routing's reads: a URL's code looked up among the branches' routes."""
    return sum(1 for q in queries if 'FROM "branches_domain"' in q["sql"])


@pytest.mark.django_db
def test_a_branch_is_read_once_per_transaction_and_again_after_it_is_saved(client, branches):
    manager = make_user("route_mgr", ("bj", "branch_manager"), home="bj")
    client.force_login(manager)
    with CaptureQueriesContext(connection) as first:
        assert client.get("/b/bj/clients/").status_code == 200
    with CaptureQueriesContext(connection) as second:
        response = client.get("/b/bj/clients/")
    assert response.status_code == 200
    assert _branch_reads(first.captured_queries) >= 1
    assert _branch_reads(second.captured_queries) == 0
    assert response.wsgi_request.tenant.name == branches["bj"].name

    branch = branches["bj"]
    branch.name = "北京二部"
    branch.save()
    with CaptureQueriesContext(connection) as third:
        response = client.get("/b/bj/clients/")
    assert _branch_reads(third.captured_queries) >= 1
    assert response.wsgi_request.tenant.name == "北京二部"
    # Each request is given its own copy: what one request sets on its branch, the next never sees.
    response.wsgi_request.tenant.name = "改过"
    assert client.get("/b/bj/clients/").wsgi_request.tenant.name == "北京二部"


@pytest.fixture
def loads(django_db_setup, django_db_blocker):
    """Each call of `loads.load` counted: a branch read from the database, as the routing would."""
    class Loads(list):
        def load(self):
            self.append(1)
            return object()

    with django_db_blocker.unblock():
        connection.ensure_connection()
        yield Loads()


def test_copies_never_outlive_their_transaction(loads):
    load = loads.load
    assert middleware._in_transaction("x", load) is not middleware._in_transaction("x", load)
    assert len(loads) == 2  # outside a transaction: never kept

    with transaction.atomic():
        middleware._in_transaction("x", load)
        middleware._in_transaction("x", load)
        assert len(loads) == 3
    with transaction.atomic():  # the next transaction, after a commit
        middleware._in_transaction("x", load)
        assert len(loads) == 4
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        middleware._in_transaction("x", load)
        assert len(loads) == 5
        1 / 0
    with transaction.atomic():  # after a rollback
        middleware._in_transaction("x", load)
        assert len(loads) == 6
        with pytest.raises(ZeroDivisionError), transaction.atomic():  # a savepoint rolled back
            1 / 0
        middleware._in_transaction("x", load)
        assert len(loads) == 7
        middleware._in_transaction("y", load)
        assert len(loads) == 8
        middleware._in_transaction("y", load)
        assert len(loads) == 8


def test_nothing_is_kept_in_manual_transaction_mode(loads):
    # With autocommit off the caller commits, and Django keeps its list of hooks across that
    # commit: a copy would outlive the transaction it was read in.
    load = loads.load
    connection.set_autocommit(False)
    try:
        with transaction.atomic():
            middleware._in_transaction("x", load)
        connection.commit()
        with transaction.atomic():
            middleware._in_transaction("x", load)
        assert len(loads) == 2
    finally:
        connection.rollback()
        connection.set_autocommit(True)
