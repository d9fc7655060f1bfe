"""No two versions of one city's policy overlap in time, enforced by a trigger.

Replaces an exclusion constraint that needed the btree_gist extension (not available in every
PostgreSQL build, e.g. the embedded one the run script falls back to). The error keeps the
exclusion-violation SQLSTATE (23P01), so callers see the same IntegrityError."""
from django.db import migrations

FORWARD = """
ALTER TABLE si_policies_citypolicy DROP CONSTRAINT IF EXISTS si_policy_no_overlap;
CREATE OR REPLACE FUNCTION si_policy_no_overlap() RETURNS trigger AS $$
BEGIN
    -- Serialise writers of one city so two concurrent inserts cannot both pass the check.
    PERFORM pg_advisory_xact_lock(hashtext('si_policy:' || NEW.city));
    IF EXISTS (
        SELECT 1 FROM si_policies_citypolicy p
        WHERE p.city = NEW.city AND p.id <> NEW.id
          AND daterange(p.effective_from, p.effective_to, '[]') && daterange(NEW.effective_from, NEW.effective_to, '[]')
    ) THEN
        RAISE EXCEPTION USING ERRCODE = '23P01',
            MESSAGE = 'policy ' || NEW.city || ' ' || NEW.effective_from::text || '–'
                      || coalesce(NEW.effective_to::text, '…') || ' overlaps another version of the same city';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS si_policy_no_overlap ON si_policies_citypolicy;
CREATE TRIGGER si_policy_no_overlap BEFORE INSERT OR UPDATE OF city, effective_from, effective_to
    ON si_policies_citypolicy FOR EACH ROW EXECUTE FUNCTION si_policy_no_overlap();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS si_policy_no_overlap ON si_policies_citypolicy;
DROP FUNCTION IF EXISTS si_policy_no_overlap();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.schema_name == "public":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.schema_name == "public":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("si_policies", "0002_freeze_and_load")]

    operations = [migrations.RunPython(forward, backward)]
