"""Django admin for the DCC's records: read-mostly, for support staff; staff pages do the work."""

from django.contrib import admin

from .models import (
    AgentProfile,
    ArrivalReminder,
    Call,
    CallScript,
    CallScriptStep,
    CallTask,
    Campaign,
    CampaignMessage,
    DccSettings,
    MessageTemplate,
)


@admin.register(DccSettings)
class DccSettingsAdmin(admin.ModelAdmin):
    list_display = ["store", "version", "distribution", "first_call_sla_minutes"]
    readonly_fields = [f.name for f in DccSettings._meta.fields]


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "store", "skill_inbound", "skill_outbound", "skill_direct", "on_duty"]
    list_filter = ["store", "on_duty"]
    readonly_fields = ["store", "user", "updated_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CallTask)
class CallTaskAdmin(ReadOnlyAdmin):
    list_display = ["id", "store", "lead", "agent", "rule", "status", "priority", "due_at", "sla_due_at"]
    list_filter = ["store", "status", "rule"]
    raw_id_fields = ["lead", "agent", "appointment"]


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = ["id", "store", "agent", "direction", "outcome", "started_at", "duration_seconds"]
    list_filter = ["store", "direction", "outcome"]
    raw_id_fields = ["lead", "task", "agent", "follow_up", "appointment"]


class CallScriptStepInline(admin.TabularInline):
    model = CallScriptStep
    extra = 0


@admin.register(CallScript)
class CallScriptAdmin(ReadOnlyAdmin):
    list_display = ["store", "name", "updated_at"]
    inlines = [CallScriptStepInline]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ReadOnlyAdmin):
    list_display = ["store", "kind", "channel", "name", "is_active"]
    list_filter = ["store", "kind"]


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ["store", "name", "kind", "status", "queued_count", "sent_count", "failed_count", "created_at"]
    list_filter = ["store", "status", "kind"]


@admin.register(CampaignMessage)
class CampaignMessageAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "lead", "address", "status", "sent_at"]
    list_filter = ["status"]
    raw_id_fields = ["campaign", "lead", "follow_up"]


@admin.register(ArrivalReminder)
class ArrivalReminderAdmin(ReadOnlyAdmin):
    list_display = ["appointment", "kind", "status", "channel", "sent_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["appointment"]
