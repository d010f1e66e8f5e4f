from django.db import migrations

from accounts.permissions import seed_permissions, unseed_permissions

SALES_FLOOR = ["consultant", "sales_supervisor", "sales_manager", "dcc_agent", "dcc_manager", "gm"]
PERMISSIONS = {
    "reports.view": ("See the customer-analysis reports (own figures unless allowed more)", SALES_FLOOR),
    "reports.view_traffic": (
        "See the showroom traffic report and the store-visit register",
        [*SALES_FLOOR, "reception"],
    ),
    "reports.view_store": ("See the whole store's figures in reports", ["reception", "dcc_manager", "cs_manager", "gm"]),
    "reports.dashboard": ("See the store dashboard", ["sales_manager", "gm"]),
    "reports.set_targets": ("Set monthly sales targets", ["sales_manager", "gm"]),
    "reports.center": ("Download the report center's files and subscribe to them", ["sales_manager", "dcc_manager", "gm"]),
}


def forwards(apps, schema_editor):
    seed_permissions(apps, PERMISSIONS)


def backwards(apps, schema_editor):
    unseed_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial"), ("accounts", "0002_default_roles")]
    operations = [migrations.RunPython(forwards, backwards)]
