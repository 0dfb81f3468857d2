"""The default staff roles as groups. Frozen here: later changes to the defaults get their own
migration, and a group a shop already has keeps the permissions the shop gave it."""

from django.db import migrations

ALL = [
    "manage_plans",
    "settle_commissions",
    "view_wallets",
    "decide_wallet_requests",
    "pay_withdrawals",
    "adjust_wallets",
    "view_reports",
    "view_contact_data",
    "manage_orders",
    "fulfil_orders",
    "manage_catalogue",
    "manage_campaigns",
    "manage_members",
    "change_sponsors",
    "manage_integrations",
    "manage_staff",
]
ROLES = {
    "店長": ALL,
    "財務": [
        "manage_plans",
        "settle_commissions",
        "view_wallets",
        "decide_wallet_requests",
        "pay_withdrawals",
        "adjust_wallets",
        "view_reports",
        "view_contact_data",
    ],
    "出貨": ["fulfil_orders"],
    "行銷": ["view_reports", "manage_campaigns"],
}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the groups need them now.
    core = apps.get_app_config("core")
    core.models_module = True
    create_permissions(core, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="core")}
    for name, codenames in ROLES.items():
        group, created = Group.objects.get_or_create(name=name)
        if created:
            group.permissions.set([perms[c] for c in codenames])


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_staff_capability"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, drop_roles)]
