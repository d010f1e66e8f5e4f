"""API shapes of the DCC: input serializers validate, services act, output serializers answer."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Store, User
from leads.models import WORKING_GRADES, Appointment, Lead, Source
from leads.selectors import display_phone

from ..models import Call, CallScript, CallTask, Campaign, MessageTemplate, Outcome


@extend_schema_field(OpenApiTypes.STR)
class PlainChoiceField(serializers.ChoiceField):
    """A validated choice shown in the schema as a plain string: its values are listed in the help
    text, so two fields of the same name in different apps never fight over one enum name."""


class CustomerBriefMixin:
    def customer_brief(self, lead: Lead) -> dict:
        request = self.context.get("request")
        phone = display_phone(request.user, lead) if request is not None else ""
        return {"id": lead.customer_id, "name": lead.customer.name, "phone": phone}


class CallTaskSerializer(CustomerBriefMixin, serializers.ModelSerializer):
    customer = serializers.SerializerMethodField()
    rule_display = serializers.CharField(source="get_rule_display", read_only=True)
    result = serializers.CharField(read_only=True, help_text="The last call's outcome (see ``outcome`` of calls).")

    class Meta:
        model = CallTask
        fields = [
            "id",
            "store",
            "lead",
            "customer",
            "agent",
            "rule",
            "rule_display",
            "priority",
            "due_at",
            "status",
            "result",
            "attempts",
            "appointment",
            "sla_due_at",
            "first_call_at",
            "sla_breached_at",
            "note",
            "created_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_customer(self, task) -> dict:
        return self.customer_brief(task.lead)


class CallSerializer(CustomerBriefMixin, serializers.ModelSerializer):
    customer = serializers.SerializerMethodField()

    class Meta:
        model = Call
        fields = [
            "id",
            "store",
            "task",
            "lead",
            "customer",
            "agent",
            "direction",
            "started_at",
            "duration_seconds",
            "recording_ref",
            "outcome",
            "callback_at",
            "note",
            "script_steps",
            "follow_up",
            "appointment",
            "created_at",
        ]
        read_only_fields = fields

    def get_customer(self, call) -> dict:
        return self.customer_brief(call.lead)


class CallInputSerializer(serializers.Serializer):
    """A call's outcome. ``receiver``, ``scheduled_at`` and ``purpose`` for an invitation;
    ``callback_at`` for a call back; duration and recording when a phone system knows them."""

    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    started_at = serializers.DateTimeField(required=False, allow_null=True)
    callback_at = serializers.DateTimeField(required=False, allow_null=True)
    grade = serializers.ChoiceField(
        choices=[(g.value, g.label) for g in WORKING_GRADES], required=False, allow_blank=True
    )
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True)
    receiver = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    purpose = serializers.ChoiceField(
        choices=Appointment.Purpose.choices, required=False, default=Appointment.Purpose.VIEW
    )
    script_steps = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, default=list)
    duration_seconds = serializers.IntegerField(min_value=0, max_value=24 * 3600, required=False, allow_null=True)
    recording_ref = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def call_input(self):
        from ..services import CallInput

        data = self.validated_data
        return CallInput(
            outcome=data["outcome"],
            note=data.get("note") or "",
            started_at=data.get("started_at"),
            callback_at=data.get("callback_at"),
            grade=data.get("grade") or None,
            scheduled_at=data.get("scheduled_at"),
            receiver=data.get("receiver"),
            purpose=data.get("purpose") or Appointment.Purpose.VIEW,
            script_steps=tuple(data.get("script_steps") or ()),
            duration_seconds=data.get("duration_seconds"),
            recording_ref=data.get("recording_ref") or "",
        )


class InboundInputSerializer(CallInputSerializer):
    store = serializers.PrimaryKeyRelatedField(queryset=Store.objects.filter(is_active=True))
    phone = serializers.CharField(max_length=30)
    name = serializers.CharField(max_length=60)
    source = serializers.SlugRelatedField(slug_field="code", queryset=Source.objects.filter(is_active=True))
    gender = serializers.ChoiceField(choices=[("m", "m"), ("f", "f"), ("", "")], required=False, default="")
    purchase_time = serializers.ChoiceField(choices=Lead.PurchaseTime.choices, required=False, default="")
    consent_marketing = serializers.BooleanField(required=False, default=False)


class TaskAddSerializer(serializers.Serializer):
    lead = serializers.PrimaryKeyRelatedField(queryset=Lead.objects.all())
    agent = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer):
    agent = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ScriptStepSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    title = serializers.CharField(max_length=100)
    guidance = serializers.CharField(required=False, allow_blank=True, default="")


class CallScriptSerializer(serializers.ModelSerializer):
    steps = ScriptStepSerializer(many=True)

    class Meta:
        model = CallScript
        fields = ["id", "store", "name", "steps", "updated_at"]
        read_only_fields = ["id", "store", "updated_at"]

    def validate_steps(self, value):
        if not value:
            raise serializers.ValidationError(_("A script needs at least one step."))
        return value


class CampaignSerializer(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)
    kind = serializers.CharField(read_only=True, help_text="sms, email or event")

    class Meta:
        model = Campaign
        fields = [
            "id",
            "store",
            "name",
            "kind",
            "template",
            "subject",
            "body",
            "event_name",
            "event_at",
            "filter_params",
            "status",
            "audience_count",
            "excluded_count",
            "queued_count",
            "sent_count",
            "failed_count",
            "skipped_count",
            "progress_percent",
            "created_by",
            "created_at",
            "queued_at",
            "finished_at",
        ]
        read_only_fields = fields


class CampaignInputSerializer(serializers.Serializer):
    store = serializers.PrimaryKeyRelatedField(queryset=Store.objects.filter(is_active=True))
    name = serializers.CharField(max_length=100)
    kind = PlainChoiceField(choices=Campaign.Kind.choices, help_text="sms, email or event")
    template = serializers.PrimaryKeyRelatedField(
        queryset=MessageTemplate.objects.all(), required=False, allow_null=True
    )
    subject = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    body = serializers.CharField(required=False, allow_blank=True, default="")
    event_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    event_at = serializers.DateTimeField(required=False, allow_null=True)
    filter_params = serializers.DictField(required=False, default=dict)

    def validate(self, attrs):
        template = attrs.get("template")
        if template is not None and not attrs.get("body"):
            attrs["body"] = template.body
            attrs["subject"] = attrs.get("subject") or template.subject
        return attrs


class PeriodSerializer(serializers.Serializer):
    store = serializers.PrimaryKeyRelatedField(queryset=Store.objects.filter(is_active=True))
    date_from = serializers.DateField()
    date_to = serializers.DateField()

    def validate(self, attrs):
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": [_("The end is before the start.")]})
        if (attrs["date_to"] - attrs["date_from"]).days > 731:
            raise serializers.ValidationError({"date_from": [_("Ask for two years at most.")]})
        return attrs
