from django.db import migrations

from accounts.permissions import seed_permissions, unseed_permissions

PERMISSIONS = {
    "complaints.view": ("See every complaint of the store", ["cs_agent", "cs_manager", "sales_manager", "gm"]),
    "complaints.register": ("Register a complaint", ["cs_agent"]),
    "complaints.give_opinion": ("Sign a complaint with a handling opinion", ["cs_manager"]),
    "complaints.approve_opinion": ("Approve or send back a handling opinion", ["gm"]),
    "complaints.dispatch": ("Dispatch a complaint to a consultant", ["sales_manager"]),
    "complaints.handle": ("Handle a complaint dispatched to you", ["consultant", "sales_supervisor"]),
    "complaints.confirm": ("Confirm a resolution with the customer, or reopen it", ["cs_manager"]),
    "complaints.sign_off": ("Sign a complaint off", ["gm"]),
    "complaints.archive": ("Archive a closed complaint", ["cs_agent"]),
    "complaints.manage_settings": ("Set complaint handling times", ["cs_manager", "gm"]),
}


def forwards(apps, schema_editor):
    seed_permissions(apps, PERMISSIONS)


def backwards(apps, schema_editor):
    unseed_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial"), ("accounts", "0002_default_roles")]
    operations = [migrations.RunPython(forwards, backwards)]
