"""A frozen (filed-with) policy version may still get a new end date.

Publishing a policy year that applies back to July ends the previous version the day before,
and HQ may keep a year in force (沿用) until the next one is announced. The months already
filed keep their lines (their own triggers forbid any change); what was filed under the old
version is corrected by 补差 lines in an open month. Everything else of a frozen version stays
frozen, and a frozen version may be shortened only when, by commit, the next version of the
city starts the day after its new end (a deferred constraint trigger): no month is left
without a policy."""
from django.db import migrations

FORWARD = r"""
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
        OR NEW.rounding_social <> OLD.rounding_social
        OR NEW.rounding_housing_fund <> OLD.rounding_housing_fund) THEN
        RAISE EXCEPTION 'policy % was used for a filed month: make a new version instead', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION si_policy_frozen_end_check() RETURNS trigger AS $$
BEGIN
    IF OLD.locked_at IS NOT NULL AND NEW.effective_to IS NOT NULL
       AND (OLD.effective_to IS NULL OR NEW.effective_to < OLD.effective_to)
       AND NOT EXISTS (SELECT 1 FROM si_policies_citypolicy p
                        WHERE p.city = NEW.city AND p.effective_from = NEW.effective_to + 1) THEN
        RAISE EXCEPTION 'policy % was used for a filed month: it ends only where a next version starts', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS si_policy_frozen_end ON si_policies_citypolicy;
CREATE CONSTRAINT TRIGGER si_policy_frozen_end AFTER UPDATE OF effective_to ON si_policies_citypolicy
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION si_policy_frozen_end_check();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS si_policy_frozen_end ON si_policies_citypolicy;
DROP FUNCTION IF EXISTS si_policy_frozen_end_check();
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
"""


def forward(apps, schema_editor):
    if schema_editor.connection.schema_name == "public":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.schema_name == "public":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("si_policies", "0003_policy_overlap_trigger")]

    operations = [migrations.RunPython(forward, backward)]
