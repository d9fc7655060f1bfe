"""Filed months are history: the database refuses to add, change or delete their lines, and a
filed cycle cannot be reopened. Statement-level triggers keep bulk computes set-based."""
from django.db import migrations

SQL = r"""
CREATE OR REPLACE FUNCTION si_line_filed_guard() RETURNS trigger AS $$
BEGIN
    -- Nested IFs: a transition table exists only for the events that have it.
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF EXISTS (SELECT 1 FROM new_rows n JOIN social_insurance_monthcycle c
                     ON c.period = n.period AND c.status = 'filed') THEN
            RAISE EXCEPTION 'contribution lines of a filed month cannot be written'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF EXISTS (SELECT 1 FROM old_rows o JOIN social_insurance_monthcycle c
                     ON c.period = o.period AND c.status = 'filed') THEN
            RAISE EXCEPTION 'contribution lines of a filed month cannot be changed'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER si_line_filed_insert AFTER INSERT ON social_insurance_contributionline
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION si_line_filed_guard();
CREATE TRIGGER si_line_filed_update AFTER UPDATE ON social_insurance_contributionline
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION si_line_filed_guard();
CREATE TRIGGER si_line_filed_delete AFTER DELETE ON social_insurance_contributionline
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION si_line_filed_guard();

CREATE OR REPLACE FUNCTION si_cycle_filed_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'filed' THEN
            RAISE EXCEPTION 'a filed month cannot be deleted' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'filed' AND (NEW.status <> 'filed' OR NEW.receipt_no <> OLD.receipt_no
        OR NEW.filed_at <> OLD.filed_at OR NEW.employer_total <> OLD.employer_total
        OR NEW.employee_total <> OLD.employee_total OR NEW.employee_count <> OLD.employee_count) THEN
        RAISE EXCEPTION 'a filed month cannot be reopened or changed' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER si_cycle_filed BEFORE UPDATE OR DELETE ON social_insurance_monthcycle
    FOR EACH ROW EXECUTE FUNCTION si_cycle_filed_guard();
"""

REVERSE = """
DROP TRIGGER IF EXISTS si_cycle_filed ON social_insurance_monthcycle;
DROP TRIGGER IF EXISTS si_line_filed_insert ON social_insurance_contributionline;
DROP TRIGGER IF EXISTS si_line_filed_update ON social_insurance_contributionline;
DROP TRIGGER IF EXISTS si_line_filed_delete ON social_insurance_contributionline;
DROP FUNCTION IF EXISTS si_cycle_filed_guard();
DROP FUNCTION IF EXISTS si_line_filed_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("social_insurance", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
