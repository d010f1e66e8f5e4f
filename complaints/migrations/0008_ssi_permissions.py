from django.db import migrations

from accounts.permissions import seed_permissions, unseed_permissions

PERMISSIONS = {
    "ssi.view": ("See and build the SSI scorecards", ["cs_manager", "gm"]),
    "ssi.approve": ("Approve the month's SSI scorecard", ["gm"]),
}


def forwards(apps, schema_editor):
    seed_permissions(apps, PERMISSIONS)


def backwards(apps, schema_editor):
    unseed_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0007_ssi"), ("accounts", "0002_default_roles")]
    operations = [migrations.RunPython(forwards, backwards)]
