"""Serializers of the showroom API: input serializers validate what a client sends (the service
decides), output serializers say what happened. Phones are masked unless the caller may see them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Series, Trim
from catalog.validators import normalize_vin
from catalog.validators import validate_vin as check_vin
from leads.models import Source
from leads.phones import normalize_phone
from leads.selectors import display_phone

from ..models import DemoVehicle, Order, RotationEntry, TestDrive, Visit
from ..selectors import visitor_phone

# --- Output ----------------------------------------------------------------------------------------


class VisitSerializer(serializers.ModelSerializer):
    phone = serializers.SerializerMethodField(help_text=_("Masked (138****1234) unless the caller may see it."))
    consultant_name = serializers.SerializerMethodField()
    source_code = serializers.SerializerMethodField()
    stay_minutes = serializers.IntegerField(read_only=True, allow_null=True)
    follow_up_flagged = serializers.SerializerMethodField(
        help_text=_("The cross-check found no follow-up by the consultant in time.")
    )

    class Meta:
        model = Visit
        fields = [
            "id",
            "store",
            "customer",
            "lead",
            "appointment",
            "visitor_name",
            "phone",
            "arrived_at",
            "departed_at",
            "stay_minutes",
            "party_size",
            "is_first_visit",
            "consultant",
            "consultant_name",
            "source",
            "source_code",
            "series",
            "test_drive",
            "filed",
            "note",
            "registered_by",
            "registered_at",
            "corrected_at",
            "follow_up_flagged",
        ]
        read_only_fields = fields

    def get_phone(self, visit: Visit) -> str:
        return visitor_phone(self.context["request"].user, visit)

    def get_consultant_name(self, visit: Visit) -> str:
        return visit.consultant.display_name if visit.consultant else ""

    def get_source_code(self, visit: Visit) -> str:
        return visit.source.code if visit.source else ""

    def get_follow_up_flagged(self, visit: Visit) -> bool:
        return bool(visit.follow_up_flagged_at and visit.follow_up_flagged_at != visit.arrived_at)


class RotationEntrySerializer(serializers.ModelSerializer):
    consultant_name = serializers.CharField(source="consultant.display_name", read_only=True)
    place = serializers.SerializerMethodField(help_text=_("Place in the queue (1 = next); null when not available."))

    class Meta:
        model = RotationEntry
        fields = [
            "id",
            "store",
            "consultant",
            "consultant_name",
            "state",
            "place",
            "priority",
            "last_assigned_at",
            "state_changed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_place(self, entry: RotationEntry):
        return self.context.get("places", {}).get(entry.pk)


class DemoVehicleSerializer(serializers.ModelSerializer):
    trim_name = serializers.CharField(source="trim.__str__", read_only=True)

    class Meta:
        model = DemoVehicle
        fields = ["id", "store", "plate", "vin", "trim", "trim_name", "is_active"]
        read_only_fields = fields


class TestDriveSerializer(serializers.ModelSerializer):
    consultant_name = serializers.CharField(source="consultant.display_name", read_only=True)
    vehicle_plate = serializers.CharField(source="vehicle.plate", read_only=True)

    class Meta:
        model = TestDrive
        fields = [
            "id",
            "store",
            "lead",
            "vehicle",
            "vehicle_plate",
            "consultant",
            "consultant_name",
            "route",
            "licence_checked",
            "vehicle_checked",
            "started_at",
            "ended_at",
            "feedback",
            "created_at",
        ]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    customer_phone = serializers.SerializerMethodField()
    seller_name = serializers.CharField(source="seller.display_name", read_only=True)
    trim_name = serializers.CharField(source="trim.__str__", read_only=True)
    net_price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "store",
            "number",
            "status",
            "lead",
            "customer",
            "customer_name",
            "customer_phone",
            "seller",
            "seller_name",
            "is_dcc_sale",
            "is_first_visit_deal",
            "trim",
            "trim_name",
            "vin",
            "colour",
            "price",
            "discount",
            "net_price",
            "deposit",
            "payment",
            "trade_in",
            "expected_delivery",
            "cancel_reason",
            "created_at",
            "confirmed_at",
            "delivered_at",
            "delivered_vin",
            "cancelled_at",
        ]
        read_only_fields = fields

    def get_customer_phone(self, order: Order) -> str:
        return display_phone(self.context["request"].user, order.lead, order.customer.phone)


# --- Input -----------------------------------------------------------------------------------------


class StoreField(serializers.IntegerField):
    """A store id; optional when the caller works in one store (with the needed permission)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("The store; may be left out by users of one store."))
        super().__init__(**kwargs)


class VisitCreateSerializer(serializers.Serializer):
    store = StoreField()
    phone = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        help_text=_("Mobile or landline; empty when the visitor gives none (not filed)."),
    )
    visitor_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    arrived_at = serializers.DateTimeField(required=False, help_text=_("Defaults to now."))
    party_size = serializers.IntegerField(min_value=1, max_value=99, default=1)
    consultant = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=_("Defaults to the customer's consultant, else the next in rotation."),
    )
    source = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Source.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text=_("Source code, e.g. walk_in (the default)."),
    )
    series = serializers.PrimaryKeyRelatedField(queryset=Series.objects.all(), required=False, allow_null=True)
    test_drive = serializers.BooleanField(default=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_phone(self, value: str) -> str:
        return normalize_phone(value) if value.strip() else ""


class VisitDepartSerializer(serializers.Serializer):
    departed_at = serializers.DateTimeField(required=False, help_text=_("Defaults to now."))


class VisitReassignSerializer(serializers.Serializer):
    consultant = serializers.IntegerField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RotationStateSerializer(serializers.Serializer):
    store = StoreField()
    state = serializers.ChoiceField(choices=RotationEntry.State.choices)
    consultant = serializers.IntegerField(
        required=False, help_text=_("Someone else's state (managers only); defaults to the caller.")
    )


class RotationFrontSerializer(serializers.Serializer):
    store = StoreField()
    consultant = serializers.IntegerField()


class TestDriveCreateSerializer(serializers.Serializer):
    lead = serializers.IntegerField()
    vehicle = serializers.IntegerField()
    route = serializers.CharField(max_length=100)
    licence_checked = serializers.BooleanField()
    vehicle_checked = serializers.BooleanField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(required=False, allow_null=True)
    feedback = serializers.CharField(required=False, allow_blank=True, default="")


class BuyerSerializer(serializers.Serializer):
    store = StoreField()
    phone = serializers.CharField(max_length=30)
    name = serializers.CharField(max_length=60)

    def validate_phone(self, value: str) -> str:
        return normalize_phone(value)


class OrderCreateSerializer(serializers.Serializer):
    lead = serializers.IntegerField(required=False, help_text=_("The lead to order on; or give ``buyer``."))
    buyer = BuyerSerializer(
        required=False, help_text=_("A walk-in buyer found or created by phone (instead of ``lead``).")
    )
    trim = serializers.PrimaryKeyRelatedField(queryset=Trim.objects.filter(is_active=True))
    price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    vin = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    colour = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    discount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, default=0)
    deposit = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, default=0)
    payment = serializers.ChoiceField(choices=Order.Payment.choices, default=Order.Payment.FULL)
    trade_in = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    expected_delivery = serializers.DateField(required=False, allow_null=True)

    def validate_vin(self, value: str) -> str:
        value = normalize_vin(value)
        if value:
            check_vin(value)
        return value

    def validate(self, attrs):
        if bool(attrs.get("lead")) == bool(attrs.get("buyer")):
            raise serializers.ValidationError({"lead": [_("Give either a lead or a walk-in buyer.")]})
        return attrs


class OrderCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class OrderDeliverSerializer(serializers.Serializer):
    vin = serializers.CharField(max_length=30)
    delivered_at = serializers.DateTimeField(required=False)
