from __future__ import annotations

from rest_framework import serializers

from ..models import Callback, Complaint, ComplaintStep, Enquiry, Scorecard, ScorecardLine, ServiceReminder


class ComplaintStepSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.display_name")

    class Meta:
        model = ComplaintStep
        fields = ["action", "from_status", "to_status", "actor", "note", "signed_at", "waited"]


class ComplaintSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    steps = ComplaintStepSerializer(many=True, read_only=True)

    class Meta:
        model = Complaint
        fields = [
            "id",
            "store",
            "number",
            "customer",
            "customer_name",
            "order",
            "vehicle",
            "category",
            "touchpoint",
            "facts",
            "emotion",
            "demand",
            "temperament",
            "media_or_legal",
            "cause",
            "countermeasure",
            "handler",
            "handling_result",
            "confirmation",
            "status",
            "registered_at",
            "due_at",
            "handled_at",
            "closed_at",
            "breached",
            "steps",
        ]


class ComplaintInputSerializer(serializers.Serializer):
    store = serializers.IntegerField()
    customer = serializers.IntegerField()
    order = serializers.IntegerField(required=False, allow_null=True)
    vehicle = serializers.CharField(required=False, allow_blank=True, max_length=120)
    category = serializers.ChoiceField(choices=Complaint.Category.choices)
    touchpoint = serializers.ChoiceField(choices=Complaint.Touchpoint.choices)
    facts = serializers.CharField()
    emotion = serializers.CharField(required=False, allow_blank=True)
    demand = serializers.CharField(required=False, allow_blank=True)
    temperament = serializers.ChoiceField(choices=Complaint.Temperament.choices, required=False, allow_blank=True)
    media_or_legal = serializers.BooleanField(required=False, default=False)


class SignInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[c for c in ComplaintStep.Action.choices if c[0] != "register"])
    note = serializers.CharField(required=False, allow_blank=True, default="")
    cause = serializers.CharField(required=False, allow_blank=True, default="")
    countermeasure = serializers.CharField(required=False, allow_blank=True, default="")
    handler = serializers.IntegerField(required=False, allow_null=True)
    handling_result = serializers.CharField(required=False, allow_blank=True, default="")
    confirmation = serializers.CharField(required=False, allow_blank=True, default="")


class CallbackSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    order_number = serializers.CharField(source="order.number", read_only=True)

    class Meta:
        model = Callback
        fields = [
            "id",
            "store",
            "order",
            "order_number",
            "customer",
            "customer_name",
            "assignee",
            "kind",
            "due_date",
            "done_at",
            "done_by",
            "reached",
            "result",
            "score",
            "dissatisfied",
            "checked_at",
            "checked_by",
            "check_note",
        ]


class CallbackRecordSerializer(serializers.Serializer):
    reached = serializers.BooleanField()
    result = serializers.CharField(allow_blank=True, required=False, default="")
    scores = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=10), required=False)
    dissatisfied = serializers.BooleanField(required=False, default=False)


class CallbackCheckSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True)


# --- Vehicle-service reminders ----------------------------------------------------------------


class ServiceReminderSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    order_number = serializers.CharField(source="order.number", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ServiceReminder
        fields = [
            "id",
            "store",
            "customer",
            "customer_name",
            "order",
            "order_number",
            "kind",
            "due_date",
            "done_at",
            "done_by",
            "result",
            "skipped",
        ]


class ReminderDoneSerializer(serializers.Serializer):
    result = serializers.CharField(help_text="What the customer said.")


class ReminderSkipSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the reminder is closed without a call.")


# --- Enquiries and help calls -----------------------------------------------------------------


class EnquirySerializer(serializers.ModelSerializer):
    class Meta:
        model = Enquiry
        fields = [
            "id",
            "store",
            "customer",
            "caller_name",
            "phone",
            "kind",
            "summary",
            "created_by",
            "created_at",
            "result",
            "passed_to",
            "handled_by",
            "handled_at",
        ]


class EnquiryCreateSerializer(serializers.Serializer):
    store = serializers.IntegerField()
    customer = serializers.IntegerField(required=False, allow_null=True)
    caller_name = serializers.CharField(max_length=60)
    phone = serializers.CharField(max_length=24, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=Enquiry.Kind.choices, required=False, default=Enquiry.Kind.ENQUIRY)
    summary = serializers.CharField()


class EnquiryHandleSerializer(serializers.Serializer):
    result = serializers.CharField(help_text="The answer given to the customer.")


class EnquiryPassSerializer(serializers.Serializer):
    passed_to = serializers.IntegerField(help_text="The colleague of the store who takes it over (is notified).")
    result = serializers.CharField(help_text="Why it is passed on, and what was told to the customer.")


# --- SSI scorecards ---------------------------------------------------------------------------


class ScorecardLineSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.display_name", read_only=True)

    class Meta:
        model = ScorecardLine
        fields = [
            "person",
            "person_name",
            "role",
            "surveys",
            "score",
            "zero_items",
            "outcome",
            "amount",
            "consequence",
        ]


class ScorecardSerializer(serializers.ModelSerializer):
    lines = ScorecardLineSerializer(many=True, read_only=True)

    class Meta:
        model = Scorecard
        fields = ["id", "store", "month", "built_at", "approved_at", "approved_by", "lines"]


class ScorecardBuildSerializer(serializers.Serializer):
    store = serializers.IntegerField()
    month = serializers.DateField(
        input_formats=["%Y-%m", "iso-8601"], help_text="The month, as YYYY-MM (or any day of it, YYYY-MM-DD)."
    )
