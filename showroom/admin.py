"""Django admin for the showroom: read-only, for inspection. Every write goes through the pages and
the API, which call ``showroom.services`` (rules checked, audited)."""

from django.contrib import admin

from .models import DemoVehicle, Order, RotationEntry, ShowroomSettings, TestDrive, Visit


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["arrived_at", "store", "visitor_name", "is_first_visit", "consultant", "filed", "departed_at"]
    list_filter = ["store", "is_first_visit", "filed"]
    list_select_related = ["store", "consultant"]
    date_hierarchy = "arrived_at"


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "store", "customer", "seller", "status", "is_first_visit_deal", "is_dcc_sale"]
    list_filter = ["store", "status", "is_dcc_sale"]
    list_select_related = ["store", "customer", "seller"]
    search_fields = ["number", "vin"]


@admin.register(TestDrive)
class TestDriveAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "vehicle", "consultant", "lead"]


@admin.register(DemoVehicle)
class DemoVehicleAdmin(ReadOnlyAdmin):
    list_display = ["plate", "store", "trim", "vin", "is_active"]


@admin.register(RotationEntry)
class RotationEntryAdmin(ReadOnlyAdmin):
    list_display = ["consultant", "store", "state", "last_assigned_at", "priority"]


@admin.register(ShowroomSettings)
class ShowroomSettingsAdmin(ReadOnlyAdmin):
    list_display = ["store", "timely_minutes", "cross_check_hours", "order_prefix"]
