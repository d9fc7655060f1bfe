"""Seed the default HQ rules (SPEC §2) and make rule versions immutable in the database."""
from django.db import migrations


def seed_defaults(apps, schema_editor):
    if schema_editor.connection.schema_name != "public":
        return
    from commissions.hq.rules import DEFAULT_EFFECTIVE_FROM, DEFAULT_RULES

    RuleVersion = apps.get_model("commissions_hq", "RuleVersion")
    for component, params in DEFAULT_RULES.items():
        RuleVersion.objects.get_or_create(
            component=component, effective_from=DEFAULT_EFFECTIVE_FROM,
            defaults={"params": params, "note": "默认方案"},
        )
    apps.get_model("commissions_hq", "HQSetting").objects.get_or_create(pk=1)


IMMUTABLE = """
CREATE OR REPLACE FUNCTION commissions_hq_rule_version_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'rule versions are immutable: add a new version instead (id %%)', OLD.id;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS rule_version_immutable ON commissions_hq_ruleversion;
CREATE TRIGGER rule_version_immutable BEFORE UPDATE OR DELETE ON commissions_hq_ruleversion
    FOR EACH ROW EXECUTE FUNCTION commissions_hq_rule_version_immutable();
"""


def add_trigger(apps, schema_editor):
    if schema_editor.connection.schema_name != "public":
        return
    schema_editor.execute(IMMUTABLE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.schema_name != "public":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS rule_version_immutable ON commissions_hq_ruleversion")


class Migration(migrations.Migration):
    dependencies = [("commissions_hq", "0001_initial")]

    operations = [
        migrations.RunPython(seed_defaults, migrations.RunPython.noop),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
