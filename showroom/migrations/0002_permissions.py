from django.db import migrations

from accounts.permissions import seed_permissions, unseed_permissions

SELLERS = ["consultant", "sales_supervisor", "sales_manager", "dcc_agent"]
PERMISSIONS = {
    "showroom.register_visit": ("Register showroom visits", ["reception", "sales_manager"]),
    "showroom.view_board": ("See the showroom board", ["reception", *SELLERS, "gm"]),
    "showroom.view_visits": ("See the store's visit register", ["reception", "sales_supervisor", "sales_manager", "gm"]),
    "showroom.reassign_visit": ("Reassign visits to another consultant", ["reception", "sales_manager"]),
    "showroom.manage_rotation": ("Override the reception rotation", ["sales_supervisor", "sales_manager"]),
    "showroom.test_drive": ("Record test drives", SELLERS),
    "showroom.sell": ("Place sales orders", SELLERS),
    "showroom.deliver": ("Record deliveries", ["consultant", "sales_supervisor", "sales_manager", "dcc_agent"]),
    "showroom.view_orders": ("See sales orders", [*SELLERS, "gm", "cs_agent", "cs_manager"]),
    "showroom.manage_demo_cars": ("Manage demo cars and showroom settings", ["sales_manager", "admin"]),
    "showroom.view_clerk_figures": ("See the info clerks' figures", ["reception", "sales_manager", "gm"]),
}


def forwards(apps, schema_editor):
    seed_permissions(apps, PERMISSIONS)


def backwards(apps, schema_editor):
    unseed_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("showroom", "0001_initial"), ("accounts", "0002_default_roles")]
    operations = [migrations.RunPython(forwards, backwards)]
