from django.db import migrations

from accounts.permissions import seed_permissions, unseed_permissions

PERMISSIONS = {
    "callbacks.reminders": ("Work vehicle-service reminders and log enquiries", ["cs_agent", "cs_manager"]),
}


def forwards(apps, schema_editor):
    seed_permissions(apps, PERMISSIONS)


def backwards(apps, schema_editor):
    unseed_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0005_reminders_enquiries"), ("accounts", "0002_default_roles")]
    operations = [migrations.RunPython(forwards, backwards)]
