from django.db import migrations

from accounts.permissions import seed_permissions, unseed_permissions

PERMISSIONS = {
    "complaints.sign": (
        "See the queue of complaints waiting for your signature",
        ["cs_agent", "cs_manager", "gm", "sales_manager", "consultant", "sales_supervisor"],
    ),
}


def forwards(apps, schema_editor):
    seed_permissions(apps, PERMISSIONS)


def backwards(apps, schema_editor):
    unseed_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0008_ssi_permissions"), ("accounts", "0002_default_roles")]
    operations = [migrations.RunPython(forwards, backwards)]
