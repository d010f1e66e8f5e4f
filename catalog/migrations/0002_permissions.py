from django.db import migrations

from accounts.permissions import ALL_ROLES, seed_permissions, unseed_permissions

PERMISSIONS = {
    "catalog.view_catalog": ("Browse the vehicle catalog", ALL_ROLES),
    "catalog.manage_catalog": ("Maintain the vehicle catalog and import price lists", ["admin"]),
}


def forwards(apps, schema_editor):
    seed_permissions(apps, PERMISSIONS)


def backwards(apps, schema_editor):
    unseed_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("accounts", "0002_default_roles"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
