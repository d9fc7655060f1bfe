"""Everything PostgreSQL's catalog says about one schema, as plain data that two schemas can be
compared by (`tests/platform/test_branch_schema_template.py`): a branch schema copied from the
template must be what migrating a new schema makes.

Every name and definition is read with only `public` on the search path, so that PostgreSQL
qualifies whatever lives in the schema (`br_x.si_line_refs_check()`), then the schema's own name
is replaced by `<schema>`: a reference left pointing into another schema (the template's
function, sequence or table) stays visible as that other name. Object identifiers, creation
times and the schema's name are all that is ignored.
"""
from __future__ import annotations

from collections import Counter

from django.db import connection, transaction

# (what, query) — each query takes the schema name as %(s)s and returns sortable rows.
QUERIES: list[tuple[str, str]] = [
    ("schema", """
        SELECT pg_get_userbyid(nspowner), nspacl::text, obj_description(oid, 'pg_namespace')
          FROM pg_namespace WHERE nspname = %(s)s"""),
    # Tables, partitioned tables and their partitions, indexes, sequences, views, types' tables.
    ("relations", """
        SELECT c.relname, c.relkind, c.relpersistence, c.relispartition, pg_get_userbyid(c.relowner),
               c.relacl::text, c.reloptions::text, c.relrowsecurity, c.relforcerowsecurity,
               c.relreplident, c.relhasindex, c.relhastriggers, c.relhasrules, c.relchecks,
               pg_get_expr(c.relpartbound, c.oid), pg_get_partkeydef(c.oid),
               (SELECT string_agg(p.relname, ',' ORDER BY p.relname) FROM pg_inherits i
                  JOIN pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = c.oid),
               obj_description(c.oid, 'pg_class'),
               am.amname, ts.spcname
          FROM pg_class c LEFT JOIN pg_am am ON am.oid = c.relam
          LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace
         WHERE c.relnamespace = %(s)s::regnamespace"""),
    # Columns in their order, with types, defaults, nullability, identity, generation, collation.
    ("columns", """
        SELECT c.relname, row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), a.attname,
               format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
               a.attidentity, a.attgenerated, co.collname, a.attstorage, a.attcompression,
               a.attislocal, a.attinhcount, a.attacl::text,
               -- `pg_attver` is no option of PostgreSQL's (this server stamps it on columns, a
               -- different number per DDL statement, two migrated schemas differing too).
               array(SELECT o FROM unnest(a.attoptions) o WHERE o NOT LIKE 'pg_attver=%%')::text,
               col_description(c.oid, a.attnum)
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
         WHERE c.relnamespace = %(s)s::regnamespace AND a.attnum > 0 AND NOT a.attisdropped"""),
    ("constraints", """
        SELECT coalesce(c.relname, t.typname), k.conname, k.contype, pg_get_constraintdef(k.oid),
               k.condeferrable, k.condeferred, k.convalidated, k.conislocal, k.coninhcount,
               k.connoinherit, (SELECT relname FROM pg_class WHERE oid = k.conindid),
               (SELECT relnamespace::regnamespace::text || '.' || relname FROM pg_class WHERE oid = k.confrelid)
          FROM pg_constraint k LEFT JOIN pg_class c ON c.oid = k.conrelid
          LEFT JOIN pg_type t ON t.oid = k.contypid
         WHERE k.connamespace = %(s)s::regnamespace"""),
    ("indexes", """
        SELECT t.relname, i.relname, pg_get_indexdef(x.indexrelid), x.indisunique, x.indisprimary,
               x.indisvalid, x.indisready, x.indislive, x.indisclustered, x.indisreplident,
               x.indnullsnotdistinct, (SELECT p.relname FROM pg_inherits h JOIN pg_class p
                                        ON p.oid = h.inhparent WHERE h.inhrelid = i.oid)
          FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         WHERE t.relnamespace = %(s)s::regnamespace"""),
    # The order each table's indexes were made in (PostgreSQL lists and scans them so).
    ("index order", """
        SELECT t.relname, string_agg(i.relname, ',' ORDER BY x.indexrelid)
          FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         WHERE t.relnamespace = %(s)s::regnamespace GROUP BY t.relname"""),
    # Statement- and row-level triggers (transition tables included), partitions' clones too.
    ("triggers", """
        SELECT c.relname, g.tgname, pg_get_triggerdef(g.oid), g.tgenabled, g.tgisinternal,
               (SELECT p.tgname FROM pg_trigger p WHERE p.oid = g.tgparentid),
               g.tgnewtable, g.tgoldtable
          FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
         WHERE c.relnamespace = %(s)s::regnamespace AND NOT g.tgisinternal"""),
    ("functions", """
        SELECT p.proname, pg_get_function_identity_arguments(p.oid), p.prokind, pg_get_functiondef(p.oid),
               p.provolatile, p.proleakproof, p.prosecdef, p.proconfig::text, p.proacl::text,
               pg_get_userbyid(p.proowner)
          FROM pg_proc p WHERE p.pronamespace = %(s)s::regnamespace"""),
    # Sequences with where they stand (the next id a copy hands out) and the column owning them.
    ("sequences", """
        SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmax, s.seqmin,
               s.seqcache, s.seqcycle, q.last_value,
               (SELECT t.relname || '.' || a.attname || ':' || d.deptype::text FROM pg_depend d
                  JOIN pg_class t ON t.oid = d.refobjid
                  JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                 WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                   AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
          FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
          JOIN pg_sequences q ON q.schemaname = %(s)s AND q.sequencename = c.relname
         WHERE c.relnamespace = %(s)s::regnamespace"""),
    ("types", """
        SELECT t.typname, t.typtype, t.typcategory, format_type(t.typbasetype, t.typtypmod), t.typnotnull,
               (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e
                 WHERE e.enumtypid = t.oid), t.typdefault
          FROM pg_type t WHERE t.typnamespace = %(s)s::regnamespace"""),
    ("views", """
        SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c
         WHERE c.relnamespace = %(s)s::regnamespace AND c.relkind IN ('v', 'm')"""),
    ("rules", "SELECT tablename, rulename, definition FROM pg_rules WHERE schemaname = %(s)s"),
    ("policies", """
        SELECT tablename, policyname, permissive, roles::text, cmd, qual, with_check
          FROM pg_policies WHERE schemaname = %(s)s"""),
    ("statistics", """
        SELECT stxname, pg_get_statisticsobjdef(oid) FROM pg_statistic_ext
         WHERE stxnamespace = %(s)s::regnamespace"""),
    ("other objects", """
        SELECT 'collation', collname FROM pg_collation WHERE collnamespace = %(s)s::regnamespace
        UNION ALL SELECT 'operator', oprname FROM pg_operator WHERE oprnamespace = %(s)s::regnamespace
        UNION ALL SELECT 'conversion', conname FROM pg_conversion WHERE connamespace = %(s)s::regnamespace
        UNION ALL SELECT 'opclass', opcname FROM pg_opclass WHERE opcnamespace = %(s)s::regnamespace
        UNION ALL SELECT 'opfamily', opfname FROM pg_opfamily WHERE opfnamespace = %(s)s::regnamespace
        UNION ALL SELECT 'ts config', cfgname FROM pg_ts_config WHERE cfgnamespace = %(s)s::regnamespace
        UNION ALL SELECT 'ts dictionary', dictname FROM pg_ts_dict WHERE dictnamespace = %(s)s::regnamespace
        UNION ALL SELECT 'extension', extname FROM pg_extension WHERE extnamespace = %(s)s::regnamespace"""),
    # Migration records: which migrations the schema counts as applied (not when).
    ("django_migrations", "SELECT app, name FROM %(q)s.django_migrations"),
]


def catalog(schema: str) -> dict[str, list[tuple]]:
    """The schema's catalog and every row of its tables (migration-seeded data), by kind, sorted,
    with the schema's name replaced by `<schema>`."""
    quoted = connection.ops.quote_name(schema)

    def unname(value):
        if isinstance(value, str):
            return value.replace(quoted, "<schema>").replace(schema, "<schema>")
        return value

    result: dict[str, list[tuple]] = {}
    with transaction.atomic(), connection.cursor() as cur:
        # Only public on the path (for this transaction): objects of `schema` come out qualified.
        cur.execute("SELECT current_setting('search_path'), set_config('search_path', 'public', true)")
        search_path = cur.fetchone()[0]
        for what, query in QUERIES:
            cur.execute(query.replace("%(q)s", quoted), {"s": schema})
            rows = cur.fetchall()
            if what == "constraints":
                rows = [(*row[:3], _reparsed_check(cur, quoted, row[0], row[3]), *row[4:]) if row[2] == "c" else row
                        for row in rows]
            result[what] = sorted((tuple(unname(v) for v in row) for row in rows), key=repr)
        # The rows of every table (partitions read on their own, not through their parent), in
        # full; django_migrations without its `applied` time and id.
        cur.execute("SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind = 'r'",
                    [schema])
        for (table,) in cur.fetchall():
            columns = "app, name" if table == "django_migrations" else "*"
            cur.execute(f"SELECT {columns} FROM ONLY {quoted}.{connection.ops.quote_name(table)}")
            result[f"rows of {table}"] = sorted((tuple(unname(v) for v in row) for row in cur.fetchall()),
                                                key=repr)
        cur.execute("SELECT set_config('search_path', %s, true)", [search_path])
    connection.set_schema_to_public()
    return result


def _reparsed_check(cur, quoted_schema: str, table: str, definition: str) -> str:
    """A check constraint's definition as PostgreSQL prints it after parsing it once more.

    Replaying a printed check is not always printed back alike: `source IN ('manual', 'cycle')`
    as Django wrote it prints as `… = ANY ((ARRAY['manual'::character varying, …])::text[])`,
    which, parsed again, prints as `… = ANY (ARRAY[('manual'::character varying)::text, …])` —
    the same test (pg_dump's restores show the same). Both schemas' checks are compared in this
    printed-after-one-more-parse form, on a scratch copy of the table that is rolled back."""
    savepoint = transaction.savepoint()
    try:
        cur.execute(f"CREATE TEMP TABLE catalog_scratch (LIKE {quoted_schema}.{connection.ops.quote_name(table)})")
        cur.execute(f"ALTER TABLE catalog_scratch ADD CONSTRAINT catalog_scratch_check {definition}")
        cur.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = 'catalog_scratch'::regclass AND conname = 'catalog_scratch_check'")
        return cur.fetchone()[0]
    finally:
        transaction.savepoint_rollback(savepoint)


def differences(left: dict[str, list[tuple]], right: dict[str, list[tuple]]) -> list[str]:
    """What one catalog has that the other has not, kind by kind (empty when they are the same)."""
    out = []
    for what in sorted(set(left) | set(right)):
        a, b = left.get(what), right.get(what)
        if a is None or b is None:
            out.append(f"{what}: only in the {'first' if b is None else 'second'}")
            continue
        # As multisets: a row copied twice is a difference too.
        only_a, only_b = Counter(a) - Counter(b), Counter(b) - Counter(a)
        out += [f"{what}: only in the first: {row!r}" for row in sorted(only_a.elements(), key=repr)]
        out += [f"{what}: only in the second: {row!r}" for row in sorted(only_b.elements(), key=repr)]
    return out
