"""Remove recompute markers of periods outside the product's range ("0000-01", "0001-01" …).

Before the range was enforced on input, `recompute {period: "0000-01"}` or a client opened on
0001-01-15 left such a marker; its date arithmetic fails, it sorted first, and every later drain
of the branch aborted. Nothing can be recomputed for such a period, so its markers go.
"""
from django.db import migrations

from hrsaas.core.period import MAX_YEAR, MIN_YEAR, PERIOD_PATTERN


def forwards(apps, schema_editor):
    Marker = apps.get_model("commissions", "RecomputeMarker")
    bad = Marker.objects.exclude(period__regex=PERIOD_PATTERN)
    bad_ids = list(bad.values_list("pk", flat=True))
    for pk, period in Marker.objects.filter(period__regex=PERIOD_PATTERN).values_list("pk", "period"):
        if not MIN_YEAR <= int(period[:4]) <= MAX_YEAR:
            bad_ids.append(pk)
    Marker.objects.filter(pk__in=bad_ids).delete()


class Migration(migrations.Migration):
    dependencies = [("commissions", "0004_recompute_marker_failures")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
