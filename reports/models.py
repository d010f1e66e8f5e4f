"""What the reports app stores: sales targets, the report center's files, users' exports and
subscriptions. The figures themselves are computed from the other apps' rows (see ``library``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Store, StoreScopedQuerySet


class Period(models.TextChoices):
    DAY = "day", _("Previous day")
    MONTH_TO_DATE = "mtd", _("Month to date")


class SalesTarget(models.Model):
    """A monthly sales target (orders) for a store (no consultant) or for one consultant there."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consultant"),
    )
    units = models.PositiveIntegerField(_("target (orders)"))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "month"], condition=Q(consultant__isnull=True), name="target_one_store_target"
            ),
            models.UniqueConstraint(
                fields=["store", "month", "consultant"],
                condition=Q(consultant__isnull=False),
                name="target_one_consultant_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.store} {self.month:%Y-%m} {self.consultant or ''} {self.units}"


class ReportFile(models.Model):
    """A report of the report center, built by the morning job: one file per store, report,
    period kind and day; a rerun replaces the file instead of adding one."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    report = models.CharField(_("report"), max_length=40)
    period = models.CharField(_("period"), max_length=4, choices=Period.choices)
    day = models.DateField(_("day"), help_text=_("The day reported on, or the last day of the month to date."))
    first = models.DateField(_("from"))
    file = models.FileField(upload_to="report-center/%Y/%m/")
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created_at = models.DateTimeField(_("built at"), auto_now=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("report file")
        verbose_name_plural = _("report files")
        constraints = [
            models.UniqueConstraint(fields=["store", "report", "period", "day"], name="reportfile_one_per_day")
        ]
        indexes = [models.Index(fields=["store", "-day"], name="reportfile_store_day")]

    def __str__(self) -> str:
        return f"{self.report} {self.period} {self.day:%Y-%m-%d}"


class ExportJob(models.Model):
    """An export too big to stream at once, run by a worker and downloaded from the user's list
    until it expires."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    report = models.CharField(_("report"), max_length=40)
    params = models.JSONField(default=dict)
    description = models.CharField(_("query"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)
    filename = models.CharField(max_length=200, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["user", "-created_at"], name="exportjob_user_created")]

    def __str__(self) -> str:
        return f"{self.report} #{self.pk}"


class ReportSubscription(models.Model):
    """A manager's wish to receive a report of the report center by email each morning."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    report = models.CharField(_("report"), max_length=40)
    period = models.CharField(_("period"), max_length=4, choices=Period.choices)
    last_sent_on = models.DateField(_("last sent"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["store", "user", "report", "period"], name="subscription_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.report} {self.period}"


class DailyCount(models.Model):
    """One person's figures for one Beijing day in one store: the per-day metrics of
    ``reports.metrics``, counted once a day is over (see ``reports.summary``), so that reports over
    months and years add up thousands of rows instead of millions. Derived data: rebuilt, never edited."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    day = models.DateField(_("day"))
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    captured_leads = models.PositiveIntegerField(default=0)
    follow_ups = models.PositiveIntegerField(default=0)
    follow_ups_phone = models.PositiveIntegerField(default=0)
    follow_ups_sms = models.PositiveIntegerField(default=0)
    follow_ups_wechat = models.PositiveIntegerField(default=0)
    follow_ups_email = models.PositiveIntegerField(default=0)
    follow_ups_visit = models.PositiveIntegerField(default=0)
    follow_ups_test_drive = models.PositiveIntegerField(default=0)
    invitations = models.PositiveIntegerField(default=0)
    visits = models.PositiveIntegerField(default=0)
    first_visits = models.PositiveIntegerField(default=0)
    test_drives = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)
    deliveries = models.PositiveIntegerField(default=0)
    lost = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("daily count")
        verbose_name_plural = _("daily counts")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "day", "person"], condition=Q(person__isnull=False), name="dailycount_one_per_person"
            ),
            models.UniqueConstraint(
                fields=["store", "day"], condition=Q(person__isnull=True), name="dailycount_one_unassigned"
            ),
        ]
        indexes = [models.Index(fields=["store", "day"], name="dailycount_store_day")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day:%Y-%m-%d} {self.person_id or '-'}"


class SummaryDay(models.Model):
    """A store's day whose ``DailyCount`` rows are built (only days already over are built)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    day = models.DateField(_("day"))
    built_at = models.DateTimeField(_("built at"))

    class Meta:
        verbose_name = _("summarised day")
        verbose_name_plural = _("summarised days")
        constraints = [models.UniqueConstraint(fields=["store", "day"], name="summaryday_one_per_day")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day:%Y-%m-%d}"


class SummaryState(models.Model):
    """How far a store's summaries are checked: every change made before ``changes_checked_at`` to
    a summarised day's rows is in its ``DailyCount`` rows; later ones are looked up when reading.
    Until a first check (empty), the store's reports are computed live. The row is also the lock
    that keeps two builds of the store's summaries apart."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    changes_checked_at = models.DateTimeField(_("changes checked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("summary state")
        verbose_name_plural = _("summary states")

    def __str__(self) -> str:
        return f"{self.store_id} {self.changes_checked_at:%Y-%m-%d %H:%M}"
