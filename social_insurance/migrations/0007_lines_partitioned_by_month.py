"""Contribution lines: one partition per month (PARTITION BY LIST (period)), itself split by
source: the month's regular lines in one partition, its corrections (补缴/退费/补差) in another.

A month's first compute writes a few hundred thousand regular lines at once. Into one indexed
table that is a row-by-row insert into seven btrees; into the month's own new partition it is a
load into a bare table, then each index built by one sort, then ATTACH PARTITION (see
`social_insurance.sql.load_new_month`). Corrections posted into a month before its first
compute (a dispute resolved after the 10th) live beside, so they never stand in the way of
that load. Every read of lines names its month, so it touches one month's tables.

What changes in the database: the primary key is (id, period, source) — a partitioned table's
unique keys must contain its partition keys. `id` still comes from the table's one identity
sequence and stays unique; Django keeps treating it as the primary key, and nothing has a
database foreign key to lines (they are checked by the statement-level triggers of 0003/0006,
which move over to the partitioned table unchanged). The business key, the check constraints
and the indexes keep their names, so later migrations find them.

Existing lines move into the partitions of their months, with their ids; the new identity
sequence continues after every id the old one gave.
"""
from django.db import migrations

# The triggers on lines are copied from the catalogue (their definitions as 0002, 0003 and 0006
# left them) rather than restated here.
_COPY_TRIGGERS = r"""
DO $$
DECLARE
    definitions text[];
    definition text;
BEGIN
    SELECT array_agg(pg_get_triggerdef(oid) ORDER BY tgname) INTO definitions FROM pg_trigger
     WHERE tgrelid = '{old}'::regclass AND NOT tgisinternal;
    FOREACH definition IN ARRAY COALESCE(definitions, '{{}}') LOOP
        EXECUTE regexp_replace(definition, ' ON \S+ ', ' ON {new} ');
    END LOOP;
END $$;
"""

_INDEXES = """
ALTER TABLE social_insurance_contributionline
    ADD CONSTRAINT social_insurance_contributionline_pkey PRIMARY KEY ({pk}),
    ADD CONSTRAINT si_line_business_key UNIQUE (period, employee_id, kind, source, for_period);
CREATE INDEX si_line_period_client ON social_insurance_contributionline (period, client_id);
CREATE INDEX social_insurance_contributionline_client_id_0439eec0 ON social_insurance_contributionline (client_id);
CREATE INDEX social_insurance_contributionline_corrects_id_e308d9bb ON social_insurance_contributionline (corrects_id);
CREATE INDEX social_insurance_contributionline_dispute_id_fe488d40 ON social_insurance_contributionline (dispute_id);
CREATE INDEX social_insurance_contributionline_employee_id_7e6df04e ON social_insurance_contributionline (employee_id);
"""

# The new table's identity sequence goes on after every id the old one ever gave, not only after
# the surviving lines': ids of deleted lines are not handed out again.
_CONTINUE_IDS = r"""
DO $$
DECLARE
    given bigint;
BEGIN
    EXECUTE format('SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM %s',
                   pg_get_serial_sequence('si_line_previous', 'id')) INTO given;
    PERFORM setval(pg_get_serial_sequence('social_insurance_contributionline', 'id'),
                   GREATEST(given, (SELECT COALESCE(max(id), 0) FROM si_line_previous)) + 1, false);
END $$;
"""

# A month: its table, partitioned by source, with the regular lines in one partition and the
# corrections (补缴, 退费, 补差) in the other. Not a default partition: attaching the regular
# lines beside a default one would lock it exclusively until the compute commits.
MONTH_SQL = r"""
CREATE OR REPLACE FUNCTION pg_temp.si_line_month(month text) RETURNS void AS $$
DECLARE
    name text := 'social_insurance_contributionline_' || replace(month, '-', '_');
BEGIN
    EXECUTE format('CREATE TABLE %I PARTITION OF social_insurance_contributionline FOR VALUES IN (%L) '
                   'PARTITION BY LIST (source)', name, month);
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES IN (%L)', name || '_regular', name, 'regular');
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES IN (%L, %L, %L)',
                   name || '_corrections', name, 'back_pay', 'refund', 'true_up');
END $$ LANGUAGE plpgsql;
"""

FORWARD = """
ALTER TABLE social_insurance_contributionline RENAME TO si_line_previous;
CREATE TABLE social_insurance_contributionline
    (LIKE si_line_previous INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY)
    PARTITION BY LIST (period);
""" + MONTH_SQL + """
SELECT pg_temp.si_line_month(period) FROM (SELECT DISTINCT period FROM si_line_previous) m;
INSERT INTO social_insurance_contributionline SELECT * FROM si_line_previous;
""" + _CONTINUE_IDS + _COPY_TRIGGERS.format(old="si_line_previous", new="social_insurance_contributionline") + """
DROP TABLE si_line_previous;
""" + _INDEXES.format(pk="id, period, source")

# Back to one table (the months' rows with their ids, the same names and triggers).
REVERSE = """
ALTER TABLE social_insurance_contributionline RENAME TO si_line_previous;
CREATE TABLE social_insurance_contributionline
    (LIKE si_line_previous INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY);
INSERT INTO social_insurance_contributionline SELECT * FROM si_line_previous;
""" + _CONTINUE_IDS + _COPY_TRIGGERS.format(old="si_line_previous", new="social_insurance_contributionline") + """
DROP TABLE si_line_previous;
""" + _INDEXES.format(pk="id")


class Migration(migrations.Migration):

    dependencies = [("social_insurance", "0006_one_line_write_check")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
