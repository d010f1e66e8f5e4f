"""Pages of the lead import: list, upload, mapping and preview, start, progress, result file."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView
from django.views.generic.detail import SingleObjectMixin

from accounts.mixins import StorePermissionRequiredMixin

from . import importing
from .import_forms import ImportMappingForm, ImportUploadForm
from .models import ImportBatch

PERMISSION = "leads.import"


class ImportBatchMixin(StorePermissionRequiredMixin):
    """Imports of the store the user works in now; another store's import is a 404."""

    permission_required = PERMISSION
    model = ImportBatch

    def get_queryset(self):
        return ImportBatch.objects.filter(store=self.request.store).select_related("source", "created_by", "owner")


class ImportListView(ImportBatchMixin, ListView):
    template_name = "leads/import/list.html"
    context_object_name = "batches"
    paginate_by = 25


class ImportCreateView(StorePermissionRequiredMixin, FormView):
    permission_required = PERMISSION
    template_name = "leads/import/new.html"
    form_class = ImportUploadForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "store": self.request.store}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            batch = importing.batch_create(
                actor=self.request.user,
                store=self.request.store,
                upload=data["file"],
                source=data["source"],
                assignment=data["assignment"],
                owner=data.get("owner"),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error("file", exc.messages)
            return self.form_invalid(form)
        return redirect("leads:import_detail", pk=batch.pk)


class ImportDetailView(ImportBatchMixin, DetailView):
    """Before the start: the mapping and the first rows checked. Then progress, then the result."""

    template_name = "leads/import/detail.html"
    context_object_name = "batch"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        batch = self.object
        ctx.update(_progress_context(batch))
        if batch.status in (ImportBatch.Status.UPLOADED, ImportBatch.Status.PREVIEWED):
            ctx.setdefault(
                "mapping_form",
                ImportMappingForm(headers=batch.mapping.get("headers") or [], columns=importing.batch_columns(batch)),
            )
            try:
                ctx["preview"] = importing.preview(batch)
            except ValidationError as exc:
                ctx["preview_error"] = " ".join(exc.messages)
        return ctx

    def post(self, request, pk):
        """Save the column mapping the user chose, then show the checked rows again."""
        self.object = batch = self.get_object()
        form = ImportMappingForm(
            request.POST, headers=batch.mapping.get("headers") or [], columns=importing.batch_columns(batch)
        )
        if form.is_valid():
            try:
                importing.batch_set_mapping(actor=request.user, batch=batch, columns=form.cleaned_data)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("The columns are saved: check the rows below."))
            return redirect("leads:import_detail", pk=batch.pk)
        return self.render_to_response(self.get_context_data(mapping_form=form))


class ImportCommitView(ImportBatchMixin, SingleObjectMixin, View):
    """Start (or resume) the import: at once for small files, in the background for large ones."""

    def post(self, request, pk):
        batch = self.get_object()
        try:
            batch = importing.batch_start(actor=request.user, batch=batch)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("leads:import_detail", pk=batch.pk)
        if batch.status == ImportBatch.Status.RUNNING:
            messages.info(request, _("The import runs in the background; this page shows how far it is."))
        elif batch.status == ImportBatch.Status.DONE:
            messages.success(
                request,
                _("Import finished: %(created)d leads created, %(duplicates)d duplicates, %(bad)d rows not imported.")
                % {"created": batch.created_rows, "duplicates": batch.duplicate_rows, "bad": batch.bad_rows},
            )
        else:
            messages.error(request, _("The import stopped: %(error)s") % {"error": batch.error_message})
        return redirect("leads:import_detail", pk=batch.pk)


def _progress_context(batch: ImportBatch) -> dict:
    done = importing.rows_done(batch)
    total = max(batch.total_rows, done, 1)
    return {
        "rows_done": done,
        "percent": min(100, round(100 * done / total)),
        "stalled": importing.batch_stalled(batch),
    }


class ImportProgressView(ImportBatchMixin, DetailView):
    """The progress bar htmx polls; once the import is over the whole page reloads with the result."""

    template_name = "leads/import/_progress.html"
    context_object_name = "batch"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_progress_context(self.object)}

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        if self.object.status != ImportBatch.Status.RUNNING and getattr(self.request, "htmx", False):
            response["HX-Refresh"] = "true"
        return response


class ImportProblemsView(ImportBatchMixin, SingleObjectMixin, View):
    """The rows not imported and the duplicates, as .xlsx with the reason in an extra column."""

    def get(self, request, pk):
        batch = self.get_object()
        if not batch.error_file:
            messages.info(request, _("Every row of this import was imported: there is no problem file."))
            return redirect("leads:import_detail", pk=batch.pk)
        name = f"{batch.original_name.rsplit('.', 1)[0]}-problems.xlsx"
        return FileResponse(
            batch.error_file.open("rb"), as_attachment=True, filename=name, content_type=importing.XLSX_CONTENT_TYPE
        )


class ImportTemplateView(StorePermissionRequiredMixin, View):
    """An empty list with the column names the import recognises."""

    permission_required = PERMISSION

    def get(self, request):
        response = HttpResponse(importing.template_workbook(), content_type=importing.XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = 'attachment; filename="lead-import-template.xlsx"'
        return response
