"""Branch schemas made by copying a migrated template schema (ADR 0010).

Migrating a new branch schema runs every tenant migration (≈ 10 s, 15–25 s before
branches/migrate_command.py); copying one that is
already migrated takes about a second. The template, `branch_template`, is an ordinary schema
that is not a branch: no Branch row, no Domain, so no URL reaches it, and branch codes can never
name it (a branch's schema is `br_<code>`). It is migrated by the migrate command (after the
public schema, see `migrate_template_after_public`), and before every copy its migration
records are compared with the migration graph: a template behind the code is migrated first,
never copied stale.

Why not django-tenants' own TENANT_BASE_SCHEMA/CloneSchema: its copy renames unique
constraints and their indexes (`lead_stage_once` becomes `commissions_leadstagechange_lead_id_
stage_key`, which later migrations would not find), makes integer identity sequences bigint,
renames a sequence and adds explicit grants; and with TENANT_CREATION_FAKES_MIGRATIONS it fakes
whatever the template lacks. The copy here is rebuilt from PostgreSQL's own definitions
(pg_get_indexdef, pg_get_constraintdef, pg_get_triggerdef, pg_get_functiondef …), in one
transaction with the caller's; `tests/platform/test_branch_schema_template.py` asserts that a
copy's catalog is the one migrating makes, object by object.

The copy handles what tenant migrations make today: tables and partitioned tables (without
partitions: months' partitions are made by the computes), columns with identity sequences,
defaults, collations, constraints, indexes, triggers, functions, comments, and the rows the
migrations seed. If the template ever holds anything else (a view, an enum, a partition, a
standalone sequence, a policy, a rule …), `copy_template` says so and the branch is migrated
instead: slower, never different.
"""
from __future__ import annotations

import re

from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

TEMPLATE_SCHEMA = "branch_template"
# Serialises migrating the template between processes (two branch creations, a migrate).
_TEMPLATE_LOCK = 0x6272_7465_6D70  # "brtemp"


class NotCopyable(Exception):
    """The template holds an object the copy does not reproduce; migrate the schema instead."""


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def template_exists() -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [TEMPLATE_SCHEMA])
        return cur.fetchone() is not None


def template_is_current() -> bool:
    """Whether the template has exactly the migrations the code's graph has (its leaf nodes
    applied, nothing to run), read from its own django_migrations."""
    if not template_exists():
        return False
    previous = connection.schema_name
    try:
        connection.set_schema(TEMPLATE_SCHEMA, include_public=False)
        executor = MigrationExecutor(connection)
        if not executor.recorder.has_table():
            return False
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        applied = set(executor.recorder.applied_migrations())
        known = set(executor.loader.graph.nodes)
    finally:
        connection.set_schema(previous) if previous != "public" else connection.set_schema_to_public()
    # Nothing to run, and nothing recorded that the code no longer has (a squashed or
    # removed migration would mean the template was made by other code).
    return not plan and applied <= known


def ensure_template(verbosity: int = 0) -> None:
    """Create the template if missing and migrate it if it is behind the code."""
    if template_is_current():
        return
    with connection.cursor() as cur:
        # A session lock (not a transaction's): migrating commits as it goes.
        cur.execute("SELECT pg_advisory_lock(%s)", [_TEMPLATE_LOCK])
    try:
        if template_is_current():  # another process did it while we waited
            return
        with connection.cursor() as cur:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(TEMPLATE_SCHEMA)}")
        call_command("migrate_schemas", tenant=True, schema_name=TEMPLATE_SCHEMA, interactive=False,
                     verbosity=verbosity)
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [_TEMPLATE_LOCK])


def migrate_template_after_public(sender, schema_name: str, **kwargs) -> None:
    """`migrate` (migrate_schemas) brings the template up to date right after the public schema,
    so that the branches created next are copied from the current migrations."""
    if schema_name == "public":
        ensure_template(verbosity=0)


def _check_copyable(cur, source: str) -> None:
    checks = {
        "relations other than tables, indexes and identity sequences": """
            SELECT c.relname FROM pg_class c WHERE c.relnamespace = %(s)s::regnamespace
               AND (c.relkind NOT IN ('r', 'p', 'i', 'I', 'S') OR c.relispartition
                    OR c.reloptions IS NOT NULL OR c.relrowsecurity
                    OR (c.relkind IN ('r', 'p') AND c.relreplident <> 'd')
                    OR c.relpersistence <> 'p' OR c.relacl IS NOT NULL OR c.reltablespace <> 0)""",
        "sequences not owned by an identity column": """
            SELECT c.relname FROM pg_class c WHERE c.relnamespace = %(s)s::regnamespace AND c.relkind = 'S'
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                  AND d.objid = c.oid AND d.deptype = 'i')""",
        "types other than tables' row types": """
            SELECT t.typname FROM pg_type t WHERE t.typnamespace = %(s)s::regnamespace
               AND t.typtype <> 'c' AND t.typelem = 0""",
        "rules": "SELECT rulename FROM pg_rules WHERE schemaname = %(s)s",
        "policies": "SELECT policyname FROM pg_policies WHERE schemaname = %(s)s",
        "statistics": "SELECT stxname FROM pg_statistic_ext WHERE stxnamespace = %(s)s::regnamespace",
        "column options or statistics targets": """
            SELECT c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             WHERE c.relnamespace = %(s)s::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
               AND (a.attstattarget > 0 OR a.attacl IS NOT NULL OR a.attcompression <> ''
                    OR a.attstorage <> (SELECT typstorage FROM pg_type WHERE oid = a.atttypid))""",
        "functions with grants, settings or other owners": """
            SELECT proname FROM pg_proc WHERE pronamespace = %(s)s::regnamespace
               AND (proacl IS NOT NULL OR proconfig IS NOT NULL OR proowner <> (
                    SELECT nspowner FROM pg_namespace WHERE nspname = %(s)s))""",
    }
    for what, query in checks.items():
        cur.execute(query, {"s": source})
        found = [row[0] for row in cur.fetchall()]
        if found:
            raise NotCopyable(f"{source} has {what}: {', '.join(sorted(found)[:5])}")


def copy_schema(source: str, target: str) -> None:
    """Create `target` as a copy of `source` (definitions and rows), on the caller's connection
    and in its transaction. Raises NotCopyable, before creating anything, for what it does not
    reproduce."""
    with transaction.atomic(), connection.cursor() as cur:
        # PostgreSQL's spelling of the two names (quoted only when needed), as its definitions use.
        cur.execute("SELECT quote_ident(%s), quote_ident(%s), current_setting('search_path'), "
                    "current_setting('check_function_bodies')", [source, target])
        src, dst, search_path, check_bodies = cur.fetchone()
        qualified = re.compile(rf'(?<![\w"$]){re.escape(src)}\.')

        def retarget(definition: str) -> str:
            # With only pg_catalog on the search path, PostgreSQL qualifies every object of
            # `source` in its definitions: `branch_template.x` → `br_y.x`. (Function bodies are
            # not rewritten: ours name their tables unqualified, found on the branch's path.)
            return qualified.sub(lambda m: f"{dst}.", definition)

        # For this transaction only, and restored below before the caller's next statement.
        # Definitions are replayed in dependency order, not validated against each other on the
        # way (as pg_dump's output is restored).
        cur.execute("SELECT set_config('search_path', 'pg_catalog', true), "
                    "set_config('check_function_bodies', 'off', true)")
        _copy(cur, source, src, dst, retarget)
        # (After a failure the rollback to this block's savepoint undoes both settings.)
        cur.execute("SELECT set_config('search_path', %s, true), set_config('check_function_bodies', %s, true)",
                    [search_path, check_bodies])


def _copy(cur, source: str, src: str, dst: str, retarget) -> None:
    _check_copyable(cur, source)
    cur.execute(f"CREATE SCHEMA {dst}")
    cur.execute("SELECT obj_description(%s::regnamespace, 'pg_namespace')", [source])
    (comment,) = cur.fetchone()
    if comment is not None:
        cur.execute(f"COMMENT ON SCHEMA {dst} IS %s", [comment])

    # Functions first: triggers, defaults and checks may call them.
    cur.execute("SELECT pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace = %s::regnamespace "
                "ORDER BY oid", [source])
    for (definition,) in cur.fetchall():
        cur.execute(retarget(definition))

    # Tables (and partitioned tables), in creation order, with their columns in order.
    cur.execute("SELECT oid, relname, relkind, pg_get_partkeydef(oid), obj_description(oid, 'pg_class') "
                "FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind IN ('r', 'p') "
                "ORDER BY oid", [source])
    tables = cur.fetchall()
    for oid, name, kind, partkey, comment in tables:
        cur.execute(
            """SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                      pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
                      CASE WHEN a.attcollation <> t.typcollation
                           THEN quote_ident(n.nspname) || '.' || quote_ident(co.collname) END,
                      col_description(a.attrelid, a.attnum), s.seqrelid::regclass::text,
                      format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
                      s.seqcache, s.seqcycle
                 FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                 LEFT JOIN pg_collation co ON co.oid = a.attcollation
                 LEFT JOIN pg_namespace n ON n.oid = co.collnamespace
                 LEFT JOIN pg_depend dep ON a.attidentity <> '' AND dep.refclassid = 'pg_class'::regclass
                      AND dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum AND dep.deptype = 'i'
                      AND dep.classid = 'pg_class'::regclass
                 LEFT JOIN pg_sequence s ON s.seqrelid = dep.objid
                WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum""",
            [oid])
        columns, comments, retyped = [], [], []
        for (col, type_, notnull, default, identity, generated, collation, col_comment, seq, seqtype,
             start, increment, minvalue, maxvalue, cache, cycle) in cur.fetchall():
            parts = [_q(col), type_]
            if collation:
                parts.append(f"COLLATE {collation}")
            if generated == "s":
                parts.append(f"GENERATED ALWAYS AS ({retarget(default)}) STORED")
            elif default is not None:
                parts.append(f"DEFAULT {retarget(default)}")
            if identity:
                parts.append(
                    f"GENERATED {'ALWAYS' if identity == 'a' else 'BY DEFAULT'} AS IDENTITY "
                    f"(SEQUENCE NAME {retarget(seq)} START WITH {start} "
                    f"INCREMENT BY {increment} MINVALUE {minvalue} MAXVALUE {maxvalue} CACHE {cache}"
                    f"{' CYCLE' if cycle else ' NO CYCLE'})")
                if seqtype != type_:  # (the sequence takes the column's type unless told)
                    retyped.append(f"ALTER SEQUENCE {retarget(seq)} AS {seqtype} MINVALUE {minvalue} "
                                   f"MAXVALUE {maxvalue}")
            if notnull:
                parts.append("NOT NULL")
            columns.append(" ".join(parts))
            if col_comment is not None:
                comments.append((col, col_comment))
        partition = f" PARTITION BY {partkey}" if kind == "p" else ""
        cur.execute(f"CREATE TABLE {dst}.{_q(name)} ({', '.join(columns)}){partition}")
        for statement in retyped:
            cur.execute(statement)
        if comment is not None:
            cur.execute(f"COMMENT ON TABLE {dst}.{_q(name)} IS %s", [comment])
        for col, col_comment in comments:
            cur.execute(f"COMMENT ON COLUMN {dst}.{_q(name)}.{_q(col)} IS %s", [col_comment])

        # The rows migrations seeded, as they are (ids included), before any trigger or
        # constraint exists, as in a restore.
        if kind == "r":
            cur.execute("SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
                        "WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped AND attgenerated = ''",
                        [oid])
            (names,) = cur.fetchone()
            cur.execute(f"INSERT INTO {dst}.{_q(name)} ({names}) OVERRIDING SYSTEM VALUE "
                        f"SELECT {names} FROM {src}.{_q(name)}")

    # Sequences continue where the template's stand.
    cur.execute("SELECT c.relname, q.last_value, s.seqstart, q.last_value IS NOT NULL FROM pg_class c "
                "JOIN pg_sequence s ON s.seqrelid = c.oid "
                "JOIN pg_sequences q ON q.schemaname = %s AND q.sequencename = c.relname "
                "WHERE c.relnamespace = %s::regnamespace", [source, source])
    for name, last_value, start, called in cur.fetchall():
        cur.execute("SELECT setval(%s::regclass, %s, %s)",
                    [f"{dst}.{_q(name)}", last_value if called else start, called])

    # Indexes and constraints in the order the migrations made them (a key's index counts as
    # the key's place): the same order in the catalog, and a foreign key always after the key it
    # references. (Object ids rise with creation; the template is young enough never to wrap.)
    cur.execute("""SELECT x.indexrelid AS made, NULL, NULL, pg_get_indexdef(x.indexrelid)
                     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                    WHERE i.relnamespace = %(s)s::regnamespace
                      AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid
                                         AND k.contype IN ('p', 'u', 'x') AND k.conrelid = x.indrelid)
                    UNION ALL
                   SELECT CASE WHEN k.contype IN ('p', 'u', 'x') THEN k.conindid ELSE k.oid END,
                          c.relname, k.conname, pg_get_constraintdef(k.oid)
                     FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
                    WHERE k.connamespace = %(s)s::regnamespace
                    ORDER BY made""", {"s": source})
    for _made, table, name, definition in cur.fetchall():
        if name is None:
            cur.execute(retarget(definition))
        else:  # (a constraint left NOT VALID says so in its definition)
            cur.execute(f"ALTER TABLE {dst}.{_q(table)} ADD CONSTRAINT {_q(name)} {retarget(definition)}")

    # Triggers last (statement-level ones with their transition tables), with their state.
    cur.execute("""SELECT pg_get_triggerdef(g.oid), c.relname, g.tgname, g.tgenabled FROM pg_trigger g
                     JOIN pg_class c ON c.oid = g.tgrelid
                    WHERE c.relnamespace = %s::regnamespace AND NOT g.tgisinternal AND g.tgparentid = 0
                    ORDER BY g.oid""", [source])
    for definition, table, name, enabled in cur.fetchall():
        cur.execute(retarget(definition))
        if enabled != "O":
            state = {"D": "DISABLE", "A": "ENABLE ALWAYS", "R": "ENABLE REPLICA"}[enabled]
            cur.execute(f"ALTER TABLE {dst}.{_q(table)} {state} TRIGGER {_q(name)}")


def copy_template(target: str) -> None:
    """Make a branch's schema: the template, brought up to date first, copied."""
    ensure_template()
    # Migrating cannot help a template that records migrations this code lacks (made by a newer
    # release, then rolled back): never copied, the branch is migrated instead.
    if not template_is_current():
        raise NotCopyable(f"{TEMPLATE_SCHEMA} is not at this code's migrations")
    copy_schema(TEMPLATE_SCHEMA, target)
