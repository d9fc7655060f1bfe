"""Freeze filed policy versions in the database, and load the shipped policy data."""
from django.db import migrations

FREEZE_SQL = r"""
CREATE OR REPLACE FUNCTION si_policy_frozen_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.locked_at IS NOT NULL THEN
            RAISE EXCEPTION 'policy % was used for a filed month and cannot be deleted', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.locked_at IS NOT NULL AND (
        NEW.locked_at IS NULL OR NEW.city <> OLD.city OR NEW.year_label <> OLD.year_label
        OR NEW.effective_from <> OLD.effective_from
        OR NEW.effective_to IS DISTINCT FROM OLD.effective_to
        OR NEW.rounding_social <> OLD.rounding_social
        OR NEW.rounding_housing_fund <> OLD.rounding_housing_fund) THEN
        RAISE EXCEPTION 'policy % was used for a filed month: make a new version instead', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER si_policy_frozen BEFORE UPDATE OR DELETE ON si_policies_citypolicy
    FOR EACH ROW EXECUTE FUNCTION si_policy_frozen_guard();

CREATE OR REPLACE FUNCTION si_policy_item_frozen_guard() RETURNS trigger AS $$
DECLARE
    pid bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN pid := NEW.policy_id; ELSE pid := OLD.policy_id; END IF;
    IF EXISTS (SELECT 1 FROM si_policies_citypolicy p WHERE p.id = pid AND p.locked_at IS NOT NULL)
       OR (TG_OP = 'UPDATE' AND EXISTS (
           SELECT 1 FROM si_policies_citypolicy p WHERE p.id = NEW.policy_id AND p.locked_at IS NOT NULL)) THEN
        RAISE EXCEPTION 'policy % was used for a filed month: its items cannot change', pid
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER si_policy_item_frozen BEFORE INSERT OR UPDATE OR DELETE ON si_policies_policyitem
    FOR EACH ROW EXECUTE FUNCTION si_policy_item_frozen_guard();
"""

UNFREEZE_SQL = """
DROP TRIGGER IF EXISTS si_policy_item_frozen ON si_policies_policyitem;
DROP TRIGGER IF EXISTS si_policy_frozen ON si_policies_citypolicy;
DROP FUNCTION IF EXISTS si_policy_item_frozen_guard();
DROP FUNCTION IF EXISTS si_policy_frozen_guard();
"""


def load(apps, schema_editor):
    from social_insurance.policies.loader import load_policies

    load_policies(apps.get_model("si_policies", "CityPolicy"), apps.get_model("si_policies", "PolicyItem"))


class Migration(migrations.Migration):
    dependencies = [("si_policies", "0001_initial")]

    operations = [
        migrations.RunSQL(FREEZE_SQL, UNFREEZE_SQL),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
