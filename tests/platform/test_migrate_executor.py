"""Each schema's `migrate` records, without working out their models, the migrations of the apps
the schema does not hold (branches/migrate_command.py): Django would have run their operations
as nothing there (the router refuses the app), so the schema ends the same — which the
catalogue comparison of tests/platform/test_branch_schema_template.py checks object by object."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import SeparateDatabaseAndState

from branches import schemas

pytestmark = pytest.mark.django_db

# Django's own operations (and django.contrib.postgres') each ask the router before touching
# the database; an operation of another kind might not, and would then have done something in a
# schema that does not hold its app. Such an operation must be looked at before it is skipped.
ROUTED = ("django.db.migrations.operations.", "django.contrib.postgres.operations")


def _database_operations(operations):
    for op in operations:
        if isinstance(op, SeparateDatabaseAndState):
            yield from _database_operations(op.database_operations)
        else:
            yield op


def test_every_migration_operation_asks_the_router_before_touching_the_database():
    kinds = {type(op) for migration in MigrationLoader(None).disk_migrations.values()
             for op in _database_operations(migration.operations)}
    assert not [k for k in kinds if not k.__module__.startswith(ROUTED)]
    # The check saw the kinds the project's migrations are made of.
    assert {"CreateModel", "AddField", "RunSQL", "RunPython"} <= {k.__name__ for k in kinds}


def _leaf(app: str) -> str:
    return next(name for label, name in MigrationLoader(None).graph.leaf_nodes() if label == app)


def _newest_adding_a_field(app: str) -> str:
    """The app's newest migration that adds a field (not necessarily its leaf: a later one may
    only create a model, e.g. performance's award history)."""
    graph = MigrationLoader(None).graph
    for label, name in reversed(graph.forwards_plan((app, _leaf(app)))):
        if label == app and any(op.__class__.__name__ == "AddField" for op in graph.nodes[(label, name)].operations):
            return name
    raise AssertionError(f"{app} has no migration adding a field")


def test_a_migration_of_an_app_the_schema_does_not_hold_is_recorded_and_creates_nothing():
    # The latest social-insurance migration (a branch app) as if public had not recorded it yet.
    leaf = _leaf("social_insurance")
    with connection.cursor() as cur:
        cur.execute("DELETE FROM public.django_migrations WHERE app = 'social_insurance' AND name = %s", [leaf])
    out = io.StringIO()
    call_command("migrate_schemas", shared=True, interactive=False, stdout=out, verbosity=1)
    connection.set_schema_to_public()

    assert f"Applying social_insurance.{leaf}... OK" in out.getvalue()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM public.django_migrations WHERE app = 'social_insurance' AND name = %s",
                    [leaf])
        assert cur.fetchone()[0] == 1
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'social_insurance%%'")
        assert cur.fetchone()[0] == 0
    assert schemas.template_is_current()



def test_a_faked_migrate_leaves_the_model_state_where_django_leaves_it():
    # `--fake` records without moving Django's model state; skipping would move it (a later
    # migration's state could then name a model the faked ones never added): Django's path.
    from branches.migrate_command import SchemaMigrationExecutor

    leaf = _newest_adding_a_field("performance")
    with connection.cursor() as cur:
        cur.execute("DELETE FROM public.django_migrations WHERE app = 'performance' AND name = %s", [leaf])
    executor = SchemaMigrationExecutor(connection)
    plan = executor.migration_plan([("performance", leaf)])
    assert [(m.app_label, m.name) for m, _ in plan] == [("performance", leaf)]
    # The migration adds a field (what a skipped migration would put in the state).
    assert any(op.__class__.__name__ == "AddField" for op in plan[0][0].operations)
    added = {op.name for op in plan[0][0].operations if op.__class__.__name__ == "AddField"}

    state = executor.migrate([("performance", leaf)], plan=plan, fake=True)

    fields = set(state.models[("performance", "kpiindicator")].fields)
    assert fields and not added & fields
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM public.django_migrations WHERE app = 'performance' AND name = %s", [leaf])
        assert cur.fetchone()[0] == 1
