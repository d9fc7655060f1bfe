"""Template versions, their indicators and bonus rule versions are never edited (a change is a
new version), and a finalised cycle's scores are frozen: enforced by triggers, not only Python."""
from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION perf_refuse_edit() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are immutable: create a new version instead', TG_TABLE_NAME;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER perf_template_version_immutable BEFORE UPDATE ON performance_kpitemplateversion
    FOR EACH ROW EXECUTE FUNCTION perf_refuse_edit();
CREATE TRIGGER perf_indicator_immutable BEFORE UPDATE ON performance_kpiindicator
    FOR EACH ROW EXECUTE FUNCTION perf_refuse_edit();
CREATE TRIGGER perf_bonus_rule_immutable BEFORE UPDATE ON performance_bonusrule
    FOR EACH ROW EXECUTE FUNCTION perf_refuse_edit();

CREATE OR REPLACE FUNCTION perf_refuse_finalised_score() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM performance_appraisalcycle c
               WHERE c.id = OLD.cycle_id AND c.status = 'finalised') THEN
        RAISE EXCEPTION 'scores of a finalised cycle are frozen';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER perf_score_frozen BEFORE UPDATE OR DELETE ON performance_score
    FOR EACH ROW EXECUTE FUNCTION perf_refuse_finalised_score();
"""

REVERSE = """
DROP TRIGGER IF EXISTS perf_score_frozen ON performance_score;
DROP TRIGGER IF EXISTS perf_bonus_rule_immutable ON performance_bonusrule;
DROP TRIGGER IF EXISTS perf_indicator_immutable ON performance_kpiindicator;
DROP TRIGGER IF EXISTS perf_template_version_immutable ON performance_kpitemplateversion;
DROP FUNCTION IF EXISTS perf_refuse_finalised_score();
DROP FUNCTION IF EXISTS perf_refuse_edit();
"""


class Migration(migrations.Migration):
    dependencies = [("performance", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
