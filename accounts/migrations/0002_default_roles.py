from django.db import migrations

from accounts.permissions import ALL_ROLES, seed_permissions

PERMISSIONS = {
    "accounts.manage_stores": ("Manage stores, opening hours and holidays", ["admin"]),
    "accounts.manage_users": ("Manage users and their roles", ["admin"]),
    "accounts.manage_roles": ("Adjust roles and their permissions", ["admin"]),
    "accounts.manage_teams": ("Manage sales teams", ["admin", "sales_manager"]),
    "accounts.view_audit_log": ("View the audit log", ["admin", "gm"]),
}


def forwards(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code in ALL_ROLES:
        Role.objects.get_or_create(store=None, code=code)
    seed_permissions(apps, PERMISSIONS)


def backwards(apps, schema_editor):
    apps.get_model("accounts", "Permission").objects.filter(code__in=PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
