"""Serializers of the leads API: input serializers check what comes in, output ones answer.

Phone numbers go out masked (138****1234) unless the caller owns the lead or may see full
numbers, exactly as on the pages (``leads.selectors.display_phone``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Store, User
from catalog.models import Series

from ..importing import parse_purchase_time
from ..models import (
    Appointment,
    Customer,
    FollowUp,
    Grade,
    Lead,
    LeadStatus,
    LostReason,
    LostRequest,
    Source,
    Task,
)
from ..phones import mask_phone, normalize_phone
from ..selectors import can_see_full_phone

WORKING_GRADE_CHOICES = [(g.value, g.label) for g in (Grade.H, Grade.A, Grade.B, Grade.C)]


class NamedChoiceField(serializers.ChoiceField):
    """A choice field documented as a named enum component (``enum_name``) in the schema.

    Left to drf-spectacular, enums are named after their field, and leads, tasks, appointments
    and requests each have a different "status" (and "kind", "grade"): the names would collide.
    """

    def __init__(self, choices, *, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(choices, **kwargs)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField
    match_subclasses = True

    def get_name(self) -> str:
        return self.target.enum_name

    def map_serializer_field(self, auto_schema, direction):
        choices = self.target.choices
        return {
            "type": "string",
            "enum": list(choices),
            "description": "\n".join(f"* `{value}` - {label}" for value, label in choices.items()),
        }


def choice(enum_name: str, choices, **kwargs) -> NamedChoiceField:
    return NamedChoiceField(choices, enum_name=enum_name, **kwargs)


def _user(serializer: serializers.Serializer) -> User:
    return serializer.context["request"].user


def _name(user: User | None) -> str:
    return str(user) if user else ""


class PhoneField(serializers.CharField):
    """A phone number as people type it; stored normalised (13812345678, 021-58881234)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not value:
            return ""
        try:
            return normalize_phone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages)


# --- Output ---------------------------------------------------------------------------------


class OpenLeadSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    grade = serializers.CharField()
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    owner_name = serializers.SerializerMethodField()

    def get_owner_name(self, lead) -> str:
        return _name(lead.owner)


class CustomerSerializer(serializers.ModelSerializer):
    gender = choice("CustomerGenderEnum", Customer.Gender.choices, read_only=True)
    phone = serializers.SerializerMethodField(help_text=_("Masked (138****1234) unless you may see it in full."))
    phone2 = serializers.SerializerMethodField()
    open_lead = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "store",
            "name",
            "gender",
            "phone",
            "phone2",
            "wechat",
            "email",
            "address",
            "household",
            "best_time_to_call",
            "birthday",
            "consent_marketing",
            "do_not_disturb",
            "is_fleet",
            "company_name",
            "merged_into",
            "open_lead",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _full(self, customer) -> bool:
        user = _user(self)
        mine = getattr(customer, "owned_by_caller", None)
        if mine is not None:
            return user.can_see_full_phone or mine
        return can_see_full_phone(user, customer)

    def get_phone(self, customer) -> str:
        return customer.phone if self._full(customer) else mask_phone(customer.phone)

    def get_phone2(self, customer) -> str:
        return customer.phone2 if self._full(customer) else mask_phone(customer.phone2)

    @extend_schema_field(OpenLeadSummarySerializer(allow_null=True))
    def get_open_lead(self, customer):
        leads = getattr(customer, "open_leads", None)
        if leads is None:
            leads = list(customer.leads.open().select_related("owner")[:1])
        return OpenLeadSummarySerializer(leads[0]).data if leads else None


class LeadCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    phone = serializers.CharField(help_text=_("Masked unless you own the lead or may see full numbers."))


class LeadSerializer(serializers.ModelSerializer):
    customer = serializers.SerializerMethodField()
    owner_name = serializers.SerializerMethodField()
    source = serializers.SlugRelatedField(slug_field="code", read_only=True)
    source_name = serializers.CharField(source="source.name", read_only=True)
    series_name = serializers.SerializerMethodField()
    value_tier = serializers.CharField(
        read_only=True, help_text=_("high: visited; value: talked; general: no contact.")
    )
    purchase_time = choice("LeadPurchaseTimeEnum", Lead.PurchaseTime.choices, read_only=True)
    payment = choice("LeadPaymentEnum", Lead.Payment.choices, read_only=True)
    grade = choice("LeadGradeEnum", Grade.choices, read_only=True)
    status = choice("LeadStatusEnum", LeadStatus.choices, read_only=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "store",
            "customer",
            "owner",
            "owner_name",
            "source",
            "source_name",
            "campaign",
            "external_id",
            "series",
            "series_name",
            "budget",
            "purchase_time",
            "payment",
            "has_trade_in",
            "current_car",
            "need_confirmed",
            "budget_confirmed",
            "decision_maker_confirmed",
            "grade",
            "status",
            "is_fleet",
            "with_dcc",
            "value_tier",
            "next_follow_up_at",
            "last_follow_up_at",
            "first_visit_at",
            "in_pool_since",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(LeadCustomerSerializer)
    def get_customer(self, lead) -> dict:
        user = _user(self)
        full = user.can_see_full_phone or lead.owner_id == user.pk
        phone = lead.customer.phone
        return {"id": lead.customer_id, "name": lead.customer.name, "phone": phone if full else mask_phone(phone)}

    def get_owner_name(self, lead) -> str:
        return _name(lead.owner)

    def get_series_name(self, lead) -> str:
        return str(lead.series) if lead.series_id else ""


class FollowUpSerializer(serializers.ModelSerializer):
    channel = choice("FollowUpChannelEnum", FollowUp.Channel.choices, read_only=True)
    result = choice("FollowUpResultEnum", FollowUp.Result.choices, read_only=True)
    grade_before = choice("LeadGradeEnum", Grade.choices, read_only=True)
    grade_after = choice("LeadGradeEnum", Grade.choices, read_only=True)
    author_name = serializers.SerializerMethodField()
    customer_name = serializers.CharField(source="lead.customer.name", read_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "lead",
            "customer_name",
            "author",
            "author_name",
            "channel",
            "content",
            "result",
            "grade_before",
            "grade_after",
            "next_follow_up_at",
            "custom_plan",
            "created_at",
        ]
        read_only_fields = fields

    def get_author_name(self, follow_up) -> str:
        return _name(follow_up.author)


class TaskSerializer(serializers.ModelSerializer):
    kind = choice("TaskKindEnum", Task.Kind.choices, read_only=True)
    status = choice("TaskStatusEnum", Task.Status.choices, read_only=True)
    assignee_name = serializers.SerializerMethodField()
    customer_name = serializers.CharField(source="lead.customer.name", read_only=True)
    customer_phone = serializers.SerializerMethodField()
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "lead",
            "customer_name",
            "customer_phone",
            "assignee",
            "assignee_name",
            "kind",
            "title",
            "due_at",
            "due_date",
            "status",
            "is_overdue",
            "done_at",
            "follow_up",
            "created_at",
        ]
        read_only_fields = fields

    def get_assignee_name(self, task) -> str:
        return _name(task.assignee)

    def get_customer_phone(self, task) -> str:
        user = _user(self)
        phone = task.lead.customer.phone
        return phone if user.can_see_full_phone or task.lead.owner_id == user.pk else mask_phone(phone)


class FollowUpResultSerializer(FollowUpSerializer):
    next_task = serializers.SerializerMethodField(help_text=_("The follow-up task planned by this follow-up."))

    class Meta(FollowUpSerializer.Meta):
        fields = [*FollowUpSerializer.Meta.fields, "next_task"]
        read_only_fields = fields

    @extend_schema_field(TaskSerializer(allow_null=True))
    def get_next_task(self, follow_up):
        task = (
            Task.objects.open()
            .filter(lead_id=follow_up.lead_id, kind=Task.Kind.FOLLOW_UP)
            .select_related("lead__customer", "assignee")
            .order_by("due_at")
            .first()
        )
        return TaskSerializer(task, context=self.context).data if task else None


class AppointmentSerializer(serializers.ModelSerializer):
    purpose = choice("AppointmentPurposeEnum", Appointment.Purpose.choices, read_only=True)
    origin = choice("AppointmentOriginEnum", Appointment.Origin.choices, read_only=True)
    status = choice("AppointmentStatusEnum", Appointment.Status.choices, read_only=True)
    customer_name = serializers.CharField(source="lead.customer.name", read_only=True)
    receiver_name = serializers.SerializerMethodField()
    created_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Appointment
        fields = [
            "id",
            "lead",
            "customer_name",
            "scheduled_at",
            "purpose",
            "receiver",
            "receiver_name",
            "created_by",
            "created_by_name",
            "origin",
            "status",
            "arrived_at",
            "note",
            "created_at",
        ]
        read_only_fields = fields

    def get_receiver_name(self, appointment) -> str:
        return _name(appointment.receiver)

    def get_created_by_name(self, appointment) -> str:
        return _name(appointment.created_by)


class LostRequestSerializer(serializers.ModelSerializer):
    kind = choice("LostKindEnum", LostReason.Kind.choices, read_only=True)
    previous_status = choice("LeadStatusEnum", LeadStatus.choices, read_only=True)
    status = choice("LostRequestStatusEnum", LostRequest.Status.choices, read_only=True)
    customer_name = serializers.CharField(source="lead.customer.name", read_only=True)
    reason_name = serializers.CharField(source="reason.name", read_only=True)
    requested_by_name = serializers.SerializerMethodField()
    decided_by_name = serializers.SerializerMethodField()

    class Meta:
        model = LostRequest
        fields = [
            "id",
            "lead",
            "customer_name",
            "kind",
            "reason",
            "reason_name",
            "competitor_brand",
            "competitor_model",
            "note",
            "previous_status",
            "status",
            "requested_by",
            "requested_by_name",
            "requested_at",
            "decided_by",
            "decided_by_name",
            "decided_at",
            "decision_comment",
        ]
        read_only_fields = fields

    def get_requested_by_name(self, request) -> str:
        return _name(request.requested_by)

    def get_decided_by_name(self, request) -> str:
        return _name(request.decided_by)


class ReassignResultSerializer(serializers.Serializer):
    moved = serializers.IntegerField(help_text=_("How many leads changed owner."))


# --- Input ----------------------------------------------------------------------------------


class ScopedSerializer(serializers.Serializer):
    """An input serializer whose related-object fields only offer what the caller may touch:
    ``scoped_querysets`` (field → callable(user) → queryset) is applied per request."""

    scoped_querysets: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for name, queryset in self.scoped_querysets.items():
            field = self.fields[name]
            target = getattr(field, "child_relation", field)
            target.queryset = queryset(user) if user is not None and user.is_authenticated else target.queryset.none()


def _active_users(user):
    return User.objects.filter(is_active=True)


def _active_series(user):
    return Series.objects.filter(is_active=True)


class CustomerCreateInputSerializer(ScopedSerializer):
    """A new customer and its first lead (the desk's "new customer")."""

    store = serializers.PrimaryKeyRelatedField(
        queryset=Store.objects.all(),
        required=False,
        help_text=_("Needed only when you register customers in several stores."),
    )
    name = serializers.CharField(max_length=60)
    phone = PhoneField(required=False, allow_blank=True, default="")
    gender = choice("CustomerGenderEnum", Customer.Gender.choices, required=False, default="")
    wechat = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    consent_marketing = serializers.BooleanField(required=False, default=False)
    source = serializers.SlugRelatedField(slug_field="code", queryset=Source.objects.filter(is_active=True))
    campaign = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    series = serializers.PrimaryKeyRelatedField(queryset=Series.objects.none(), required=False, allow_null=True)
    purchase_time = choice("LeadPurchaseTimeEnum", Lead.PurchaseTime.choices, required=False, default="")
    grade = choice("LeadWorkingGradeEnum", WORKING_GRADE_CHOICES, required=False, allow_null=True, default=None)
    budget = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("Who works the lead; empty: you, when you own leads in that store."),
    )

    scoped_querysets = {
        "store": lambda user: Store.objects.filter(id__in=user.store_ids_with_perm("leads.capture")),
        "series": _active_series,
        "owner": _active_users,
    }


class CustomerUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60, required=False)
    phone = PhoneField(required=False, allow_blank=True)
    phone2 = PhoneField(required=False, allow_blank=True)
    gender = choice("CustomerGenderEnum", Customer.Gender.choices, required=False)
    wechat = serializers.CharField(max_length=60, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    household = serializers.CharField(max_length=200, required=False, allow_blank=True)
    best_time_to_call = serializers.CharField(max_length=60, required=False, allow_blank=True)
    birthday = serializers.DateField(required=False, allow_null=True)
    consent_marketing = serializers.BooleanField(required=False)
    do_not_disturb = serializers.BooleanField(required=False)


class MergeInputSerializer(ScopedSerializer):
    survivor = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    absorbed = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none(), many=True, allow_empty=False)
    values = serializers.DictField(
        child=serializers.IntegerField(),
        required=False,
        default=dict,
        help_text=_("Per field (name, phone, wechat …), the id of the customer whose value the survivor keeps."),
    )

    scoped_querysets = {
        "survivor": lambda user: _merge_candidates(user),
        "absorbed": lambda user: _merge_candidates(user),
    }


def _merge_candidates(user):
    from .scoping import visible_customers

    return visible_customers(user, "leads.merge").filter(merged_into__isnull=True)


class LeadCreateInputSerializer(ScopedSerializer):
    """A new enquiry of a known customer: opens a lead, or attaches to the open one (200)."""

    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    source = serializers.SlugRelatedField(slug_field="code", queryset=Source.objects.filter(is_active=True))
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.none(), required=False, allow_null=True)
    campaign = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    series = serializers.PrimaryKeyRelatedField(queryset=Series.objects.none(), required=False, allow_null=True)
    purchase_time = choice("LeadPurchaseTimeEnum", Lead.PurchaseTime.choices, required=False, default="")
    grade = choice("LeadWorkingGradeEnum", WORKING_GRADE_CHOICES, required=False, allow_null=True, default=None)
    budget = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")

    scoped_querysets = {
        "customer": lambda user: Customer.objects.filter(
            store_id__in=user.store_ids_with_perm("leads.capture"), merged_into__isnull=True
        ),
        "owner": _active_users,
        "series": _active_series,
    }


class LeadUpdateInputSerializer(ScopedSerializer):
    source = serializers.SlugRelatedField(
        slug_field="code", queryset=Source.objects.filter(is_active=True), required=False
    )
    campaign = serializers.CharField(max_length=100, required=False, allow_blank=True)
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    series = serializers.PrimaryKeyRelatedField(queryset=Series.objects.none(), required=False, allow_null=True)
    budget = serializers.CharField(max_length=40, required=False, allow_blank=True)
    purchase_time = choice("LeadPurchaseTimeEnum", Lead.PurchaseTime.choices, required=False)
    payment = choice("LeadPaymentEnum", Lead.Payment.choices, required=False)
    has_trade_in = serializers.BooleanField(required=False)
    current_car = serializers.CharField(max_length=100, required=False, allow_blank=True)
    need_confirmed = serializers.BooleanField(required=False)
    budget_confirmed = serializers.BooleanField(required=False)
    decision_maker_confirmed = serializers.BooleanField(required=False)

    scoped_querysets = {"series": _active_series}


class FollowUpInputSerializer(serializers.Serializer):
    channel = choice("FollowUpChannelEnum", FollowUp.Channel.choices)
    content = serializers.CharField(help_text=_("What was said."))
    result = choice("FollowUpResultEnum", FollowUp.Result.choices)
    grade = choice(
        "LeadWorkingGradeEnum",
        WORKING_GRADE_CHOICES,
        required=False,
        allow_null=True,
        help_text=_("Regrade; empty keeps the grade."),
    )
    next_follow_up_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text=_("When to contact next; empty follows the grade's cadence."),
    )


class ReassignInputSerializer(ScopedSerializer):
    to_user = serializers.PrimaryKeyRelatedField(queryset=User.objects.none())
    reason = serializers.CharField(max_length=500)

    scoped_querysets = {"to_user": _active_users}


class BulkReassignInputSerializer(ReassignInputSerializer):
    leads = serializers.PrimaryKeyRelatedField(queryset=Lead.objects.none(), many=True, allow_empty=False)

    scoped_querysets = {
        "to_user": _active_users,
        "leads": lambda user: Lead.objects.visible_to(user, "leads.reassign"),
    }


class AppointmentCreateInputSerializer(ScopedSerializer):
    lead = serializers.PrimaryKeyRelatedField(queryset=Lead.objects.none())
    scheduled_at = serializers.DateTimeField()
    receiver = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("Who receives the customer; empty: the lead's owner (or you)."),
    )
    purpose = choice("AppointmentPurposeEnum", Appointment.Purpose.choices, required=False, default="view")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    scoped_querysets = {
        "lead": lambda user: Lead.objects.visible_to(user, "leads.work"),
        "receiver": _active_users,
    }


class AppointmentCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class LostRequestCreateInputSerializer(ScopedSerializer):
    lead = serializers.PrimaryKeyRelatedField(queryset=Lead.objects.none())
    kind = choice("LostKindEnum", LostReason.Kind.choices)
    reason = serializers.PrimaryKeyRelatedField(queryset=LostReason.objects.filter(is_active=True))
    competitor_brand = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    competitor_model = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")

    scoped_querysets = {"lead": lambda user: Lead.objects.visible_to(user, "leads.work")}


class DecisionInputSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Required when rejecting: tell the consultant why.")
    )


# --- Ingest ---------------------------------------------------------------------------------


class SeriesByNameOrIdField(serializers.CharField):
    """A series by its id (42) or name ("朗逸", "大众 朗逸")."""

    def to_internal_value(self, data):
        if isinstance(data, int) and not isinstance(data, bool):
            data = str(data)
        value = super().to_internal_value(data)
        if not value:
            return None
        if value.isdigit():
            series = Series.objects.filter(pk=int(value)).first()
            if series is None:
                raise serializers.ValidationError(_("There is no series with id %(id)s.") % {"id": value})
            return series
        from ..importing import SeriesIndex

        try:
            return Series.objects.get(pk=SeriesIndex().lookup(value))
        except ValueError as exc:
            raise serializers.ValidationError(str(exc))


class PurchaseTimeField(serializers.CharField):
    """7d, 15d, 30d, 90d, later — or words such as 一周内, 1个月内, 半年."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return parse_purchase_time(value)
        except ValueError:
            raise serializers.ValidationError(
                _("“%(value)s” is not a purchase time: use 7d, 15d, 30d, 90d or later.") % {"value": value}
            )


class IngestInputSerializer(serializers.Serializer):
    idempotency_key = serializers.CharField(
        max_length=100,
        required=False,
        help_text=_(
            "Or the Idempotency-Key header (which wins). Without either, platform and external_id make the key."
        ),
    )
    platform = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Source.objects.filter(is_active=True),
        help_text=_("The source code, e.g. autohome, dongchedi, yiche, brand_site, oem."),
    )
    campaign = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    external_id = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", help_text=_("The sender's own lead id.")
    )
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    phone = PhoneField()
    series = SeriesByNameOrIdField(required=False, allow_blank=True, allow_null=True, default=None)
    purchase_time = PurchaseTimeField(required=False, allow_blank=True, default="")
    consent_marketing = serializers.BooleanField(required=False, default=False)
    store = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Store.objects.none(),
        required=False,
        help_text=_("The store's code; needed when you send leads to several stores."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["store"].queryset = Store.objects.filter(
                id__in=request.user.store_ids_with_perm("leads.ingest"), is_active=True
            )

    def validate(self, attrs):
        request = self.context["request"]
        header_key = request.headers.get("Idempotency-Key", "").strip()
        key = header_key or attrs.get("idempotency_key", "").strip()
        if not key and attrs.get("external_id"):
            key = f"{attrs['platform'].code}:{attrs['external_id']}"
        if not key:
            raise serializers.ValidationError(
                {"idempotency_key": [_("Send an Idempotency-Key header, an idempotency_key or an external_id.")]}
            )
        if len(key) > 100:
            raise serializers.ValidationError({"idempotency_key": [_("At most 100 characters.")]})
        attrs["idempotency_key"] = key
        if attrs.get("store") is None:
            stores = list(self.fields["store"].queryset[:2])
            if len(stores) != 1:
                raise serializers.ValidationError({"store": [_("Say which store the lead is for (its code).")]})
            attrs["store"] = stores[0]
        return attrs


class IngestResultSerializer(serializers.Serializer):
    idempotency_key = serializers.CharField()
    store = serializers.CharField(help_text=_("The store's code."))
    lead = serializers.IntegerField(help_text=_("The lead the call created or was added to."))
    created = serializers.BooleanField(
        help_text=_("True when the first call with this key opened a new lead; false when it joined an open one.")
    )
    received_at = serializers.DateTimeField(help_text=_("When the first call with this key arrived."))


class OutcomeSerializer(serializers.Serializer):
    lead = serializers.IntegerField(source="id")
    external_id = serializers.CharField()
    store = serializers.CharField(source="store.code")
    source = serializers.CharField(source="source.code")
    campaign = serializers.CharField()
    status = serializers.CharField()
    grade = serializers.CharField()
    owner_name = serializers.SerializerMethodField()
    last_follow_up_at = serializers.DateTimeField(allow_null=True)
    visited = serializers.BooleanField(help_text=_("The customer came to the store."))
    ordered = serializers.BooleanField(help_text=_("The customer ordered (or took delivery)."))
    lost_reason = serializers.CharField(
        allow_null=True, help_text=_("The approved lost or invalid reason, when the lead was closed so.")
    )
    received_at = serializers.DateTimeField(source="created_at")
    updated_at = serializers.DateTimeField()

    def get_owner_name(self, lead) -> str:
        return _name(lead.owner)
