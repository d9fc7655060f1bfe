from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0003_claim_names_statement_line'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalrewardclaim',
            name='review_args',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='rewardclaim',
            name='review_args',
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
