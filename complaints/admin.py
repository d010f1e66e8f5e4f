from django.contrib import admin

from .models import Callback, CallbackSettings, Complaint, ComplaintSettings, ComplaintStep


class ComplaintStepInline(admin.TabularInline):
    model = ComplaintStep
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_status", "to_status", "actor", "note", "signed_at", "waited"]


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """Read-only: tickets move only through their signatures in the app."""

    list_display = ["number", "store", "customer", "category", "status", "due_at", "breached"]
    list_filter = ["store", "status", "category", "breached", "media_or_legal"]
    search_fields = ["number", "customer__name"]
    inlines = [ComplaintStepInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    list_display = ["order", "kind", "due_date", "assignee", "done_at", "reached"]
    list_filter = ["store", "kind"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


admin.site.register(ComplaintSettings)
admin.site.register(CallbackSettings)
