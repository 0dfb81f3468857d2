"""Integrator keys get scopes. Keys issued before keep what they could call then: push and
read their orders, read commission plans and their orders' commissions (``BEFORE_SCOPES``).
Status changes and member look-ups were never open to them, so they do not get those."""

from django.db import migrations, models

# Written out, not imported: a migration must not change when the code's constants do.
BEFORE_SCOPES = ["orders.read", "orders.write", "commissions.read"]


def grant_previous_rights(apps, schema_editor):
    IntegratorToken = apps.get_model("core", "IntegratorToken")
    IntegratorToken.objects.update(scopes=BEFORE_SCOPES)


class Migration(migrations.Migration):
    dependencies = [("core", "0005_done_once")]

    operations = [
        migrations.AddField(
            model_name="integratortoken",
            name="scopes",
            field=models.JSONField(blank=True, default=list, verbose_name="scopes"),
        ),
        migrations.RunPython(grant_previous_rights, migrations.RunPython.noop),
    ]
