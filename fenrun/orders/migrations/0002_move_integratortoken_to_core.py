"""IntegratorToken now belongs to core (fenrun.core.models); its table and rows stay put.

Only Django's idea of the model moves: core's 0003 takes it over under the same table name.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IntegratorToken")],
            database_operations=[],
        ),
    ]
