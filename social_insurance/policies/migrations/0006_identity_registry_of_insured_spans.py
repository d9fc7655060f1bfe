"""HQ identity registry: one row per insured employee record and its span of months, replacing
the rollup of one row per person and month (and the statement-level branch triggers 0005 put on
it). A branch's monthly compute now writes only what changed since its last compute; the
registry fills at each branch's next compute (the daily cycle task runs one for every open
month)."""
import importlib

import django.db.models.deletion
from django.db import migrations, models

_previous = importlib.import_module("social_insurance.policies.migrations.0005_identity_rollup_branch_checked_per_statement")


class Migration(migrations.Migration):

    dependencies = [
        ('branches', '0001_initial'),
        ('si_policies', '0005_identity_rollup_branch_checked_per_statement'),
    ]

    operations = [
        migrations.RunSQL(_previous.REVERSE, _previous.FORWARD),
        migrations.CreateModel(
            name='RepeatedIdentity',
            fields=[
                ('id_hash', models.CharField(max_length=64, primary_key=True, serialize=False)),
            ],
        ),
        migrations.CreateModel(
            name='InsuredIdentitySpan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('employee_id', models.BigIntegerField()),
                ('id_hash', models.CharField(max_length=64)),
                ('id_masked', models.CharField(max_length=20)),
                ('first_month', models.DateField()),
                ('last_month', models.DateField(blank=True, null=True)),
                ('branch', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='si_identity_spans', to='branches.branch')),
            ],
        ),
        migrations.DeleteModel(
            name='InsuredIdentityMonth',
        ),
        migrations.AddIndex(
            model_name='insuredidentityspan',
            index=models.Index(fields=['id_hash'], name='si_identity_span_hash'),
        ),
        migrations.AddConstraint(
            model_name='insuredidentityspan',
            constraint=models.UniqueConstraint(fields=('branch', 'employee_id'), name='si_identity_span_unique'),
        ),
        migrations.AddConstraint(
            model_name='insuredidentityspan',
            constraint=models.CheckConstraint(condition=models.Q(('last_month__isnull', True), ('last_month__gte', models.F('first_month')), _connector='OR'), name='si_identity_span_ordered'),
        ),
    ]
