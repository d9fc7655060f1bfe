"""Closed periods are never rewritten — enforced in the database, not only in Python.

Statement-level triggers (transition tables, so a million-line recompute costs one check, not a
million) refuse to insert, change or delete a line whose period is closed or paid in HQ's
`commissions_hq_branchperiod` for this schema's branch."""
from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION commissions_statement_line_frozen() RETURNS trigger AS $$
DECLARE
    bad text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT r.period INTO bad FROM new_rows r WHERE r.period IN (
            SELECT bp.period FROM public.commissions_hq_branchperiod bp
            JOIN public.branches_branch b ON b.id = bp.branch_id
            WHERE b.schema_name = TG_TABLE_SCHEMA AND bp.status <> 'open') LIMIT 1;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT r.period INTO bad FROM old_rows r WHERE r.period IN (
            SELECT bp.period FROM public.commissions_hq_branchperiod bp
            JOIN public.branches_branch b ON b.id = bp.branch_id
            WHERE b.schema_name = TG_TABLE_SCHEMA AND bp.status <> 'open') LIMIT 1;
    ELSE
        SELECT r.period INTO bad FROM (SELECT period FROM old_rows UNION ALL SELECT period FROM new_rows) r
        WHERE r.period IN (
            SELECT bp.period FROM public.commissions_hq_branchperiod bp
            JOIN public.branches_branch b ON b.id = bp.branch_id
            WHERE b.schema_name = TG_TABLE_SCHEMA AND bp.status <> 'open') LIMIT 1;
    END IF;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'statement lines of closed period %% are frozen: post a correction in the next open period', bad;
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
"""

TRIGGERS = """
DROP TRIGGER IF EXISTS statement_line_frozen_ins ON commissions_statementline;
DROP TRIGGER IF EXISTS statement_line_frozen_upd ON commissions_statementline;
DROP TRIGGER IF EXISTS statement_line_frozen_del ON commissions_statementline;
CREATE TRIGGER statement_line_frozen_ins AFTER INSERT ON commissions_statementline
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_statement_line_frozen();
CREATE TRIGGER statement_line_frozen_upd AFTER UPDATE ON commissions_statementline
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION commissions_statement_line_frozen();
CREATE TRIGGER statement_line_frozen_del AFTER DELETE ON commissions_statementline
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_statement_line_frozen();
"""

DROP = """
DROP TRIGGER IF EXISTS statement_line_frozen_ins ON commissions_statementline;
DROP TRIGGER IF EXISTS statement_line_frozen_upd ON commissions_statementline;
DROP TRIGGER IF EXISTS statement_line_frozen_del ON commissions_statementline;
DROP FUNCTION IF EXISTS commissions_statement_line_frozen();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.schema_name == "public":
        return  # a branch (tenant) table only
    schema_editor.execute(FUNCTION)
    schema_editor.execute(TRIGGERS)


def backwards(apps, schema_editor):
    if schema_editor.connection.schema_name == "public":
        return
    schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("commissions", "0002_events_statements"), ("commissions_hq", "0003_branch_period")]

    operations = [migrations.RunPython(forwards, backwards)]
