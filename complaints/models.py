"""Customer service (客服): complaint tickets and their signed workflow, the store's complaint
settings, and the post-sale callback ladder."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Store, StoreScopedQuerySet


class ComplaintSettings(models.Model):
    """Per-store rules of complaint handling: how long the handled form may take, when a ticket is at risk."""

    store = models.OneToOneField(
        Store, on_delete=models.CASCADE, related_name="complaint_settings", verbose_name=_("store")
    )
    handling_hours = models.PositiveSmallIntegerField(
        _("handled form due back within (hours from registration)"), default=24
    )
    at_risk_percent = models.PositiveSmallIntegerField(
        _("at risk when this share of the time is gone (%)"),
        default=75,
        help_text=_("Between 1 and 99."),
    )

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("complaint settings")
        verbose_name_plural = _("complaint settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(at_risk_percent__gte=1, at_risk_percent__lte=99), name="complaint_at_risk_share"
            ),
            models.CheckConstraint(condition=models.Q(handling_hours__gte=1), name="complaint_handling_hours"),
        ]

    def __str__(self) -> str:
        return str(self.store)


class ComplaintStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    OPINION_GIVEN = "opinion_given", _("Opinion given")
    OPINION_APPROVED = "opinion_approved", _("Opinion approved")
    DISPATCHED = "dispatched", _("Dispatched")
    HANDLED = "handled", _("Handled")
    CONFIRMED = "confirmed", _("Confirmed")
    CLOSED = "closed", _("Closed")
    ARCHIVED = "archived", _("Archived")


class ComplaintQuerySet(StoreScopedQuerySet):
    def open(self):
        return self.exclude(status__in=[ComplaintStatus.CLOSED, ComplaintStatus.ARCHIVED])

    def on_the_clock(self):
        """Tickets whose handled form is not yet back with customer service."""
        return self.filter(
            status__in=[
                ComplaintStatus.REGISTERED,
                ComplaintStatus.OPINION_GIVEN,
                ComplaintStatus.OPINION_APPROVED,
                ComplaintStatus.DISPATCHED,
            ]
        )

    def readable_by(self, user, store):
        """What ``user`` may open in ``store``: all of it with ``complaints.view``, else the tickets
        dispatched to them (a consultant handling one)."""
        qs = self.filter(store=store)
        if user.has_store_perm(store, "complaints.view"):
            return qs
        if user.has_store_perm(store, "complaints.handle"):
            return qs.filter(handler=user)
        return qs.none()


class Complaint(models.Model):
    """A complaint ticket (投诉抱怨): the customer's facts, emotion and demand, and the signed chain
    registered → opinion given → approved → dispatched → handled → confirmed → closed → archived."""

    class Category(models.TextChoices):
        PRODUCT_QUALITY = "product_quality", _("Product quality")
        SALES_PROCESS = "sales_process", _("Sales process")
        PRICE_FEES = "price_fees", _("Price and fees")
        DELIVERY = "delivery", _("Delivery")
        ATTITUDE = "attitude", _("Staff attitude")
        PAPERWORK = "paperwork", _("Paperwork")
        OTHER = "other", _("Other")

    class Touchpoint(models.TextChoices):
        RECEPTION = "reception", _("Reception")
        DURING_WORK = "during_work", _("During work")
        DELIVERY = "delivery", _("Delivery")
        FOLLOW_UP = "follow_up", _("Follow-up")

    class Temperament(models.TextChoices):
        EMOTIONAL = "emotional", _("Emotional")
        PRINCIPLED = "principled", _("Insists on principle")
        STUBBORN = "stubborn", _("Stubborn")
        SELF_ABSORBED = "self_absorbed", _("Self-absorbed")
        PREPARED = "prepared", _("Came prepared")
        MEDIA_LEGAL = "media_legal", _("Media or legal background")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("store"))
    number = models.CharField(_("complaint number"), max_length=24)
    customer = models.ForeignKey(
        "leads.Customer", on_delete=models.PROTECT, related_name="complaints", verbose_name=_("customer")
    )
    order = models.ForeignKey(
        "showroom.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("order"),
    )
    vehicle = models.CharField(_("vehicle (model, VIN or plate)"), max_length=120, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    touchpoint = models.CharField(_("where it arose"), max_length=20, choices=Touchpoint.choices)
    facts = models.TextField(_("facts"), help_text=_("What happened, without the customer's emotion."))
    emotion = models.TextField(_("customer's emotion"), blank=True)
    demand = models.TextField(_("customer's demand"), blank=True)
    temperament = models.CharField(_("customer temperament"), max_length=20, choices=Temperament.choices, blank=True)
    media_or_legal = models.BooleanField(
        _("media or legal background"),
        default=False,
        help_text=_("The general manager is told at once; no automatic message goes to this customer."),
    )
    cause = models.TextField(_("cause"), blank=True)
    countermeasure = models.TextField(_("countermeasure"), blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints_handled",
        verbose_name=_("handled by"),
    )
    handling_result = models.TextField(_("handling result"), blank=True)
    confirmation = models.TextField(_("customer's confirmation"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ComplaintStatus.choices, default=ComplaintStatus.REGISTERED
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("registered by")
    )
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    due_at = models.DateTimeField(_("handled form due at"))
    step_started_at = models.DateTimeField(_("waiting since"), default=timezone.now)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    at_risk_escalated_at = models.DateTimeField(_("escalated as at risk at"), null=True, blank=True)
    overdue_escalated_at = models.DateTimeField(_("escalated as past due at"), null=True, blank=True)
    breached = models.BooleanField(_("handling time breached"), default=False)
    callback = models.ForeignKey(
        "complaints.Callback",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("from callback"),
    )

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-registered_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["store", "number"], name="complaint_unique_number")]
        indexes = [
            models.Index(fields=["store", "status", "due_at"], name="complaint_store_status"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_on_the_clock(self) -> bool:
        return self.status in ON_THE_CLOCK

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        return self.is_on_the_clock and (now or timezone.now()) >= self.due_at

    @property
    def guidance(self) -> str:
        return TEMPERAMENT_GUIDANCE.get(self.temperament, "")

    @property
    def no_automatic_messages(self) -> bool:
        return self.media_or_legal


ON_THE_CLOCK = {
    ComplaintStatus.REGISTERED,
    ComplaintStatus.OPINION_GIVEN,
    ComplaintStatus.OPINION_APPROVED,
    ComplaintStatus.DISPATCHED,
}

TEMPERAMENT_GUIDANCE = {
    Complaint.Temperament.EMOTIONAL: _(
        "Let the customer talk first; acknowledge the feeling before the facts; do not argue; "
        "offer a concrete next step and a time."
    ),
    Complaint.Temperament.PRINCIPLED: _(
        "Explain the rule and the reason behind it; be consistent; put any commitment in writing."
    ),
    Complaint.Temperament.STUBBORN: _(
        "Stay patient; repeat the key point calmly; offer two or three options and let the customer choose."
    ),
    Complaint.Temperament.SELF_ABSORBED: _(
        "Show respect and attention; let a senior colleague take part; keep the focus on the solution."
    ),
    Complaint.Temperament.PREPARED: _(
        "Check every fact before answering; answer with documents; never guess; escalate early."
    ),
    Complaint.Temperament.MEDIA_LEGAL: _(
        "The general manager leads. No automatic message to the customer; every word agreed and recorded; "
        "no promises on the phone."
    ),
}


class ComplaintStep(models.Model):
    """One signature on a complaint: who moved it from which state to which, when, after how long a wait."""

    class Action(models.TextChoices):
        REGISTER = "register", _("Registered")
        GIVE_OPINION = "give_opinion", _("Gave a handling opinion")
        APPROVE = "approve", _("Approved the opinion")
        SEND_BACK = "send_back", _("Sent the opinion back")
        DISPATCH = "dispatch", _("Dispatched to a consultant")
        HANDLE = "handle", _("Returned the handling form")
        CONFIRM = "confirm", _("Confirmed with the customer")
        REOPEN = "reopen", _("Reopened to the consultant")
        SIGN_OFF = "sign_off", _("Signed off")
        ARCHIVE = "archive", _("Archived")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=20, choices=ComplaintStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=ComplaintStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed by")
    )
    note = models.TextField(_("note"), blank=True)
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    waited = models.DurationField(_("waited"), default=dt.timedelta)

    class Meta:
        verbose_name = _("complaint signature")
        verbose_name_plural = _("complaint signatures")
        ordering = ["signed_at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint} {self.action}"


class CallbackSettings(models.Model):
    """Per-store intervals of the post-sale callback ladder (days after delivery)."""

    store = models.OneToOneField(
        Store, on_delete=models.CASCADE, related_name="callback_settings", verbose_name=_("store")
    )
    day_3 = models.PositiveSmallIntegerField(_("second callback after (days)"), default=3)
    day_7 = models.PositiveSmallIntegerField(_("third callback after (days)"), default=7)
    day_15 = models.PositiveSmallIntegerField(_("half-month callback after (days)"), default=15)
    ongoing_every = models.PositiveSmallIntegerField(_("ongoing callback every (days)"), default=90)
    first_service_after = models.PositiveSmallIntegerField(_("first service reminder after (days)"), default=90)
    repeat_purchase_every_months = models.PositiveSmallIntegerField(
        _("repeat purchase callback every (months)"), default=12
    )
    satisfaction_within = models.PositiveSmallIntegerField(
        _("customer service satisfaction callback within (days)"), default=3
    )

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("callback settings")
        verbose_name_plural = _("callback settings")

    def __str__(self) -> str:
        return str(self.store)


class FirstServiceInterval(models.Model):
    """A store's first-service interval (首保) for one catalog model, overriding the store default
    (``CallbackSettings.first_service_after``) for the ladder's first-service callback and the
    first-service reminder."""

    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="first_service_intervals", verbose_name=_("store")
    )
    vehicle_model = models.ForeignKey(
        "catalog.VehicleModel", on_delete=models.CASCADE, related_name="+", verbose_name=_("model")
    )
    days = models.PositiveSmallIntegerField(_("first service after (days)"))

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("first-service interval")
        verbose_name_plural = _("first-service intervals")
        ordering = ["vehicle_model__series__name", "vehicle_model__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "vehicle_model"], name="first_service_interval_once"),
            models.CheckConstraint(condition=models.Q(days__gte=1, days__lte=730), name="first_service_interval_range"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle_model}: {self.days}"


class Callback(models.Model):
    """One post-sale callback to a buyer (回访), due on a day: the consultant's ladder, or customer
    service's satisfaction callback."""

    class Kind(models.TextChoices):
        SAME_DAY = "same_day", _("Same day")
        DAY_3 = "day_3", _("Day 3")
        DAY_7 = "day_7", _("Day 7")
        DAY_15 = "day_15", _("Half month")
        ONGOING = "ongoing", _("Ongoing")
        FIRST_SERVICE = "first_service", _("First service")
        REPEAT_PURCHASE = "repeat_purchase", _("Repeat purchase")
        SATISFACTION = "satisfaction", _("Satisfaction (customer service)")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="callbacks", verbose_name=_("store"))
    order = models.ForeignKey(
        "showroom.Order", on_delete=models.PROTECT, related_name="callbacks", verbose_name=_("order")
    )
    customer = models.ForeignKey(
        "leads.Customer", on_delete=models.PROTECT, related_name="callbacks", verbose_name=_("customer")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callbacks",
        verbose_name=_("who calls"),
    )
    kind = models.CharField(_("callback"), max_length=20, choices=Kind.choices)
    due_date = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reached = models.BooleanField(_("customer reached"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    score = models.PositiveSmallIntegerField(_("satisfaction score"), null=True, blank=True)
    dissatisfied = models.BooleanField(_("customer dissatisfied"), default=False)
    checked_at = models.DateTimeField(_("checked by customer service at"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    check_note = models.TextField(_("customer service check"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "kind", "due_date"], name="callback_unique_due"),
        ]
        indexes = [
            models.Index(fields=["store", "due_date"], name="callback_store_due"),
            models.Index(fields=["assignee", "done_at", "due_date"], name="callback_assignee_due"),
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.get_kind_display()} {self.due_date}"


class SurveyQuestion(models.Model):
    """One question of the store's satisfaction survey, scored 0–10 on the satisfaction callback."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="survey_questions", verbose_name=_("store"))
    text = models.CharField(_("question"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class SurveyAnswer(models.Model):
    """The customer's score for one question on one satisfaction callback."""

    callback = models.ForeignKey(Callback, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.PROTECT, related_name="answers")
    score = models.PositiveSmallIntegerField(_("score (0–10)"))

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.UniqueConstraint(fields=["callback", "question"], name="survey_answer_once"),
            models.CheckConstraint(condition=models.Q(score__lte=10), name="survey_answer_score_range"),
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.score}"


class ServiceReminder(models.Model):
    """A vehicle-service reminder (车务提醒) customer service calls a customer about, due on a day."""

    class Kind(models.TextChoices):
        FIRST_SERVICE = "first_service", _("First service")
        INSURANCE = "insurance", _("Insurance renewal")
        INSPECTION = "inspection", _("Annual inspection")
        BIRTHDAY = "birthday", _("Birthday")

    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="service_reminders", verbose_name=_("store")
    )
    customer = models.ForeignKey(
        "leads.Customer", on_delete=models.PROTECT, related_name="service_reminders", verbose_name=_("customer")
    )
    order = models.ForeignKey(
        "showroom.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("order")
    )
    kind = models.CharField(_("reminder"), max_length=20, choices=Kind.choices)
    due_date = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    result = models.TextField(_("result"), blank=True)
    skipped = models.BooleanField(
        _("skipped"), default=False, help_text=_("Closed without a call; the result says why.")
    )

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("vehicle-service reminder")
        verbose_name_plural = _("vehicle-service reminders")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "kind", "due_date"], name="service_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.get_kind_display()} {self.due_date}"


class Enquiry(models.Model):
    """An enquiry or help call from a customer (信息回馈), handled by customer service or passed on."""

    class Kind(models.TextChoices):
        ENQUIRY = "enquiry", _("Enquiry")
        HELP = "help", _("Help call")
        SUGGESTION = "suggestion", _("Suggestion")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="enquiries", verbose_name=_("store"))
    customer = models.ForeignKey(
        "leads.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enquiries",
        verbose_name=_("customer"),
    )
    caller_name = models.CharField(_("caller"), max_length=60)
    phone = models.CharField(_("phone"), max_length=24, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.ENQUIRY)
    summary = models.TextField(_("what the customer asked"))
    passed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enquiries_passed",
        verbose_name=_("passed to"),
    )
    result = models.TextField(_("result"), blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("logged at"), default=timezone.now)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("enquiry")
        verbose_name_plural = _("enquiries")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.caller_name} {self.created_at:%Y-%m-%d}"


class SsiSettings(models.Model):
    """Per-store SSI thresholds: the score under which a month is a penalty, the score from which it
    is rewarded, and whether a zero-score item alone is a penalty (what each brings per role is in
    ``SsiRoleRule``)."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="ssi_settings", verbose_name=_("store"))
    penalty_below = models.PositiveSmallIntegerField(_("penalty when the month's score is below"), default=80)
    reward_from = models.PositiveSmallIntegerField(_("reward when the month's score is at least"), default=95)
    penalty_on_zero_item = models.BooleanField(_("a zero-score item is a penalty"), default=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("SSI settings")
        verbose_name_plural = _("SSI settings")

    def __str__(self) -> str:
        return str(self.store)


class SsiRole(models.TextChoices):
    """The roles scored on the SSI scorecard, each with a line in the store's reward and penalty tables."""

    CONSULTANT = "consultant", _("Sales consultant")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    CS_MANAGER = "cs_manager", _("Customer-service manager")
    CS_AGENT = "cs_agent", _("Customer-service agent")
    RECEPTION = "reception", _("Info clerk")


class SsiRoleRule(models.Model):
    """One role's line in a store's SSI reward table and penalty table: what a good month earns,
    what a month under the threshold (or with a zero-score item) costs."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="ssi_role_rules", verbose_name=_("store"))
    role = models.CharField(_("role"), max_length=32, choices=SsiRole.choices)
    reward_amount = models.DecimalField(_("reward (yuan)"), max_digits=9, decimal_places=2, default=0)
    reward_note = models.CharField(_("reward, in words"), max_length=200, blank=True)
    penalty_amount = models.DecimalField(_("penalty (yuan)"), max_digits=9, decimal_places=2, default=0)
    penalty_note = models.CharField(_("penalty, in words"), max_length=200, blank=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("SSI reward and penalty")
        verbose_name_plural = _("SSI rewards and penalties")
        ordering = ["store", "id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "role"], name="ssi_role_rule_once"),
            models.CheckConstraint(
                condition=models.Q(reward_amount__gte=0, penalty_amount__gte=0), name="ssi_role_rule_amounts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.store} {self.get_role_display()}"


class Scorecard(models.Model):
    """A store's SSI scorecard for one month (SSI整改): who earns a reward or a penalty; the GM approves it."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="scorecards", verbose_name=_("store"))
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    built_at = models.DateTimeField(_("built at"), default=timezone.now)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("SSI scorecard")
        verbose_name_plural = _("SSI scorecards")
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["store", "month"], name="scorecard_once_a_month")]

    def __str__(self) -> str:
        return f"{self.store} {self.month:%Y-%m}"


class ScorecardLine(models.Model):
    """One person's month on the scorecard."""

    class Outcome(models.TextChoices):
        REWARD = "reward", _("Reward")
        PENALTY = "penalty", _("Penalty")
        NONE = "none", _("Neither")

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="lines")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=32)
    surveys = models.PositiveIntegerField(_("surveys"), default=0)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    zero_items = models.PositiveIntegerField(_("zero-score items"), default=0)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.NONE)
    # What the outcome brings, copied from the store's tables when the scorecard is built, so a later
    # change of the tables does not rewrite a month already approved.
    amount = models.DecimalField(_("amount (yuan)"), max_digits=9, decimal_places=2, null=True, blank=True)
    consequence = models.CharField(_("reward or penalty"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("scorecard line")
        verbose_name_plural = _("scorecard lines")
        ordering = ["role", "id"]
        constraints = [models.UniqueConstraint(fields=["scorecard", "person", "role"], name="scorecard_line_once")]

    def __str__(self) -> str:
        return f"{self.scorecard} {self.person}"
