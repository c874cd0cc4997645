# The index estimate_point_published is declared as a CoveringIndex (INCLUDE on PostgreSQL only, no W040 on
# SQLite). The database already holds exactly that index on both: only the migration state changes.

import queues.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('queues', '0009_estimate_point_predictors'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(
                    model_name='estimatepoint',
                    name='estimate_point_published',
                ),
                migrations.AddIndex(
                    model_name='estimatepoint',
                    index=queues.models.CoveringIndex(condition=models.Q(('published', True)), covering=('wait_minutes', 'low_minutes', 'high_minutes', 'drivers'), fields=['queue', 'at'], name='estimate_point_published'),
                ),
            ],
        ),
    ]
