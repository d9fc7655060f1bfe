"""Contribution lines: referential integrity checked per statement, not per row.

A month's compute writes hundreds of thousands of lines in one INSERT … SELECT; the four
foreign keys of a line each fired a row-level RI trigger (one locking look-up per line and
key), which cost more than the insert itself. The constraints are replaced by statement-level
triggers with transition tables that check (and KEY SHARE-lock, as a foreign key does) the
referenced rows of all new lines in one join each, and by guards on the referenced tables that
refuse deleting or re-keying a row lines still point at (the models' on_delete=PROTECT, in SQL).
Errors use SQLSTATE 23503 (foreign_key_violation) like the constraints did; the checks run at
the end of each statement (the constraints were deferred to commit).
"""

import django.db.models.deletion
from django.db import migrations, models


SQL = r"""
CREATE OR REPLACE FUNCTION si_line_refs_check() RETURNS trigger AS $$
DECLARE
    employee_ids bigint[]; client_ids bigint[]; corrects_ids bigint[]; dispute_ids bigint[]; n_found bigint;
BEGIN
    -- One scan of the new rows (a big statement's transition table spills to disk).
    SELECT array_agg(DISTINCT employee_id), array_agg(DISTINCT client_id),
           array_agg(DISTINCT corrects_id) FILTER (WHERE corrects_id IS NOT NULL),
           array_agg(DISTINCT dispute_id) FILTER (WHERE dispute_id IS NOT NULL)
      INTO employee_ids, client_ids, corrects_ids, dispute_ids FROM new_rows;
    -- Each referenced row is locked FOR KEY SHARE (as a foreign key check does), so a concurrent
    -- delete either waits for this transaction or, having won, is not found here.
    IF employee_ids IS NOT NULL THEN
        SELECT count(*) INTO n_found FROM (
            SELECT 1 FROM social_insurance_insuredemployee e JOIN unnest(employee_ids) u(id) ON e.id = u.id
               FOR KEY SHARE OF e) x;
        IF n_found <> cardinality(employee_ids) THEN
            RAISE EXCEPTION 'contribution line refers to a missing insured employee'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    IF client_ids IS NOT NULL THEN
        SELECT count(*) INTO n_found FROM (
            SELECT 1 FROM clients_client c JOIN unnest(client_ids) u(id) ON c.id = u.id FOR KEY SHARE OF c) x;
        IF n_found <> cardinality(client_ids) THEN
            RAISE EXCEPTION 'contribution line refers to a missing client' USING ERRCODE = 'foreign_key_violation';
        END IF;
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

CREATE TRIGGER si_line_refs_insert AFTER INSERT ON social_insurance_contributionline
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION si_line_refs_check();
CREATE TRIGGER si_line_refs_update AFTER UPDATE ON social_insurance_contributionline
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION si_line_refs_check();

-- Referenced side: TG_ARGV[0] is the line column pointing at the table the trigger is on.
CREATE OR REPLACE FUNCTION si_line_referenced_delete_guard() RETURNS trigger AS $$
DECLARE
    used boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM old_rows o JOIN social_insurance_contributionline l ON l.%I = o.id)',
                   TG_ARGV[0]) INTO used;
    IF used THEN
        RAISE EXCEPTION '% rows are still referenced by contribution lines (%)', TG_TABLE_NAME, TG_ARGV[0]
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION si_line_referenced_rekey_guard() RETURNS trigger AS $$
DECLARE
    used boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM social_insurance_contributionline WHERE %I = $1)', TG_ARGV[0])
        USING OLD.id INTO used;
    IF used THEN
        RAISE EXCEPTION '% row % is referenced by contribution lines (%)', TG_TABLE_NAME, OLD.id, TG_ARGV[0]
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER si_line_ref_employee_delete AFTER DELETE ON social_insurance_insuredemployee
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION si_line_referenced_delete_guard('employee_id');
CREATE TRIGGER si_line_ref_employee_rekey AFTER UPDATE ON social_insurance_insuredemployee
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION si_line_referenced_rekey_guard('employee_id');
CREATE TRIGGER si_line_ref_client_delete AFTER DELETE ON clients_client
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION si_line_referenced_delete_guard('client_id');
CREATE TRIGGER si_line_ref_client_rekey AFTER UPDATE ON clients_client
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION si_line_referenced_rekey_guard('client_id');
CREATE TRIGGER si_line_ref_corrects_delete AFTER DELETE ON social_insurance_contributionline
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION si_line_referenced_delete_guard('corrects_id');
CREATE TRIGGER si_line_ref_corrects_rekey AFTER UPDATE ON social_insurance_contributionline
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION si_line_referenced_rekey_guard('corrects_id');
CREATE TRIGGER si_line_ref_dispute_delete AFTER DELETE ON social_insurance_basedispute
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION si_line_referenced_delete_guard('dispute_id');
CREATE TRIGGER si_line_ref_dispute_rekey AFTER UPDATE ON social_insurance_basedispute
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION si_line_referenced_rekey_guard('dispute_id');
"""

REVERSE = """
DROP TRIGGER IF EXISTS si_line_refs_insert ON social_insurance_contributionline;
DROP TRIGGER IF EXISTS si_line_refs_update ON social_insurance_contributionline;
DROP TRIGGER IF EXISTS si_line_ref_employee_delete ON social_insurance_insuredemployee;
DROP TRIGGER IF EXISTS si_line_ref_employee_rekey ON social_insurance_insuredemployee;
DROP TRIGGER IF EXISTS si_line_ref_client_delete ON clients_client;
DROP TRIGGER IF EXISTS si_line_ref_client_rekey ON clients_client;
DROP TRIGGER IF EXISTS si_line_ref_corrects_delete ON social_insurance_contributionline;
DROP TRIGGER IF EXISTS si_line_ref_corrects_rekey ON social_insurance_contributionline;
DROP TRIGGER IF EXISTS si_line_ref_dispute_delete ON social_insurance_basedispute;
DROP TRIGGER IF EXISTS si_line_ref_dispute_rekey ON social_insurance_basedispute;
DROP FUNCTION IF EXISTS si_line_refs_check();
DROP FUNCTION IF EXISTS si_line_referenced_delete_guard();
DROP FUNCTION IF EXISTS si_line_referenced_rekey_guard();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0001_initial'),
        ('social_insurance', '0002_filed_months_are_immutable'),
    ]

    operations = [
        migrations.AlterField(
            model_name='contributionline',
            name='client',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clients.client'),
        ),
        migrations.AlterField(
            model_name='contributionline',
            name='corrects',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='corrections', to='social_insurance.contributionline'),
        ),
        migrations.AlterField(
            model_name='contributionline',
            name='dispute',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='lines', to='social_insurance.basedispute'),
        ),
        migrations.AlterField(
            model_name='contributionline',
            name='employee',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='lines', to='social_insurance.insuredemployee'),
        ),
        migrations.RunSQL(SQL, REVERSE),
    ]
