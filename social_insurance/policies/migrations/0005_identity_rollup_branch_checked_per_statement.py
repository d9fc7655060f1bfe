"""HQ identity rollup: the branch reference is checked per statement, not per row.

Each branch's monthly compute inserts one rollup row per insured person (50,000 for a large
branch); the foreign key queued one deferred check per row, run at commit, and its own index
duplicated the unique constraint's leading column. The constraint and that index are
replaced by statement-level triggers: written rows must name an existing branch (locked FOR
KEY SHARE, as the foreign key did), and a deleted branch takes its rollup rows with it (the
CASCADE the model declares, also for deletes outside the ORM)."""
import django.db.models.deletion
from django.db import migrations, models

FORWARD = r"""
CREATE OR REPLACE FUNCTION si_identity_branch_check() RETURNS trigger AS $$
DECLARE
    branch_ids bigint[]; n_found bigint;
BEGIN
    SELECT array_agg(branch_id) INTO branch_ids FROM (SELECT DISTINCT branch_id FROM new_rows) k;
    IF branch_ids IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO n_found FROM (
        SELECT 1 FROM branches_branch b JOIN unnest(branch_ids) u(id) ON b.id = u.id FOR KEY SHARE OF b) x;
    IF n_found <> cardinality(branch_ids) THEN
        RAISE EXCEPTION 'identity rollup row refers to a missing branch' USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER si_identity_branch_insert AFTER INSERT ON si_policies_insuredidentitymonth
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION si_identity_branch_check();
CREATE TRIGGER si_identity_branch_update AFTER UPDATE ON si_policies_insuredidentitymonth
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION si_identity_branch_check();

CREATE OR REPLACE FUNCTION si_identity_branch_cascade() RETURNS trigger AS $$
BEGIN
    DELETE FROM si_policies_insuredidentitymonth r USING old_rows o WHERE r.branch_id = o.id;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER si_identity_branch_cascade AFTER DELETE ON branches_branch
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION si_identity_branch_cascade();

ALTER TABLE si_policies_insuredidentitymonth ALTER COLUMN id SET CACHE 1000;
"""

REVERSE = r"""
ALTER TABLE si_policies_insuredidentitymonth ALTER COLUMN id SET CACHE 1;
DROP TRIGGER IF EXISTS si_identity_branch_cascade ON branches_branch;
DROP TRIGGER IF EXISTS si_identity_branch_insert ON si_policies_insuredidentitymonth;
DROP TRIGGER IF EXISTS si_identity_branch_update ON si_policies_insuredidentitymonth;
DROP FUNCTION IF EXISTS si_identity_branch_cascade();
DROP FUNCTION IF EXISTS si_identity_branch_check();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('branches', '0001_initial'),
        ('si_policies', '0004_frozen_version_end_date'),
    ]

    operations = [
        migrations.AlterField(
            model_name='insuredidentitymonth',
            name='branch',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                    related_name='si_identity_months', to='branches.branch'),
        ),
        migrations.RunSQL(FORWARD, REVERSE),
    ]
