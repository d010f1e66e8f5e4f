from django.db import migrations

from accounts.permissions import seed_permissions, unseed_permissions

# Sources and lost/invalid reasons are shared by all stores: editing them is the administrator's.
PERMISSIONS = {"leads.manage_sources": ("Manage the shared source and reason lists", ["admin"])}


def forwards(apps, schema_editor):
    seed_permissions(apps, PERMISSIONS)


def backwards(apps, schema_editor):
    unseed_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("leads", "0003_open_queue_indexes"), ("accounts", "0002_default_roles")]
    operations = [migrations.RunPython(forwards, backwards)]
