from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import (
    AuditLog,
    DealerGroup,
    Holiday,
    Membership,
    Notification,
    OpeningHours,
    Permission,
    Role,
    Store,
    Team,
    User,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (
        (
            "DealerCRM",
            {"fields": ("full_name", "phone", "language", "can_export", "can_see_full_phone", "notify_by_email")},
        ),
    )
    list_display = ("username", "full_name", "is_active", "can_export", "can_see_full_phone")
    inlines = [MembershipInline]


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "group", "is_active")
    inlines = [OpeningHoursInline]


admin.site.register(DealerGroup)
admin.site.register(Holiday)
admin.site.register(Permission)
admin.site.register(Role)
admin.site.register(Team)
admin.site.register(Notification)


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "store", "action", "object_repr")
    list_filter = ("action", "store")

    def has_change_permission(self, request, obj=None):
        return False
