"""The DCC call centre (电话直销中心): call-list rules, agents and their skills, call tasks and calls,
the invitation script, message templates, campaigns and arrival reminders.

Leads, customers and appointments live in ``leads``; the DCC points at them and writes to them
only through ``leads.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Store, StoreScopedQuerySet


class DccSettings(models.Model):
    """Per-store rules of the call centre: how it is staffed, which call-list rules run, the SLA."""

    class Version(models.IntegerChoices):
        SEPARATE = 1, _("Version 1: separate inbound, outbound and direct-sales agents")
        ONE_PERSON = 2, _("Version 2: one person does all three; the sales manager runs the DCC")

    class Distribution(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round robin")
        BY_LOAD = "by_load", _("By current load")
        MANUAL = "manual", _("By hand")

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="dcc_settings", verbose_name=_("store"))
    version = models.PositiveSmallIntegerField(_("how the DCC is staffed"), choices=Version.choices, default=1)
    distribution = models.CharField(
        _("distribute call tasks"), max_length=12, choices=Distribution.choices, default=Distribution.ROUND_ROBIN
    )
    rule_new_outreach_online = models.BooleanField(
        _("first call: leads from outreach, offline events and online platforms"), default=True
    )
    rule_new_purchased_oem = models.BooleanField(_("first call: purchased and OEM-distributed leads"), default=True)
    rule_uninvited = models.BooleanField(_("leads invited by showroom staff that never arrived"), default=True)
    rule_reactivation = models.BooleanField(_("lost leads after a quiet period (reactivation)"), default=True)
    rule_handover = models.BooleanField(_("leads handed over by a manager"), default=True)
    rule_no_show = models.BooleanField(_("DCC invitations the customer did not come to"), default=True)
    first_call_sla_minutes = models.PositiveSmallIntegerField(
        _("first call on a new online lead within (opening minutes)"), default=15
    )
    uninvited_days = models.PositiveSmallIntegerField(_("showroom invitation without arrival after (days)"), default=30)
    reactivation_quiet_days = models.PositiveSmallIntegerField(_("call lost leads again after (days)"), default=60)
    lookback_days = models.PositiveSmallIntegerField(
        _("rules look back (days)"),
        default=90,
        help_text=_("Leads, invitations and losses older than this are left alone by the rules."),
    )
    max_attempts = models.PositiveSmallIntegerField(_("call attempts before giving up"), default=3)
    retry_minutes = models.PositiveSmallIntegerField(_("try again after no answer (opening minutes)"), default=120)
    reminder_day_before_hour = models.PositiveSmallIntegerField(
        _("send the day-before reminder from (hour)"), default=10
    )
    reminder_same_day_hour = models.PositiveSmallIntegerField(_("send the same-day reminder from (hour)"), default=8)
    round_robin_last_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("DCC settings")
        verbose_name_plural = _("DCC settings")
        constraints = [
            models.CheckConstraint(condition=Q(version__in=[1, 2]), name="dcc_settings_version"),
            models.CheckConstraint(condition=Q(max_attempts__gte=1), name="dcc_settings_attempts_positive"),
            models.CheckConstraint(
                condition=Q(reminder_day_before_hour__lte=23) & Q(reminder_same_day_hour__lte=23),
                name="dcc_settings_reminder_hours",
            ),
        ]

    def __str__(self) -> str:
        return str(self.store)


class AgentProfile(models.Model):
    """A DCC agent of a store: which calls reach them (skills) and whether they take calls now."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="dcc_agents", verbose_name=_("store"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dcc_profiles", verbose_name=_("agent")
    )
    skill_inbound = models.BooleanField(_("inbound calls (IB)"), default=False)
    skill_outbound = models.BooleanField(_("outbound calls (OB)"), default=True)
    skill_direct = models.BooleanField(_("direct sales"), default=False)
    on_duty = models.BooleanField(_("on duty"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("DCC agent")
        verbose_name_plural = _("DCC agents")
        ordering = ["store", "user__full_name", "user__username"]
        constraints = [models.UniqueConstraint(fields=["store", "user"], name="dcc_agent_unique_store_user")]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def skills(self) -> list[str]:
        return [
            code
            for code, held in (("IB", self.skill_inbound), ("OB", self.skill_outbound), ("direct", self.skill_direct))
            if held
        ]


class Rule(models.TextChoices):
    """Why a lead is on a call list."""

    FIRST_CALL = "first_call", _("First call")
    UNINVITED = "uninvited", _("Showroom invitation, never arrived")
    REACTIVATION = "reactivation", _("Lost lead reactivation")
    HANDOVER = "handover", _("Handed over by a manager")
    NO_SHOW = "no_show", _("Did not come: reschedule")
    MANUAL = "manual", _("Added by hand")


# Lower goes first on an agent's list; equal priorities go by due time.
RULE_PRIORITY = {
    Rule.FIRST_CALL: 10,
    Rule.NO_SHOW: 20,
    Rule.HANDOVER: 30,
    Rule.MANUAL: 30,
    Rule.UNINVITED: 40,
    Rule.REACTIVATION: 50,
}


class Outcome(models.TextChoices):
    """What came of one call."""

    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    NOT_INTERESTED = "not_interested", _("Not interested")
    CALL_BACK = "call_back", _("Call back at")
    INVITED = "invited", _("Invited")
    TALKED = "talked", _("Talked, keep following")


# Outcomes in which the customer was reached (the connect rate counts these).
CONNECTED_OUTCOMES = [Outcome.NOT_INTERESTED, Outcome.CALL_BACK, Outcome.INVITED, Outcome.TALKED]


class CallTaskQuerySet(StoreScopedQuerySet):
    def open(self):
        return self.filter(status=CallTask.Status.OPEN)


class CallTask(models.Model):
    """One lead on a call list: who calls, why, by when. A lead has at most one open call task."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    # No index of its own on store or appointment: the composite indexes below start with the store,
    # and only the few tasks about an appointment need theirs (a partial index).
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="dcc_call_tasks", verbose_name=_("store"), db_index=False
    )
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="dcc_tasks", verbose_name=_("lead"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dcc_tasks",
        verbose_name=_("agent"),
    )
    rule = models.CharField(_("reason"), max_length=16, choices=Rule.choices)
    # The rule's own dedupe key (e.g. "first_call:123", "no_show:456"): a rule never lists the
    # same thing twice, however often it runs or on however many workers.
    rule_key = models.CharField(max_length=80)
    priority = models.PositiveSmallIntegerField(_("priority"), default=30)
    due_at = models.DateTimeField(_("call at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    result = models.CharField(_("result"), max_length=16, choices=Outcome.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    appointment = models.ForeignKey(
        "leads.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dcc_tasks",
        verbose_name=_("appointment"),
        db_index=False,
    )
    sla_due_at = models.DateTimeField(_("first call due by"), null=True, blank=True)
    first_call_at = models.DateTimeField(_("first called at"), null=True, blank=True)
    sla_breached_at = models.DateTimeField(_("SLA breach flagged at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = CallTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("call task")
        verbose_name_plural = _("call tasks")
        ordering = ["priority", "due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["lead"], condition=Q(status="open"), name="dcc_task_one_open_per_lead"),
            models.UniqueConstraint(fields=["store", "rule_key"], name="dcc_task_unique_rule_key"),
        ]
        indexes = [
            # An agent's list: open tasks by priority and due time, straight from the index.
            models.Index(
                fields=["store", "agent", "priority", "due_at", "id"],
                condition=Q(status="open"),
                name="dcc_task_agent_queue",
            ),
            models.Index(
                fields=["store", "sla_due_at"],
                condition=Q(status="open", first_call_at__isnull=True, sla_breached_at__isnull=True),
                name="dcc_task_sla_watch",
            ),
            models.Index(fields=["store", "status", "rule"], name="dcc_task_store_status"),
            models.Index(fields=["appointment"], condition=Q(appointment__isnull=False), name="dcc_task_appointment"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} · {self.lead_id}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Call(models.Model):
    """One phone call of an agent with a customer, inbound (IB) or outbound (OB), and its outcome."""

    class Direction(models.TextChoices):
        INBOUND = "IB", _("Inbound")
        OUTBOUND = "OB", _("Outbound")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="dcc_calls", verbose_name=_("store"))
    task = models.ForeignKey(
        CallTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls", verbose_name=_("call task")
    )
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="dcc_calls", verbose_name=_("lead"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dcc_calls", verbose_name=_("agent")
    )
    direction = models.CharField(_("direction"), max_length=2, choices=Direction.choices)
    started_at = models.DateTimeField(_("started at"))
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    recording_ref = models.CharField(_("recording"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    callback_at = models.DateTimeField(_("call back at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    script_steps = models.JSONField(_("script steps covered"), default=list, blank=True)
    follow_up = models.ForeignKey(
        "leads.FollowUp",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("follow-up"),
    )
    appointment = models.ForeignKey(
        "leads.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dcc_calls",
        verbose_name=_("appointment"),
    )
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["store", "agent", "started_at"], name="dcc_call_agent_time"),
            models.Index(fields=["store", "started_at"], name="dcc_call_store_time"),
            models.Index(fields=["lead", "started_at"], name="dcc_call_lead"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.started_at:%Y-%m-%d %H:%M} {self.get_outcome_display()}"

    @property
    def connected(self) -> bool:
        return self.outcome in CONNECTED_OUTCOMES


class CallScript(models.Model):
    """The store's invitation call script (邀约话术), shown to agents as a checklist."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="dcc_script", verbose_name=_("store"))
    name = models.CharField(_("name"), max_length=100)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("call script")
        verbose_name_plural = _("call scripts")

    def __str__(self) -> str:
        return self.name


class CallScriptStep(models.Model):
    """One step of a call script: what to achieve and the words that help."""

    script = models.ForeignKey(CallScript, on_delete=models.CASCADE, related_name="steps", verbose_name=_("script"))
    position = models.PositiveSmallIntegerField(_("order"))
    title = models.CharField(_("step"), max_length=100)
    guidance = models.TextField(_("what to say"), blank=True)

    class Meta:
        verbose_name = _("script step")
        verbose_name_plural = _("script steps")
        ordering = ["script", "position", "id"]

    def __str__(self) -> str:
        return self.title


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")


class MessageTemplate(models.Model):
    """A store's text for a customer message; placeholders such as {name} are filled when sent."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Invitation confirmation")
        DAY_BEFORE = "day_before", _("Reminder the day before")
        SAME_DAY = "same_day", _("Reminder on the day")
        CAMPAIGN = "campaign", _("Campaign message")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="dcc_templates", verbose_name=_("store"))
    kind = models.CharField(_("used for"), max_length=16, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.SMS)
    name = models.CharField(_("name"), max_length=100)
    subject = models.CharField(_("email subject"), max_length=150, blank=True)
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["store", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """A message to a filtered list of leads (多媒体沟通): SMS, email or an event invitation."""

    class Kind(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")
        EVENT = "event", _("Event invitation (SMS)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        DONE = "done", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="dcc_campaigns", verbose_name=_("store"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.SMS)
    template = models.ForeignKey(
        MessageTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("template"),
    )
    subject = models.CharField(_("email subject"), max_length=150, blank=True)
    body = models.TextField(_("text"))
    event_name = models.CharField(_("event"), max_length=100, blank=True)
    event_at = models.DateTimeField(_("event time"), null=True, blank=True)
    filter_params = models.JSONField(_("lead filter"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    audience_count = models.PositiveIntegerField(_("leads matched"), default=0)
    excluded_count = models.PositiveIntegerField(_("left out (no consent, do not disturb, no address)"), default=0)
    queued_count = models.PositiveIntegerField(_("messages queued"), default=0)
    sent_count = models.PositiveIntegerField(_("sent"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped at sending"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["store", "-created_at"], name="dcc_campaign_store")]

    def __str__(self) -> str:
        return self.name

    @property
    def channel(self) -> str:
        return Channel.EMAIL if self.kind == self.Kind.EMAIL else Channel.SMS

    @property
    def done_count(self) -> int:
        return self.sent_count + self.failed_count + self.skipped_count

    @property
    def progress_percent(self) -> int:
        if not self.queued_count:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.done_count / self.queued_count))


class CampaignMessage(models.Model):
    """One lead's message of a campaign: queued once (unique per campaign and lead), sent once."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="messages")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="dcc_messages")
    address = models.CharField(_("sent to"), max_length=254)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    follow_up = models.ForeignKey("leads.FollowUp", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("campaign message")
        verbose_name_plural = _("campaign messages")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "lead"], name="dcc_campaign_message_unique_lead"),
        ]
        indexes = [models.Index(fields=["campaign", "status", "id"], name="dcc_campaign_message_queue")]

    def __str__(self) -> str:
        return f"{self.address} {self.get_status_display()}"


class ArrivalReminder(models.Model):
    """A message about an appointment to the customer: the confirmation, the day before, the morning
    of. Unique per appointment and kind, so no run of the reminder job sends one twice."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Invitation confirmation")
        DAY_BEFORE = "day_before", _("The day before")
        SAME_DAY = "same_day", _("On the day")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not sent (do not disturb or no phone)")
        FAILED = "failed", _("Failed")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    appointment = models.ForeignKey(
        "leads.Appointment", on_delete=models.CASCADE, related_name="dcc_reminders", verbose_name=_("appointment")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.SMS)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("arrival reminder")
        verbose_name_plural = _("arrival reminders")
        constraints = [
            models.UniqueConstraint(fields=["appointment", "kind"], name="dcc_reminder_unique_kind"),
        ]
        indexes = [models.Index(fields=["store", "status"], name="dcc_reminder_pending")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_status_display()}"
