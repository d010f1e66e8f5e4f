"""Catalog pages: browse brands → series → models → trims, search trims, maintain the catalog, import."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import CreateView, DetailView, FormView, ListView, UpdateView

from accounts.mixins import StorePermissionRequiredMixin

from . import importing, selectors, services
from .filters import TrimFilterSet
from .forms import BrandForm, CatalogImportForm, SeriesForm, TrimForm, VehicleModelForm
from .models import Brand, Series, Trim, VehicleModel

VIEW_PERMISSION = "catalog.view_catalog"
MANAGE_PERMISSION = "catalog.manage_catalog"


class CatalogViewMixin(StorePermissionRequiredMixin):
    permission_required = VIEW_PERMISSION

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_manage"] = MANAGE_PERMISSION in self.request.perms
        return ctx


class CatalogIndexView(CatalogViewMixin, ListView):
    """The brands, each with its series count; the search box looks through every trim."""

    template_name = "catalog/index.html"
    context_object_name = "brands"

    def get_queryset(self):
        return selectors.brand_overview()


class BrandDetailView(CatalogViewMixin, DetailView):
    template_name = "catalog/brand_detail.html"
    model = Brand
    context_object_name = "brand"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["series_list"] = selectors.brand_series(self.object)
        return ctx


class SeriesDetailView(CatalogViewMixin, DetailView):
    template_name = "catalog/series_detail.html"
    context_object_name = "series"

    def get_queryset(self):
        return Series.objects.select_related("brand")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["models"] = selectors.series_models(self.object)
        return ctx


class TrimListView(CatalogViewMixin, ListView):
    """Search and filter trims across the catalog (the same filters as the API)."""

    template_name = "catalog/trim_list.html"
    context_object_name = "trims"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = TrimFilterSet(self.request.GET or None, queryset=Trim.objects.with_tree())
        trims = self.filterset.qs if self.filterset.is_bound else self.filterset.queryset
        return trims.order_by("model__series__brand__name", "model__series__name", "-model__model_year", "guide_price")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter"] = self.filterset
        return ctx


class CatalogFormMixin(StorePermissionRequiredMixin):
    """Create and edit pages: the form validates, a service writes and audits."""

    permission_required = MANAGE_PERMISSION
    template_name = "catalog/form.html"
    title = ""

    def save(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.object = self.save(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("“%(object)s” has been saved.") % {"object": self.object})
        return redirect(self.get_success_url())

    def get_initial(self):
        initial = super().get_initial()
        for name in getattr(self, "initial_from_query", ()):
            value = self.request.GET.get(name, "")
            if value.isdigit():
                initial[name] = int(value)
        return initial

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = self.title
        ctx["cancel_url"] = self.cancel_url()
        return ctx

    def cancel_url(self) -> str:
        if getattr(self, "object", None) is not None:
            return self.object.get_absolute_url()
        return ""


class BrandCreateView(CatalogFormMixin, CreateView):
    form_class = BrandForm
    title = gettext_lazy("New brand")

    def save(self, form):
        return services.brand_create(actor=self.request.user, **form.cleaned_data)


class BrandUpdateView(CatalogFormMixin, UpdateView):
    model = Brand
    form_class = BrandForm
    title = gettext_lazy("Edit brand")

    def save(self, form):
        return services.brand_update(actor=self.request.user, brand=self.get_object(), **form.cleaned_data)


class SeriesCreateView(CatalogFormMixin, CreateView):
    form_class = SeriesForm
    title = gettext_lazy("New series")
    initial_from_query = ("brand",)

    def save(self, form):
        return services.series_create(actor=self.request.user, **form.cleaned_data)


class SeriesUpdateView(CatalogFormMixin, UpdateView):
    model = Series
    form_class = SeriesForm
    title = gettext_lazy("Edit series")

    def save(self, form):
        return services.series_update(actor=self.request.user, series=self.get_object(), **form.cleaned_data)


class VehicleModelCreateView(CatalogFormMixin, CreateView):
    form_class = VehicleModelForm
    title = gettext_lazy("New model")
    initial_from_query = ("series",)

    def save(self, form):
        return services.vehicle_model_create(actor=self.request.user, **form.cleaned_data)


class VehicleModelUpdateView(CatalogFormMixin, UpdateView):
    model = VehicleModel
    form_class = VehicleModelForm
    title = gettext_lazy("Edit model")

    def save(self, form):
        return services.vehicle_model_update(
            actor=self.request.user, vehicle_model=self.get_object(), **form.cleaned_data
        )


class TrimCreateView(CatalogFormMixin, CreateView):
    form_class = TrimForm
    title = gettext_lazy("New trim")
    initial_from_query = ("model",)

    def save(self, form):
        return services.trim_create(actor=self.request.user, **form.cleaned_data)


class TrimUpdateView(CatalogFormMixin, UpdateView):
    model = Trim
    form_class = TrimForm
    title = gettext_lazy("Edit trim")

    def get_queryset(self):
        return Trim.objects.with_tree()

    def save(self, form):
        return services.trim_update(actor=self.request.user, trim=self.get_object(), **form.cleaned_data)


class CatalogImportView(StorePermissionRequiredMixin, FormView):
    """Upload a price list; the page then lists what was imported and every rejected row."""

    permission_required = MANAGE_PERMISSION
    template_name = "catalog/import.html"
    form_class = CatalogImportForm

    def form_valid(self, form):
        try:
            result = services.catalog_import(actor=self.request.user, file=form.cleaned_data["file"])
        except ValidationError as exc:
            form.add_error("file", exc)
            return self.form_invalid(form)
        if result.imported_rows:
            messages.success(
                self.request,
                ngettext("%(count)d row was imported.", "%(count)d rows were imported.", result.imported_rows)
                % {"count": result.imported_rows},
            )
        if result.errors:
            messages.warning(
                self.request,
                ngettext(
                    "%(count)d row was not imported; see the list below.",
                    "%(count)d rows were not imported; see the list below.",
                    result.error_count,
                )
                % {"count": result.error_count},
            )
        return self.render_to_response(self.get_context_data(form=CatalogImportForm(), result=result))


class CatalogImportTemplateView(StorePermissionRequiredMixin, View):
    """The empty price list to fill in, with its header row in the user's language."""

    permission_required = MANAGE_PERMISSION

    def get(self, request):
        response = HttpResponse(
            importing.template_workbook(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="catalog-import-template.xlsx"'
        return response
