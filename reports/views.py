"""Report pages: the list of reports, each report's query and result, its print view and its
Excel export (inline when small, in the background when large), and the user's exports."""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from accounts.mixins import StorePermissionRequiredMixin

from . import services
from .base import Report
from .charts import render as render_chart
from .forms import ReportQueryForm
from .models import ExportJob
from .registry import REPORTS, allowed
from .xlsx import XLSX_CONTENT_TYPE, filename, write_report


def can_export(request, report: type[Report]) -> bool:
    """Excel export is a per-user grant (EXCEL导出权限) on top of the report's permission."""
    return bool(request.user.can_export and report.is_allowed(request.perms))


class ReportIndexView(StorePermissionRequiredMixin, TemplateView):
    """报表管理 → 客户分析: the reports this user may run."""

    template_name = "reports/index.html"

    def has_permission(self) -> bool:
        return self.request.store is not None and bool(allowed(self.request.perms))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["reports"] = allowed(self.request.perms)
        return ctx


class ReportMixin(StorePermissionRequiredMixin):
    """Resolves the report from the URL; its own permission decides who may run it."""

    def dispatch(self, request, *args, **kwargs):
        self.report_class = REPORTS.get(kwargs["identifier"])
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if self.report_class is None:
            raise Http404
        self.permission_required = self.report_class.required_permission
        return super().dispatch(request, *args, **kwargs)

    def build_form(self) -> ReportQueryForm:
        return ReportQueryForm(
            self.request.GET or None, user=self.request.user, store=self.request.store, report=self.report_class
        )

    def report_context(self, form: ReportQueryForm, *, limit: int | None = None) -> dict:
        ctx = {"report": self.report_class, "form": form, "can_export": can_export(self.request, self.report_class)}
        if form.is_bound and not form.is_valid():
            return ctx
        report = self.report_class(form.to_query())
        result = report.run(limit=limit)
        ctx.update(result=result, conditions=report.query.describe(), chart=render_chart(result.chart))
        return ctx


class ReportView(ReportMixin, View):
    template_name = "reports/report.html"

    def get(self, request, identifier):
        form = self.build_form()
        return render(request, self.template_name, self.report_context(form))


class ReportPrintView(ReportMixin, View):
    """The same result as on screen, laid out for paper (no row limit up to the export threshold)."""

    template_name = "reports/print.html"

    def get(self, request, identifier):
        form = self.build_form()
        ctx = self.report_context(form, limit=settings.REPORT_EXPORT_BACKGROUND_ROWS)
        ctx["printed_at"] = timezone.localtime()
        return render(request, self.template_name, ctx)


class ReportExportView(ReportMixin, View):
    """POST with the query in the URL: the .xlsx now, or a background export for large results."""

    def post(self, request, identifier):
        if not can_export(request, self.report_class):
            raise PermissionDenied
        form = self.build_form()
        if form.is_bound and not form.is_valid():
            return render(request, ReportView.template_name, self.report_context(form), status=400)
        report = self.report_class(form.to_query())
        if report.row_estimate() > settings.REPORT_EXPORT_BACKGROUND_ROWS:
            services.export_request(user=request.user, store=request.store, report=report)
            messages.info(request, _("The export is being prepared. It appears in My exports when it is ready."))
            return redirect("reports:exports")
        handle = tempfile.TemporaryFile()  # noqa: SIM115 -- FileResponse closes it
        rows = write_report(report, handle)
        services.export_audit(user=request.user, store=request.store, report=report, rows=rows, background=False)
        handle.seek(0)
        return FileResponse(handle, as_attachment=True, filename=filename(report), content_type=XLSX_CONTENT_TYPE)


class ExportListView(StorePermissionRequiredMixin, ListView):
    """The user's own background exports, newest first, until they expire."""

    template_name = "reports/exports.html"
    context_object_name = "jobs"

    def has_permission(self) -> bool:
        return self.request.store is not None and self.request.user.can_export

    def get_queryset(self):
        return ExportJob.objects.filter(user=self.request.user, expires_at__gte=timezone.now()).order_by("-created_at")[
            :50
        ]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["names"] = {key: report.verbose_name for key, report in REPORTS.items()}
        ctx["running"] = any(job.status in (ExportJob.Status.PENDING, ExportJob.Status.RUNNING) for job in ctx["jobs"])
        return ctx


class ExportDownloadView(StorePermissionRequiredMixin, View):
    """The owner downloads a finished export until it expires; anybody else gets 404."""

    model = ExportJob

    def has_permission(self) -> bool:
        return self.request.store is not None and self.request.user.can_export

    def get(self, request, pk):
        job = get_object_or_404(
            ExportJob, pk=pk, user=request.user, status=ExportJob.Status.DONE, expires_at__gte=timezone.now()
        )
        return FileResponse(
            job.file.open("rb"), as_attachment=True, filename=job.filename, content_type=XLSX_CONTENT_TYPE
        )
