"""A cycle's bonus lines pay a department once: every bonus rule pays the department's whole base
bonus, so a second line for the same cycle and department would pay it twice. Enforced for new
lines by a trigger (a unique index would fail on lines stored before the rule, which are history
and are not rewritten; a recompute replaces a cycle's lines, so the next one of such a cycle
passes)."""
from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION perf_refuse_second_bonus_line() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM performance_bonusline l
               WHERE l.cycle_id = NEW.cycle_id AND l.department_id = NEW.department_id) THEN
        RAISE EXCEPTION 'a department is paid one bonus line per cycle (cycle %, department %)',
            NEW.cycle_id, NEW.department_id USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER perf_bonus_line_once_per_department BEFORE INSERT ON performance_bonusline
    FOR EACH ROW EXECUTE FUNCTION perf_refuse_second_bonus_line();
"""

REVERSE = """
DROP TRIGGER IF EXISTS perf_bonus_line_once_per_department ON performance_bonusline;
DROP FUNCTION IF EXISTS perf_refuse_second_bonus_line();
"""


class Migration(migrations.Migration):
    dependencies = [("performance", "0002_history_is_never_edited")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
