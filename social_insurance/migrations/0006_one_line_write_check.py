"""Contribution lines: one statement-level check per insert or update instead of two.

The filed-month guard (0002) and the reference checks (0003) each read the statement's
transition table — a month's compute writes a few hundred thousand lines, and the table
spills to disk. One function now reads the new rows once (their distinct keys, by hash
aggregate) and runs both checks on those keys, with the same errors and SQLSTATEs. Deletes
keep the filed-month guard of 0002.
"""
from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION si_line_write_check() RETURNS trigger AS $$
DECLARE
    periods text[]; employee_ids bigint[]; client_ids bigint[]; corrects_ids bigint[]; dispute_ids bigint[];
    n_found bigint;
BEGIN
    SELECT array_agg(DISTINCT period), array_agg(DISTINCT employee_id), array_agg(DISTINCT client_id),
           array_agg(DISTINCT corrects_id) FILTER (WHERE corrects_id IS NOT NULL),
           array_agg(DISTINCT dispute_id) FILTER (WHERE dispute_id IS NOT NULL)
      INTO periods, employee_ids, client_ids, corrects_ids, dispute_ids
      FROM (SELECT period, employee_id, client_id, corrects_id, dispute_id FROM new_rows
             GROUP BY period, employee_id, client_id, corrects_id, dispute_id) k;
    IF periods IS NULL THEN
        RETURN NULL;  -- the statement wrote no line
    END IF;

    IF EXISTS (SELECT 1 FROM social_insurance_monthcycle c WHERE c.period = ANY (periods) AND c.status = 'filed') THEN
        RAISE EXCEPTION 'contribution lines of a filed month cannot be written'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    -- Nested IF: old_rows exists only for updates, and an expression naming it is planned whole.
    IF TG_OP = 'UPDATE' THEN
        IF EXISTS (SELECT 1 FROM (SELECT DISTINCT period FROM old_rows) o JOIN social_insurance_monthcycle c
                     ON c.period = o.period AND c.status = 'filed') THEN
            RAISE EXCEPTION 'contribution lines of a filed month cannot be changed'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;

    -- Each referenced row is locked FOR KEY SHARE (as a foreign key check does), so a concurrent
    -- delete either waits for this transaction or, having won, is not found here.
    SELECT count(*) INTO n_found FROM (
        SELECT 1 FROM social_insurance_insuredemployee e JOIN unnest(employee_ids) u(id) ON e.id = u.id
           FOR KEY SHARE OF e) x;
    IF n_found <> cardinality(employee_ids) THEN
        RAISE EXCEPTION 'contribution line refers to a missing insured employee' USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT count(*) INTO n_found FROM (
        SELECT 1 FROM clients_client c JOIN unnest(client_ids) u(id) ON c.id = u.id FOR KEY SHARE OF c) x;
    IF n_found <> cardinality(client_ids) THEN
        RAISE EXCEPTION 'contribution line refers to a missing client' USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF corrects_ids IS NOT NULL THEN
        SELECT count(*) INTO n_found FROM (
            SELECT 1 FROM social_insurance_contributionline l JOIN unnest(corrects_ids) u(id) ON l.id = u.id
               FOR KEY SHARE OF l) x;
        IF n_found <> cardinality(corrects_ids) THEN
            RAISE EXCEPTION 'contribution line corrects a missing line' USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    IF dispute_ids IS NOT NULL THEN
        SELECT count(*) INTO n_found FROM (
            SELECT 1 FROM social_insurance_basedispute d JOIN unnest(dispute_ids) u(id) ON d.id = u.id
               FOR KEY SHARE OF d) x;
        IF n_found <> cardinality(dispute_ids) THEN
            RAISE EXCEPTION 'contribution line refers to a missing dispute' USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

DROP TRIGGER si_line_filed_insert ON social_insurance_contributionline;
DROP TRIGGER si_line_filed_update ON social_insurance_contributionline;
DROP TRIGGER si_line_refs_insert ON social_insurance_contributionline;
DROP TRIGGER si_line_refs_update ON social_insurance_contributionline;
DROP FUNCTION si_line_refs_check();

CREATE TRIGGER si_line_write_insert AFTER INSERT ON social_insurance_contributionline
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION si_line_write_check();
CREATE TRIGGER si_line_write_update AFTER UPDATE ON social_insurance_contributionline
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION si_line_write_check();

"""

# Back to 0003's function and 0002's triggers (their SQL, re-run).
REVERSE_HEAD = r"""
DROP TRIGGER si_line_write_insert ON social_insurance_contributionline;
DROP TRIGGER si_line_write_update ON social_insurance_contributionline;
DROP FUNCTION si_line_write_check();
"""


def _reverse_sql() -> str:
    import importlib

    m2 = importlib.import_module("social_insurance.migrations.0002_filed_months_are_immutable")
    m3 = importlib.import_module("social_insurance.migrations.0003_lines_integrity_by_statement_triggers")
    refs = m3.SQL.split("-- Referenced side:")[0]  # only the line-side function and its triggers
    filed = m2.SQL.split("CREATE OR REPLACE FUNCTION si_cycle_filed_guard")[0]
    filed = filed.replace("CREATE TRIGGER si_line_filed_delete AFTER DELETE ON social_insurance_contributionline\n"
                          "    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION si_line_filed_guard();\n",
                          "")
    return REVERSE_HEAD + refs + filed


class Migration(migrations.Migration):

    dependencies = [("social_insurance", "0005_payroll_lists_and_checks")]

    operations = [migrations.RunSQL(FORWARD, _reverse_sql())]
