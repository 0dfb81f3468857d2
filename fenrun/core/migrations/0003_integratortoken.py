"""IntegratorToken moves here from orders; the table ``orders_integratortoken`` already exists
(orders' 0001 created it), so this only records the model in core's state."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_default_roles"),
        ("orders", "0002_move_integratortoken_to_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IntegratorToken",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=40, unique=True, verbose_name="name")),
                        ("key_hash", models.CharField(editable=False, max_length=64, unique=True)),
                        ("prefix", models.CharField(editable=False, max_length=8)),
                        ("is_active", models.BooleanField(default=True, verbose_name="active")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("last_used_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "verbose_name": "integrator token",
                        "verbose_name_plural": "integrator tokens",
                        "db_table": "orders_integratortoken",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
