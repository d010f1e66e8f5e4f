"""Customers, their leads and all the work on a lead: follow-ups, tasks, invitations, approvals."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Store, StoreScopedQuerySet


class Grade(models.TextChoices):
    """Intent grade (意向级别): how soon the customer will buy."""

    H = "H", _("H · buying within 7 days")
    A = "A", _("A · within 15 days")
    B = "B", _("B · within 30 days")
    C = "C", _("C · later")
    O = "O", _("O · ordered")  # noqa: E741 - the industry's letter
    F = "F", _("F · lost")


WORKING_GRADES = [Grade.H, Grade.A, Grade.B, Grade.C]


class LeadSettings(models.Model):
    """Per-store rules for leads: follow-up cadence per grade, shared-pool limits."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="lead_settings", verbose_name=_("store"))
    cadence_h_days = models.PositiveSmallIntegerField(_("follow up H leads every (days)"), default=1)
    cadence_a_days = models.PositiveSmallIntegerField(_("follow up A leads every (days)"), default=3)
    cadence_b_days = models.PositiveSmallIntegerField(_("follow up B leads every (days)"), default=7)
    cadence_c_days = models.PositiveSmallIntegerField(_("follow up C leads every (days)"), default=15)
    overdue_alert_days = models.PositiveSmallIntegerField(
        _("alert the manager after a task is overdue (days)"), default=3
    )
    pool_return_days = models.PositiveSmallIntegerField(_("return to the shared pool after overdue (days)"), default=7)
    pool_claim_daily_cap = models.PositiveSmallIntegerField(
        _("leads one person may claim from the pool per day"), default=10
    )

    class IngestAssignment(models.TextChoices):
        DCC = "dcc", _("To the DCC queue")
        ROUND_ROBIN = "round_robin", _("Round robin among consultants")

    ingest_assignment = models.CharField(
        _("assign online leads"), max_length=12, choices=IngestAssignment.choices, default=IngestAssignment.ROUND_ROBIN
    )
    round_robin_last_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("lead settings")
        verbose_name_plural = _("lead settings")

    def __str__(self) -> str:
        return str(self.store)

    def cadence_days(self, grade: str) -> int | None:
        return {
            Grade.H: self.cadence_h_days,
            Grade.A: self.cadence_a_days,
            Grade.B: self.cadence_b_days,
            Grade.C: self.cadence_c_days,
        }.get(grade)


class Source(models.Model):
    """Where a lead came from (客户来源); an admin extends the list. Children are sub-channels."""

    class Category(models.TextChoices):
        WALK_IN = "walk_in", _("Walk-in")
        PHONE = "phone", _("Showroom phone")
        HOTLINE = "hotline", _("400 hotline")
        ONLINE = "online", _("Online platform")
        OUTREACH = "outreach", _("Exhibition / outreach")
        EVENT = "event", _("Offline event")
        REFERRAL = "referral", _("Referral")
        PURCHASED = "purchased", _("Purchased list")
        OEM = "oem", _("OEM-distributed")
        TENDER = "tender", _("Tender (fleet)")
        REPURCHASE = "repurchase", _("Repurchase")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.parent.name} · {self.name}" if self.parent_id else self.name

    # Categories whose leads already talked to the store (value tier "value" without a visit).
    INTERACTED = {Category.PHONE, Category.HOTLINE, Category.EVENT, Category.WALK_IN}


class LostReason(models.Model):
    """A reason to close a lead as lost (战败) or invalid (无效); an admin manages the list."""

    class Kind(models.TextChoices):
        LOST = "lost", _("Lost")
        INVALID = "invalid", _("Invalid")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    needs_competitor = models.BooleanField(_("asks which competitor"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("lost or invalid reason")
        verbose_name_plural = _("lost and invalid reasons")
        ordering = ["kind", "sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class CustomerQuerySet(StoreScopedQuerySet):
    def active(self):
        return self.filter(merged_into__isnull=True)

    def visible_to(self, user, permission: str | None = None):
        """The one scoping rule for customers: every customer of a store where the user sees all
        leads (``leads.view_all``), elsewhere the customers of the leads the user may see."""
        if not user or not user.is_authenticated:
            return self.none()
        whole_stores = [
            store_id
            for store_id in user.store_ids_with_perm("leads.view_all")
            if permission is None or permission in user.perms_in(store_id)
        ]
        leads = Lead.objects.visible_to(user, permission)
        return self.filter(Q(store_id__in=whole_stores) | Q(pk__in=leads.values("customer_id")))


class Customer(models.Model):
    """A person or company the store sells to. One per normalised phone number per store."""

    class Gender(models.TextChoices):
        MALE = "m", _("Mr")
        FEMALE = "f", _("Ms")
        UNKNOWN = "", _("Unknown")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="customers", verbose_name=_("store"))
    name = models.CharField(_("name"), max_length=60)
    gender = models.CharField(_("title"), max_length=1, choices=Gender.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=24, blank=True, help_text=_("Mobile or landline with area code"))
    phone2 = models.CharField(_("second phone"), max_length=24, blank=True)
    wechat = models.CharField(_("WeChat ID"), max_length=60, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    household = models.CharField(_("household"), max_length=200, blank=True, help_text=_("Family members, who decides"))
    best_time_to_call = models.CharField(_("best time to call"), max_length=60, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    consent_marketing = models.BooleanField(_("agrees to marketing messages"), default=False)
    do_not_disturb = models.BooleanField(_("do not disturb"), default=False)
    # Fleet (批售) customers are companies.
    is_fleet = models.BooleanField(_("fleet customer"), default=False)
    company_name = models.CharField(_("company"), max_length=100, blank=True)
    industry = models.CharField(_("industry"), max_length=60, blank=True)
    company_size = models.CharField(_("company size"), max_length=30, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=60, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="absorbed", verbose_name=_("merged into")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at"]
        constraints = [
            # The dedupe rule, held by the database so concurrent creates cannot both win.
            models.UniqueConstraint(
                fields=["store", "phone"],
                condition=Q(merged_into__isnull=True) & ~Q(phone=""),
                name="customer_unique_phone_per_store",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "name"], name="customer_store_name"),
            models.Index(fields=["store", "wechat"], name="customer_store_wechat"),
            # The few customers who left no phone number (the dashboard's leads not filed).
            models.Index(fields=["store", "id"], condition=Q(phone=""), name="customer_no_phone"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    FOLLOWING = "following", _("Following up")
    INVITED = "invited", _("Invited")
    VISITED = "visited", _("Visited")
    ORDERED = "ordered", _("Ordered")
    DELIVERED = "delivered", _("Delivered")
    LOST_REQUESTED = "lost_requested", _("Lost requested")
    INVALID_REQUESTED = "invalid_requested", _("Invalid requested")
    LOST = "lost", _("Lost")
    INVALID = "invalid", _("Invalid")
    MERGED = "merged", _("Merged")


# A customer has at most one lead in these states per store.
OPEN_STATUSES = [
    LeadStatus.NEW,
    LeadStatus.FOLLOWING,
    LeadStatus.INVITED,
    LeadStatus.VISITED,
    LeadStatus.ORDERED,
    LeadStatus.LOST_REQUESTED,
    LeadStatus.INVALID_REQUESTED,
]
# Leads a consultant still works (follow-ups and tasks are due on these).
WORKING_STATUSES = [LeadStatus.NEW, LeadStatus.FOLLOWING, LeadStatus.INVITED, LeadStatus.VISITED]
CLOSED_STATUSES = [LeadStatus.DELIVERED, LeadStatus.LOST, LeadStatus.INVALID, LeadStatus.MERGED]


class LeadQuerySet(StoreScopedQuerySet):
    def visible_to(self, user, permission: str | None = None):
        """The one scoping rule for leads: per store, all of them (``leads.view_all``), the
        team's (``leads.view_team``: the supervisor's teams' members and the supervisor), or
        the user's own."""
        if not user or not user.is_authenticated:
            return self.none()
        condition = Q(pk__in=[])
        for store_id in user.store_ids():
            perms = user.perms_in(store_id)
            if permission and permission not in perms:
                continue
            if "leads.view_all" in perms:
                condition |= Q(store_id=store_id)
            elif "leads.view_team" in perms:
                team_ids = set(
                    user.supervised_teams.filter(store_id=store_id).values_list("members__id", flat=True)
                ) - {None}
                condition |= Q(store_id=store_id, owner_id__in=team_ids | {user.pk})
            else:
                condition |= Q(store_id=store_id, owner_id=user.pk)
        return self.filter(condition)

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def working(self):
        return self.filter(status__in=WORKING_STATUSES)


class Lead(models.Model):
    """One purchase intention of a customer, owned by one consultant or DCC agent."""

    class Payment(models.TextChoices):
        FULL = "full", _("Full payment")
        LOAN = "loan", _("Loan")
        UNDECIDED = "", _("Undecided")

    class PurchaseTime(models.TextChoices):
        WITHIN_7 = "7d", _("Within 7 days")
        WITHIN_15 = "15d", _("Within 15 days")
        WITHIN_30 = "30d", _("Within 30 days")
        WITHIN_90 = "90d", _("Within 3 months")
        LATER = "later", _("Later")
        UNKNOWN = "", _("Unknown")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="leads", verbose_name=_("store"))
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="leads", verbose_name=_("customer"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_leads",
        verbose_name=_("owner"),
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="leads", verbose_name=_("source"))
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    external_id = models.CharField(_("sender's lead id"), max_length=100, blank=True)
    referred_by_customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("referred by customer"),
    )
    referred_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referred_leads",
        verbose_name=_("referred by employee"),
    )
    series = models.ForeignKey(
        "catalog.Series",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("intended series"),
    )
    budget = models.CharField(_("budget"), max_length=40, blank=True, help_text=_("e.g. 15–20万"))
    purchase_time = models.CharField(
        _("expected purchase time"), max_length=8, choices=PurchaseTime.choices, blank=True
    )
    payment = models.CharField(_("payment"), max_length=8, choices=Payment.choices, blank=True)
    has_trade_in = models.BooleanField(_("trade-in"), default=False)
    current_car = models.CharField(_("current car"), max_length=100, blank=True)
    need_confirmed = models.BooleanField(_("need confirmed"), default=False)
    budget_confirmed = models.BooleanField(_("budget confirmed"), default=False)
    decision_maker_confirmed = models.BooleanField(_("decision-maker confirmed"), default=False)
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices, default=Grade.C)
    status = models.CharField(_("status"), max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW)
    is_fleet = models.BooleanField(_("fleet"), default=False)
    with_dcc = models.BooleanField(_("handed to DCC"), default=False)
    repurchase_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="repurchases",
        verbose_name=_("repurchase of"),
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("merged into")
    )
    next_follow_up_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    last_follow_up_at = models.DateTimeField(_("last follow-up"), null=True, blank=True)
    first_visit_at = models.DateTimeField(_("first visit"), null=True, blank=True)
    in_pool_since = models.DateTimeField(_("in the shared pool since"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = LeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["next_follow_up_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "customer"],
                condition=Q(
                    status__in=[
                        "new",
                        "following",
                        "invited",
                        "visited",
                        "ordered",
                        "lost_requested",
                        "invalid_requested",
                    ]
                ),
                name="lead_one_open_per_customer",
            ),
        ]
        indexes = [
            # Lists ordered by next follow-up: consultant's (owner) and manager's (store). The index
            # order is the list order, so a page is read straight off the index, however deep.
            models.Index(fields=["store", "owner", "next_follow_up_at", "id"], name="lead_owner_queue"),
            models.Index(fields=["store", "next_follow_up_at", "id"], name="lead_store_queue"),
            # Per-status lists, and grade counts answered from the index alone.
            models.Index(fields=["store", "status", "grade"], name="lead_store_status_grade"),
            # The same for one person's leads ("My leads": the page's total and its grade counts).
            models.Index(fields=["store", "owner", "status", "grade"], name="lead_owner_status_grade"),
            models.Index(fields=["store", "created_at"], name="lead_store_created"),
            models.Index(fields=["store", "in_pool_since"], name="lead_store_pool"),
            models.Index(fields=["store", "source", "external_id"], name="lead_external_id"),
            # The open prospects alone (report 7): a store's queue, its counts by grade and the
            # prospects its period's follow-ups are matched to, read from the index without the table.
            models.Index(
                fields=["store", "next_follow_up_at", "id"],
                include=["grade", "owner", "source", "series"],
                condition=Q(status__in=WORKING_STATUSES),
                name="lead_open_queue",
            ),
            # Leads handed to the DCC: a store's, for its DCC-sourced orders, without its other leads.
            models.Index(fields=["store", "created_at"], include=["id"], condition=Q(with_dcc=True), name="lead_dcc"),
        ]

    def __str__(self) -> str:
        return f"{self.customer.name} · {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_qualified(self) -> bool:
        """A qualified lead (商机): need, budget and decision-maker all confirmed."""
        return self.need_confirmed and self.budget_confirmed and self.decision_maker_confirmed

    @property
    def value_tier(self) -> str:
        """high: visited the store; value: interacted without visiting; general: no contact yet."""
        if self.first_visit_at:
            return "high"
        if self.source.category in Source.INTERACTED or self.last_follow_up_at:
            return "value"
        return "general"


class LeadEvent(models.Model):
    """One line of a lead's history: status changes, reassignments, pool moves, merges."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Lead created")
        STATUS = "status", _("Status changed")
        REASSIGNED = "reassigned", _("Reassigned")
        GRADED = "graded", _("Regraded")
        POOL_RETURNED = "pool_returned", _("Returned to the shared pool")
        CLAIMED = "claimed", _("Claimed from the shared pool")
        MERGED = "merged", _("Merged")
        FLEET = "fleet", _("Upgraded to fleet")
        DCC = "dcc", _("Handed to the DCC")
        ENQUIRY = "enquiry", _("New enquiry attached")
        NOTE = "note", _("Note")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_value = models.CharField(_("from"), max_length=60, blank=True)
    to_value = models.CharField(_("to"), max_length=60, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("lead event")
        verbose_name_plural = _("lead events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["lead", "-created_at"], name="lead_event_timeline")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.from_value}→{self.to_value}"


class FollowUp(models.Model):
    """A contact with the customer (跟进). Always has a result: without one it is not a follow-up."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        SMS = "sms", _("SMS")
        WECHAT = "wechat", _("WeChat")
        EMAIL = "email", _("Email")
        VISIT = "visit", _("Store visit")
        TEST_DRIVE = "test_drive", _("Test drive")

    class Result(models.TextChoices):
        CONTACTED = "contacted", _("Talked, keep following")
        INVITED = "invited", _("Invitation accepted")
        DECLINED = "declined", _("Invitation declined")
        NO_ANSWER = "no_answer", _("Not reached")
        VISITED = "visited", _("Came to the store")
        WANTS_ORDER = "wants_order", _("Ready to order")
        NOT_INTERESTED = "not_interested", _("Not interested now")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("lead"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("by")
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    content = models.TextField(_("what was said"))
    result = models.CharField(_("result"), max_length=16, choices=Result.choices)
    grade_before = models.CharField(_("grade before"), max_length=1, choices=Grade.choices)
    grade_after = models.CharField(_("grade after"), max_length=1, choices=Grade.choices)
    next_follow_up_at = models.DateTimeField(_("next contact"), null=True, blank=True)
    custom_plan = models.BooleanField(_("custom plan"), default=False)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["store", "author", "-created_at"], name="followup_author"),
            models.Index(fields=["lead", "-created_at"], name="followup_lead"),
            # A period's follow-ups of a store (reports), with the lead id at hand for per-lead counts.
            models.Index(fields=["store", "created_at"], include=["lead"], name="followup_store_made"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.get_result_display()}"


class FollowUpComment(models.Model):
    """A manager's or supervisor's comment on a follow-up (批复); shown to the author until read."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up comment")
        verbose_name_plural = _("follow-up comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:40]


class TaskQuerySet(StoreScopedQuerySet):
    def open(self):
        return self.filter(status=Task.Status.OPEN)


class Task(models.Model):
    """A planned piece of work on a lead (提醒/任务), due on a day, for one person."""

    class Kind(models.TextChoices):
        FOLLOW_UP = "follow_up", _("Follow up")
        APPOINTMENT = "appointment", _("Receive invited customer")
        LOST_REJECTED = "lost_rejected", _("Lost request rejected: keep following")
        FIRST_CONTACT = "first_contact", _("First contact")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("lead"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("assignee")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.FOLLOW_UP)
    title = models.CharField(_("title"), max_length=200, blank=True)
    due_at = models.DateTimeField(_("due"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    overdue_marked_at = models.DateTimeField(_("marked overdue at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("manager alerted at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    follow_up = models.ForeignKey(FollowUp, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at", "id"]
        constraints = [
            # Scheduled jobs may run twice or on two workers: one open task per lead, kind and day.
            models.UniqueConstraint(
                fields=["lead", "kind", "due_date"], condition=Q(status="open"), name="task_one_open_per_lead_kind_day"
            ),
        ]
        indexes = [
            # The user's queue; due_date included so the menu badge's count reads the index alone.
            models.Index(
                fields=["store", "assignee", "status", "due_at"], include=["due_date"], name="task_assignee_queue"
            ),
            models.Index(fields=["store", "status", "due_at"], name="task_store_queue"),
            # Reports: tasks due in a period (follow-up punctuality).
            models.Index(fields=["store", "due_date"], name="task_store_due_date"),
        ]

    def __str__(self) -> str:
        return self.title or self.get_kind_display()

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return self.status == self.Status.OPEN and self.due_date < timezone.localdate()


class Appointment(models.Model):
    """An invitation the customer accepted (邀约): when they come and who receives them."""

    class Purpose(models.TextChoices):
        VIEW = "view", _("See the car")
        TEST_DRIVE = "test_drive", _("Test drive")
        NEGOTIATE = "negotiate", _("Negotiate")
        DELIVERY = "delivery", _("Delivery")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        ARRIVED = "arrived", _("Arrived")
        NO_SHOW = "no_show", _("Did not come")
        CANCELLED = "cancelled", _("Cancelled")

    class Origin(models.TextChoices):
        SHOWROOM = "showroom", _("Showroom")
        DCC = "dcc", _("DCC")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="appointments", verbose_name=_("lead"))
    scheduled_at = models.DateTimeField(_("appointment time"))
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices, default=Purpose.VIEW)
    receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments_to_receive",
        verbose_name=_("received by"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments_made",
        verbose_name=_("invited by"),
    )
    origin = models.CharField(_("invited by team"), max_length=10, choices=Origin.choices, default=Origin.SHOWROOM)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["scheduled_at", "id"]
        indexes = [
            models.Index(fields=["store", "status", "scheduled_at"], name="appointment_store_day"),
            models.Index(fields=["store", "receiver", "scheduled_at"], name="appointment_receiver"),
            # Reports: invitations made in a period.
            models.Index(fields=["store", "created_at"], name="appointment_store_made"),
            # The leads the DCC invited, a store's (DCC-sourced orders).
            models.Index(fields=["store", "lead"], condition=Q(origin="dcc"), name="appointment_dcc"),
        ]

    def __str__(self) -> str:
        return f"{self.lead.customer.name} {self.scheduled_at:%Y-%m-%d %H:%M}"


class LostRequest(models.Model):
    """A consultant's request to close a lead as lost (申请战败) or invalid, decided by a manager."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="lost_requests", verbose_name=_("lead"))
    kind = models.CharField(_("kind"), max_length=10, choices=LostReason.Kind.choices)
    reason = models.ForeignKey(LostReason, on_delete=models.PROTECT, related_name="+", verbose_name=_("reason"))
    competitor_brand = models.CharField(_("competitor brand"), max_length=60, blank=True)
    competitor_model = models.CharField(_("competitor model"), max_length=60, blank=True)
    note = models.TextField(_("note"), blank=True)
    previous_status = models.CharField(max_length=20, choices=LeadStatus.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("comment"), blank=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("lost or invalid request")
        verbose_name_plural = _("lost and invalid requests")
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["lead"], condition=Q(status="pending"), name="lost_request_one_pending"),
        ]
        indexes = [
            models.Index(fields=["store", "status", "requested_at"], name="lost_request_queue"),
            # Reports: lost and invalid leads decided in a period.
            models.Index(fields=["store", "decided_at"], name="lost_request_decided"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reason}"

    @property
    def decision_time(self) -> dt.timedelta | None:
        return self.decided_at - self.requested_at if self.decided_at else None


class PoolClaim(models.Model):
    """A lead taken from the shared pool (公海); counts against the per-person daily cap."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    claimed_at = models.DateTimeField(auto_now_add=True)
    claimed_on = models.DateField()

    class Meta:
        verbose_name = _("pool claim")
        verbose_name_plural = _("pool claims")
        indexes = [models.Index(fields=["user", "claimed_on"], name="pool_claim_user_day")]

    def __str__(self) -> str:
        return f"{self.user} {self.claimed_on}"


class IngestRecord(models.Model):
    """One accepted ingest call: the same idempotency key answers the same lead again."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    idempotency_key = models.CharField(max_length=100)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    created_lead = models.BooleanField(default=False)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ingest record")
        verbose_name_plural = _("ingest records")
        constraints = [
            models.UniqueConstraint(fields=["store", "idempotency_key"], name="ingest_unique_key"),
        ]

    def __str__(self) -> str:
        return self.idempotency_key


class ImportBatch(models.Model):
    """An uploaded lead list: mapped, previewed, then committed; bad rows come back as a file."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        PREVIEWED = "previewed", _("Checked")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=200)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+", verbose_name=_("source"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assign to"),
    )
    mapping = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    good_rows = models.PositiveIntegerField(default=0)
    bad_rows = models.PositiveIntegerField(default=0)
    duplicate_rows = models.PositiveIntegerField(default=0)
    created_rows = models.PositiveIntegerField(default=0)
    error_file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("lead import")
        verbose_name_plural = _("lead imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name
