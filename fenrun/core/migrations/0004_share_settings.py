"""The shop's share card (cover image and description), one row."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_integratortoken"),
    ]

    operations = [
        migrations.CreateModel(
            name="ShareSettings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "cover_image",
                    models.ImageField(
                        blank=True,
                        help_text="Shown when a link to the shop or to a product without photos is shared. Best at 1200 × 630 pixels. Empty: a picture with the shop's name.",
                        upload_to="share/",
                        verbose_name="cover image",
                    ),
                ),
                (
                    "description",
                    models.CharField(
                        blank=True,
                        help_text="The line under the shop's name in a shared link's preview.",
                        max_length=200,
                        verbose_name="share description",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "share card",
                "verbose_name_plural": "share card",
            },
        ),
    ]
