"""An indicator's optional English name, shown on English pages (the name stays the Chinese one).
Adding a column updates no row, so the immutability trigger of 0002 is not in the way."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('performance', '0003_bonus_line_once_per_department'),
    ]

    operations = [
        migrations.AddField(
            model_name='kpiindicator',
            name='name_en',
            field=models.CharField(blank=True, default='', max_length=100, verbose_name='英文名称'),
        ),
    ]
