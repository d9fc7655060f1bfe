"""django-tenants' backend, which sends `SET search_path` once per connection and schema
(TENANT_LIMIT_SET_CALLS) and forgets it on ROLLBACK, ROLLBACK TO SAVEPOINT, a schema switch and
a closed connection: every way PostgreSQL can drop a SET it reports. One it does not: a COMMIT of
a transaction already aborted (a failed statement caught inside `atomic()` with no savepoint of
its own) is carried out by PostgreSQL as a ROLLBACK, without an error, and undoes a SET made in
that transaction; the next queries would run on the path from before — another branch's schema.
tests/platform/test_search_path.py holds every case."""
from __future__ import annotations

from psycopg2.extensions import TRANSACTION_STATUS_INERROR

from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper


class DatabaseWrapper(TenantDatabaseWrapper):
    def _commit(self):
        if self.connection is not None and self.connection.info.transaction_status == TRANSACTION_STATUS_INERROR:
            self.search_path_set_schemas = None  # this COMMIT is a ROLLBACK
        return super()._commit()
