"""The report center (报表中心): the files the morning job built for the current store, by day and
period, downloaded with the export grant (audited like every export), and the user's email
subscriptions to them."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from accounts.mixins import StorePermissionRequiredMixin

from . import services
from .center_forms import ReportFileFilterSet, SubscriptionForm, subscription_value
from .models import Period, ReportFile, ReportSubscription
from .registry import REPORTS, allowed
from .xlsx import XLSX_CONTENT_TYPE

DAYS_PER_PAGE = 7


class ReportCenterView(StorePermissionRequiredMixin, ListView):
    """The store's report-center files, newest day first, a week of days per page; POST saves the
    user's subscriptions."""

    permission_required = services.CENTER_PERMISSION
    template_name = "reports/center.html"
    model = ReportFile
    context_object_name = "days"
    paginate_by = DAYS_PER_PAGE

    def reports(self):
        """The reports whose files this user may have: the ones they may run in the store."""
        return allowed(self.request.perms)

    def get_queryset(self):
        files = ReportFile.objects.filter(
            store=self.request.store, report__in=[report.identifier for report in self.reports()]
        )
        self.filterset = ReportFileFilterSet(self.request.GET or None, queryset=files, reports=self.reports())
        self.files = self.filterset.qs
        return self.files.order_by("-day").values_list("day", flat=True).distinct()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        days = list(ctx["days"])
        files: dict = {}
        for report_file in self.files.filter(day__in=days):
            files.setdefault(report_file.day, {}).setdefault(report_file.report, {})[report_file.period] = report_file
        # Per day, a row per report that has files: its file of each period (or None), in column order.
        ctx["groups"] = [
            (
                day,
                [
                    (report, [files[day][report.identifier].get(period) for period in Period.values])
                    for report in self.reports()
                    if report.identifier in files[day]
                ],
            )
            for day in days
        ]
        ctx["periods"] = Period.choices
        ctx["keep_days"], ctx["keep_months"] = settings.REPORT_CENTER_KEEP_DAYS, settings.REPORT_CENTER_KEEP_MONTHS
        ctx["filter"] = self.filterset
        ctx["can_download"] = self.request.user.can_export
        if self.request.user.can_export:
            form = kwargs.get("subscription_form") or SubscriptionForm(
                initial={"subscriptions": self.subscribed()}, reports=self.reports()
            )
            chosen = set(form["subscriptions"].value() or [])
            ctx["subscription_form"] = form
            ctx["subscription_rows"] = [
                (
                    report,
                    [
                        (
                            subscription_value(report.identifier, p),
                            label,
                            subscription_value(report.identifier, p) in chosen,
                        )
                        for p, label in Period.choices
                    ],
                )
                for report in self.reports()
            ]
        return ctx

    def subscribed(self) -> list[str]:
        return [
            subscription_value(report, period)
            for report, period in ReportSubscription.objects.filter(
                user=self.request.user, store=self.request.store
            ).values_list("report", "period")
        ]

    def post(self, request):
        if not request.user.can_export:
            raise PermissionDenied
        form = SubscriptionForm(request.POST, reports=self.reports())
        if not form.is_valid():
            self.object_list = self.get_queryset()
            return self.render_to_response(self.get_context_data(subscription_form=form), status=400)
        services.report_subscriptions_set(user=request.user, store=request.store, wanted=form.chosen())
        messages.success(request, _("Your subscriptions are saved."))
        return redirect("reports:center")


class ReportFileDownloadView(StorePermissionRequiredMixin, View):
    """One file of the current store's report center; needs the export grant and is audited."""

    permission_required = services.CENTER_PERMISSION
    model = ReportFile

    def has_permission(self) -> bool:
        return super().has_permission() and self.request.user.can_export

    def get(self, request, pk):
        report_file = get_object_or_404(ReportFile.objects.select_related("store"), pk=pk, store=request.store)
        report = REPORTS.get(report_file.report)
        if report is None or not report.is_allowed(request.perms):
            raise Http404
        services.report_file_download(user=request.user, report_file=report_file)
        return FileResponse(
            report_file.file.open("rb"),
            as_attachment=True,
            filename=services.center_filename(report_file),
            content_type=XLSX_CONTENT_TYPE,
        )
