"""History is never edited: manual adjustments and an inquiry's thread are append-only,
enforced in the database (a correction is a new row, not an UPDATE)."""
from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION portal_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only: post a new row instead', TG_TABLE_NAME;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS manual_adjustment_append_only ON portal_manualadjustment;
CREATE TRIGGER manual_adjustment_append_only BEFORE UPDATE OR DELETE ON portal_manualadjustment
    FOR EACH ROW EXECUTE FUNCTION portal_append_only();
DROP TRIGGER IF EXISTS inquiry_event_append_only ON portal_inquiryevent;
CREATE TRIGGER inquiry_event_append_only BEFORE UPDATE OR DELETE ON portal_inquiryevent
    FOR EACH ROW EXECUTE FUNCTION portal_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS manual_adjustment_append_only ON portal_manualadjustment;
DROP TRIGGER IF EXISTS inquiry_event_append_only ON portal_inquiryevent;
DROP FUNCTION IF EXISTS portal_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
