from django.db import migrations

from accounts.permissions import seed_permissions, unseed_permissions

PERMISSIONS = {
    "ssi.manage_settings": ("Set the SSI thresholds and the reward and penalty tables", ["cs_manager", "gm"]),
}


def forwards(apps, schema_editor):
    seed_permissions(apps, PERMISSIONS)


def backwards(apps, schema_editor):
    unseed_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0011_ssi_role_rules"), ("accounts", "0002_default_roles")]
    operations = [migrations.RunPython(forwards, backwards)]
