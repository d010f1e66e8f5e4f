"""The showroom: every arriving party (Visit), the reception rotation, demo cars, test drives, orders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Store, StoreScopedQuerySet
from catalog.validators import validate_vin


class ShowroomSettings(models.Model):
    """Per-store rules of the desk: what counts as timely, when a walk-in needs a follow-up."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="showroom_settings")
    timely_minutes = models.PositiveSmallIntegerField(_("a visit is entered on time within (minutes)"), default=10)
    cross_check_hours = models.PositiveSmallIntegerField(_("a walk-in needs a follow-up within (hours)"), default=24)
    order_prefix = models.CharField(_("order number prefix"), max_length=8, default="SO")

    class Meta:
        verbose_name = _("showroom settings")
        verbose_name_plural = _("showroom settings")

    def __str__(self) -> str:
        return str(self.store)


class Visit(models.Model):
    """One party arriving at the showroom (展厅流量), registered by the desk."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="visits", verbose_name=_("store"))
    customer = models.ForeignKey(
        "leads.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("customer"),
    )
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.PROTECT, null=True, blank=True, related_name="visits", verbose_name=_("lead")
    )
    appointment = models.ForeignKey(
        "leads.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("appointment"),
    )
    visitor_name = models.CharField(_("visitor"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=24, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"))
    departed_at = models.DateTimeField(_("left at"), null=True, blank=True)
    party_size = models.PositiveSmallIntegerField(_("party size"), default=1)
    is_first_visit = models.BooleanField(_("first visit"), default=True)
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="received_visits",
        verbose_name=_("receiving consultant"),
    )
    source = models.ForeignKey(
        "leads.Source", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("source")
    )
    series = models.ForeignKey(
        "catalog.Series",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("intended series"),
    )
    test_drive = models.BooleanField(_("test drive"), default=False)
    filed = models.BooleanField(_("contact filed"), default=False, help_text=_("A valid phone number was left (留档)."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="registered_visits",
        verbose_name=_("registered by"),
    )
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    corrected_at = models.DateTimeField(_("corrected at"), null=True, blank=True)
    follow_up_flagged_at = models.DateTimeField(_("flagged for no follow-up at"), null=True, blank=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("showroom visit")
        verbose_name_plural = _("showroom visits")
        ordering = ["-arrived_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(departed_at__isnull=True) | Q(departed_at__gte=F("arrived_at")),
                name="visit_departs_after_arrival",
            ),
            models.CheckConstraint(condition=Q(party_size__gte=1), name="visit_party_size_positive"),
        ]
        indexes = [
            models.Index(fields=["store", "arrived_at"], name="visit_store_day"),
            models.Index(fields=["store", "consultant", "arrived_at"], name="visit_consultant_day"),
            models.Index(fields=["store", "departed_at"], name="visit_in_store"),
        ]

    def __str__(self) -> str:
        return f"{self.visitor_name or self.customer or '-'} {self.arrived_at:%Y-%m-%d %H:%M}"

    @property
    def stay_minutes(self) -> int | None:
        if self.departed_at is None:
            return None
        return int((self.departed_at - self.arrived_at).total_seconds() // 60)


class RotationEntry(models.Model):
    """A consultant's place in the reception rotation (接待轮序)."""

    class State(models.TextChoices):
        AVAILABLE = "available", _("Available")
        WITH_CUSTOMER = "with_customer", _("With a customer")
        AWAY = "away", _("Away")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="rotation")
    consultant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rotation_entries")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.AWAY)
    # Fairness: the available consultant who was assigned longest ago is next.
    last_assigned_at = models.DateTimeField(_("last received a customer"), null=True, blank=True)
    # A manager's override: lower goes first, before the fairness order.
    priority = models.SmallIntegerField(_("priority"), default=0)
    state_changed_at = models.DateTimeField(_("state since"), auto_now_add=True)

    class Meta:
        verbose_name = _("rotation entry")
        verbose_name_plural = _("rotation")
        constraints = [models.UniqueConstraint(fields=["store", "consultant"], name="rotation_unique_consultant")]

    def __str__(self) -> str:
        return f"{self.consultant} · {self.get_state_display()}"


class DemoVehicle(models.Model):
    """A test-drive car of the store."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="demo_vehicles", verbose_name=_("store"))
    trim = models.ForeignKey("catalog.Trim", on_delete=models.PROTECT, related_name="+", verbose_name=_("trim"))
    plate = models.CharField(_("plate"), max_length=12)
    vin = models.CharField(_("VIN"), max_length=17, validators=[validate_vin])
    is_active = models.BooleanField(_("in service"), default=True)

    class Meta:
        verbose_name = _("demo vehicle")
        verbose_name_plural = _("demo vehicles")
        constraints = [models.UniqueConstraint(fields=["store", "plate"], name="demo_vehicle_unique_plate")]

    def __str__(self) -> str:
        return f"{self.plate} {self.trim}"


class TestDrive(models.Model):
    """A test drive (试驾): the car checked before, the licence checked, times and feedback."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="test_drives", verbose_name=_("lead"))
    vehicle = models.ForeignKey(
        DemoVehicle, on_delete=models.PROTECT, related_name="drives", verbose_name=_("demo vehicle")
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("consultant")
    )
    route = models.CharField(_("route"), max_length=100)
    licence_checked = models.BooleanField(_("driving licence checked"), default=False)
    vehicle_checked = models.BooleanField(_("car checked before the drive"), default=False)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    feedback = models.TextField(_("customer feedback"), blank=True)
    follow_up = models.OneToOneField(
        "leads.FollowUp", on_delete=models.SET_NULL, null=True, blank=True, related_name="test_drive"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("test drive")
        verbose_name_plural = _("test drives")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="test_drive_ends_after_start",
            )
        ]
        # Reports: test drives given in a period.
        indexes = [models.Index(fields=["store", "started_at"], name="test_drive_store_day")]

    def __str__(self) -> str:
        return f"{self.vehicle} {self.started_at:%Y-%m-%d %H:%M}"


class Order(models.Model):
    """A sales order (销售订单): draft → confirmed → delivered, or cancelled with a reason."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("Confirmed")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")

    class Payment(models.TextChoices):
        FULL = "full", _("Full payment")
        LOAN = "loan", _("Loan")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders", verbose_name=_("store"))
    number = models.CharField(_("order number"), max_length=24)
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="orders", verbose_name=_("lead"))
    customer = models.ForeignKey(
        "leads.Customer", on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer")
    )
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders", verbose_name=_("sold by")
    )
    is_dcc_sale = models.BooleanField(_("DCC sale"), default=False)
    trim = models.ForeignKey("catalog.Trim", on_delete=models.PROTECT, related_name="orders", verbose_name=_("trim"))
    vin = models.CharField(_("VIN"), max_length=17, blank=True, validators=[validate_vin])
    colour = models.CharField(_("colour"), max_length=30, blank=True)
    price = models.DecimalField(_("price (yuan)"), max_digits=12, decimal_places=2)
    discount = models.DecimalField(_("discount (yuan)"), max_digits=12, decimal_places=2, default=0)
    deposit = models.DecimalField(_("deposit (yuan)"), max_digits=12, decimal_places=2, default=0)
    payment = models.CharField(_("payment"), max_length=8, choices=Payment.choices, default=Payment.FULL)
    trade_in = models.CharField(_("trade-in car"), max_length=100, blank=True)
    expected_delivery = models.DateField(_("expected delivery"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    is_first_visit_deal = models.BooleanField(_("first-visit deal"), default=False)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivered_vin = models.CharField(_("VIN handed over"), max_length=17, blank=True, validators=[validate_vin])
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="order_unique_number"),
            models.CheckConstraint(
                condition=Q(price__gte=0) & Q(discount__gte=0) & Q(deposit__gte=0), name="order_amounts_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["store", "status", "created_at"], name="order_store_status"),
            models.Index(fields=["store", "vin"], name="order_store_vin"),
            # Reports: orders placed and cars delivered in a period.
            models.Index(fields=["store", "confirmed_at"], name="order_store_confirmed"),
            models.Index(fields=["store", "delivered_at"], name="order_store_delivered"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def net_price(self):
        return self.price - self.discount
