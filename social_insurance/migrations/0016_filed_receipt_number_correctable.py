"""A filed month's receipt number may be corrected (a typo, with a reason in the audit trail:
services.month_receipt_correct); its status, filing time and amounts stay frozen."""
from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION si_cycle_filed_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'filed' THEN
            RAISE EXCEPTION 'a filed month cannot be deleted' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'filed' AND (NEW.status <> 'filed'
        OR NEW.filed_at <> OLD.filed_at OR NEW.employer_total <> OLD.employer_total
        OR NEW.employee_total <> OLD.employee_total OR NEW.employee_count <> OLD.employee_count) THEN
        RAISE EXCEPTION 'a filed month cannot be reopened or changed' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status = 'filed' AND NEW.receipt_no IS DISTINCT FROM OLD.receipt_no AND coalesce(NEW.receipt_no, '') = '' THEN
        RAISE EXCEPTION 'a filed month keeps a receipt number' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
"""

REVERSE = """
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
"""


class Migration(migrations.Migration):
    dependencies = [("social_insurance", "0015_statement_reply")]
    operations = [migrations.RunSQL(FORWARD, REVERSE)]
