from django.db import migrations


def store_paths_uncompressed(apps, schema_editor):
    # PostgreSQL only: deep paths (tens of kB) would otherwise be compressed, and every
    # SUBSTR of one - the upline query slices the member's path - would decompress all of it.
    # Uncompressed out-of-line values are sliced by reading only the chunks needed.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE referrals_referralnode ALTER COLUMN path SET STORAGE EXTERNAL"
    )


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]

    operations = [migrations.RunPython(store_paths_uncompressed, migrations.RunPython.noop)]
