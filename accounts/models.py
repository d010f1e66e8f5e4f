"""Dealer groups, stores, users, roles and what each role may do, teams, audit log, notifications."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


class DealerGroup(models.Model):
    """A dealer group (经销商集团) owning one or more stores."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("dealer group")
        verbose_name_plural = _("dealer groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Store(models.Model):
    """One 4S store. Every business record belongs to exactly one store."""

    group = models.ForeignKey(
        DealerGroup, on_delete=models.PROTECT, related_name="stores", verbose_name=_("dealer group")
    )
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["group__name", "name"]

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    """One opening interval of a store on a weekday; a day may have several (a lunch break)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="opening_hours", verbose_name=_("store"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["store", "weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="opening_hours_closes_after_opens"
            ),
            models.UniqueConstraint(fields=["store", "weekday", "opens_at"], name="opening_hours_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class Holiday(models.Model):
    """A calendar exception: a closed day, or a make-up working day (调休) on a weekend.

    A make-up working day opens with the hours of the weekday it replaces (``works_as_weekday``).
    """

    class Kind(models.TextChoices):
        CLOSED = "closed", _("Closed (holiday)")
        WORKDAY = "workday", _("Make-up working day")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="holidays", verbose_name=_("store"))
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CLOSED)
    works_as_weekday = models.PositiveSmallIntegerField(
        _("opens with the hours of"), choices=OpeningHours.Weekday.choices, null=True, blank=True
    )

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["store", "date"]
        constraints = [models.UniqueConstraint(fields=["store", "date"], name="holiday_unique_store_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Permission(models.Model):
    """A named permission such as ``leads.export_customer``; each app seeds its own by migration."""

    code = models.CharField(_("code"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("permission")
        verbose_name_plural = _("permissions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class RoleCode(models.TextChoices):
    RECEPTION = "reception", _("Receptionist")
    CONSULTANT = "consultant", _("Sales consultant")
    SALES_SUPERVISOR = "sales_supervisor", _("Sales supervisor")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    DCC_AGENT = "dcc_agent", _("DCC agent")
    DCC_MANAGER = "dcc_manager", _("DCC manager")
    CS_AGENT = "cs_agent", _("Customer service agent")
    CS_MANAGER = "cs_manager", _("Customer service manager")
    GM = "gm", _("General manager")
    ADMIN = "admin", _("System administrator")


class RoleQuerySet(models.QuerySet):
    def available_in(self, store: Store) -> RoleQuerySet:
        """Roles a store can grant: its own, plus the shipped defaults it has not overridden."""
        own_codes = Role.objects.filter(store=store).values("code")
        return self.filter(Q(store=store) | (Q(store__isnull=True) & ~Q(code__in=own_codes)))


class Role(models.Model):
    """A role and its permissions. ``store`` empty: the shipped default; set: one store's override."""

    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="roles", verbose_name=_("store")
    )
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=60, blank=True, help_text=_("Leave empty to use the standard name."))
    landing_url = models.CharField(_("landing page"), max_length=80, blank=True)
    permissions = models.ManyToManyField(Permission, blank=True, related_name="roles", verbose_name=_("permissions"))

    objects = RoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["store_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["store", "code"], name="role_unique_store_code"),
            models.UniqueConstraint(fields=["code"], condition=Q(store__isnull=True), name="role_unique_default_code"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        try:
            return str(RoleCode(self.code).label)
        except ValueError:
            return self.code


class User(AbstractUser):
    """A person who signs in. What they may do comes from their memberships (role per store)."""

    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", "简体中文"
        EN = "en", "English"

    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS)
    can_export = models.BooleanField(_("may export to Excel"), default=False)
    can_see_full_phone = models.BooleanField(_("may see full phone numbers"), default=False)
    notify_by_email = models.BooleanField(_("also send notifications by email"), default=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    # --- memberships and permissions (cached per instance, i.e. per request) ---------------
    @cached_property
    def _access(self):
        """The user's ``accounts.selectors.Access``: grants, groups and roles, read once."""
        from .selectors import user_access

        return user_access(self)

    @cached_property
    def _grants(self) -> dict[int, tuple[set[str], set[str]]]:
        """store id → (role codes, permission codes) for every store this user works in."""
        return self._access.grants

    def group_ids(self) -> frozenset[int]:
        """The dealer groups where the user holds a group-wide membership (a group user)."""
        return self._access.group_ids

    def role_names_in(self, store: Store | int | None) -> set[str]:
        """The names of the roles the user holds in ``store`` (a store's own version's name, if any)."""
        if store is None:
            return set()
        roles = self._access.roles.get(store if isinstance(store, int) else store.pk, ())
        return {role.display_name for role in roles}

    def store_ids(self) -> list[int]:
        return list(self._grants)

    def roles_in(self, store: Store | int | None) -> set[str]:
        if store is None:
            return set()
        store_id = store if isinstance(store, int) else store.pk
        return self._grants.get(store_id, (set(), set()))[0]

    def perms_in(self, store: Store | int | None) -> set[str]:
        if store is None:
            return set()
        store_id = store if isinstance(store, int) else store.pk
        return self._grants.get(store_id, (set(), set()))[1]

    def has_store_perm(self, store: Store | int | None, code: str) -> bool:
        return self.is_active and code in self.perms_in(store)

    def store_ids_with_perm(self, code: str) -> list[int]:
        return [store_id for store_id, (_roles, perms) in self._grants.items() if code in perms]

    def clear_grant_cache(self) -> None:
        self.__dict__.pop("_grants", None)
        self.__dict__.pop("_access", None)


class Membership(models.Model):
    """A user's role in one store, or across every store of a dealer group (group users)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("role"))
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships", verbose_name=_("store")
    )
    group = models.ForeignKey(
        DealerGroup,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("dealer group"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=(Q(store__isnull=False) & Q(group__isnull=True))
                | (Q(store__isnull=True) & Q(group__isnull=False)),
                name="membership_store_xor_group",
            ),
            models.UniqueConstraint(fields=["user", "store", "role"], name="membership_unique_store_role"),
            models.UniqueConstraint(fields=["user", "group", "role"], name="membership_unique_group_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role} · {self.store or self.group}"


class Team(models.Model):
    """A sales supervisor's team of consultants in one store."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="teams", verbose_name=_("store"))
    name = models.CharField(_("name"), max_length=60)
    supervisor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervised_teams",
        verbose_name=_("supervisor"),
    )
    members = models.ManyToManyField(User, blank=True, related_name="teams", verbose_name=_("members"))

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["store", "name"]
        constraints = [models.UniqueConstraint(fields=["store", "name"], name="team_unique_store_name")]

    def __str__(self) -> str:
        return self.name


class StoreScopedQuerySet(models.QuerySet):
    """Base queryset for records that belong to a store; ``visible_to`` is the one scoping rule."""

    store_field = "store"

    def visible_to(self, user, permission: str | None = None):
        """Rows in the stores where ``user`` holds ``permission`` (any role, when None)."""
        if not user or not user.is_authenticated:
            return self.none()
        store_ids = user.store_ids_with_perm(permission) if permission else user.store_ids()
        return self.filter(**{f"{self.store_field}__in": store_ids})


class AuditLog(models.Model):
    """Who did what to which record, when, from where, and what changed. Written only by ``audit_record``."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    store = models.ForeignKey(
        Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("store")
    )
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["store", "-created_at"], name="audit_store_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_repr}"


class Notification(models.Model):
    """A message to one user, shown in the in-app centre and optionally sent through channels."""

    class Level(models.TextChoices):
        INFO = "info", _("Information")
        WARNING = "warning", _("Warning")
        URGENT = "urgent", _("Urgent")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("store")
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.INFO)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return self.title


class NotificationDelivery(models.Model):
    """One attempt to deliver a notification through an external channel (email, WeCom)."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        LOGGED = "logged", _("Logged (channel not configured)")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=40)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification delivery")
        verbose_name_plural = _("notification deliveries")
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_unique_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {self.status}"


class SchedulerHeartbeat(models.Model):
    """The last time the beat scheduler's heartbeat task ran: proof that scheduled jobs fire."""

    name = models.CharField(max_length=40, unique=True)
    last_run_at = models.DateTimeField()
    runs = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} {self.last_run_at:%Y-%m-%d %H:%M:%S}"
