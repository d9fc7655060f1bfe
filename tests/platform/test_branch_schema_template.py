"""A branch schema copied from the template is the schema migrating makes (ADR 0010).

This is the guarantee behind `branches/schemas.py`: every table, column (type, default,
nullability, identity, collation, order), constraint, index, partitioned table and partition
bound, trigger, function, sequence (with where it stands and its owning column), type, comment,
migration record and seeded row of the two schemas is compared, the schema's name aside
(`tests/catalog.py`)."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from branches import schemas
from tests.catalog import catalog, differences

pytestmark = pytest.mark.django_db


def test_a_copied_schema_is_the_migrated_schema():
    """One schema migrated (the slow part: ~15 s), used twice: first as what a branch gets when
    the template cannot be copied, then as the schema a copy must equal."""
    from branches.models import Branch

    # A template recording a migration this code lacks (a newer release, rolled back) is never
    # copied: a branch made meanwhile is migrated, as before the template.
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {schemas.TEMPLATE_SCHEMA}.django_migrations (app, name, applied) "
                    "VALUES ('clients', '9999_from_another_release', now())")
    assert not schemas.template_is_current()
    with pytest.raises(schemas.NotCopyable):
        schemas.copy_template("br_catalog_refused")
    branch = Branch(schema_name="br_catalog_migrated", code="catalog-migrated", name="x")
    branch.save(verbosity=0)
    connection.set_schema_to_public()
    # The migrated branch is the template but for the record of the migration it never ran (and
    # the record's id, one further in the template's sequence).
    found = differences(catalog("br_catalog_migrated"), catalog(schemas.TEMPLATE_SCHEMA))
    assert [d for d in found if not d.startswith("sequences: ")] == [
        "django_migrations: only in the second: ('clients', '9999_from_another_release')",
        "rows of django_migrations: only in the second: ('clients', '9999_from_another_release')"]
    assert [d.split(", ")[0] for d in found if d.startswith("sequences: ")] == [
        "sequences: only in the first: ('django_migrations_id_seq'",
        "sequences: only in the second: ('django_migrations_id_seq'"]

    # The template back at this code's migrations (the record and its id taken back): copied,
    # and the copy is the migrated schema.
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {schemas.TEMPLATE_SCHEMA}.django_migrations WHERE name = '9999_from_another_release'")
        cur.execute(f"SELECT setval('{schemas.TEMPLATE_SCHEMA}.django_migrations_id_seq', "
                    f"(SELECT max(id) FROM {schemas.TEMPLATE_SCHEMA}.django_migrations))")
    assert schemas.template_is_current()
    schemas.copy_template("br_catalog_copied")

    migrated, copied = catalog("br_catalog_migrated"), catalog("br_catalog_copied")

    assert differences(migrated, copied) == []
    assert differences(migrated, catalog(schemas.TEMPLATE_SCHEMA)) == []
    # What the comparison covers is there to compare (a copy of nothing would be equal too).
    kinds = {row[1] for row in copied["relations"]}
    assert {"r", "p", "i", "I", "S"} <= kinds
    assert ("social_insurance_contributionline", "p") in {(row[0], row[1]) for row in copied["relations"]}
    assert len(copied["triggers"]) >= 20 and len(copied["functions"]) >= 9
    assert any(row[2] == "f" for row in copied["constraints"]) and any(row[2] == "c" for row in copied["constraints"])
    assert len(copied["django_migrations"]) == len(migrated["django_migrations"]) > 50
    assert all(row[-1] is not None for row in copied["sequences"])  # each owned by its identity column

    # … and the comparison sees a difference as small as one column's default.
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE br_catalog_copied.clients_client ALTER COLUMN grade SET DEFAULT 'A'")
    assert [d.split(":")[0] for d in differences(migrated, catalog("br_catalog_copied"))] == ["columns", "columns"]


def test_a_copied_schema_works_as_a_branch(branches):
    """The session's branches are copies: rows written in one go to its own tables, with ids from
    its own sequences, never to the template's."""
    from clients.models import Client
    from tests.conftest import in_branch
    from tests.factories import make_user

    seller = make_user("copyseller", ("bj", "sales"))
    with in_branch("bj"):
        client = Client.objects.create(name="客户甲", headcount=30, opened_on="2025-01-03", opened_by=seller,
                                       services=["social_insurance"])
        assert Client.objects.get().pk == client.pk
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {schemas.TEMPLATE_SCHEMA}.clients_client")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT last_value FROM br_bj.clients_client_id_seq")
        assert cur.fetchone()[0] == client.pk


def test_a_template_behind_the_migrations_is_migrated_before_it_is_copied():
    # The template as an older release left it: the newest social-insurance migration unapplied
    # (only the newest: unapplying and applying again is the slow part).
    from django.db.migrations.loader import MigrationLoader

    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    newest = graph.leaf_nodes("social_insurance")[0]
    previous = sorted(graph.node_map[newest].parents)[0]
    assert previous[0] == "social_insurance"
    current = catalog(schemas.TEMPLATE_SCHEMA)
    call_command("migrate_schemas", "social_insurance", previous[1], tenant=True,
                 schema_name=schemas.TEMPLATE_SCHEMA, interactive=False, verbosity=0)
    connection.set_schema_to_public()
    assert not schemas.template_is_current()
    older = catalog(schemas.TEMPLATE_SCHEMA)
    assert newest not in older["django_migrations"]
    # … and so is the schema itself, not only its records.
    assert [d for d in _beside_migration_ids(differences(current, older)) if "django_migrations" not in d]

    schemas.copy_template("br_catalog_after_upgrade")

    assert schemas.template_is_current()
    copied = catalog("br_catalog_after_upgrade")
    assert newest in copied["django_migrations"]
    assert differences(catalog(schemas.TEMPLATE_SCHEMA), copied) == []
    # Migrated again, it is what it was before (but for the migration records' ids).
    assert _beside_migration_ids(differences(current, copied)) == []


def _beside_migration_ids(found: list[str]) -> list[str]:
    return [d for d in found if "django_migrations_id_seq" not in d]


def test_the_template_is_no_branch_and_no_branch_code_names_it(client, hq_admin):
    from branches.models import Branch, Domain

    assert schemas.template_exists()
    assert not Branch.objects.filter(schema_name=schemas.TEMPLATE_SCHEMA).exists()
    assert not Domain.objects.filter(tenant__schema_name=schemas.TEMPLATE_SCHEMA).exists()
    assert not schemas.TEMPLATE_SCHEMA.startswith("br_")  # every branch's schema is br_<code>
    client.force_login(hq_admin)
    for path in (f"/b/{schemas.TEMPLATE_SCHEMA}/", "/b/template/", "/b/branch-template/"):
        assert client.get(path).status_code == 404, path
