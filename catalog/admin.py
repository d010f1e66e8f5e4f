"""Django admin for the catalog; saves and deletes go through the catalog services (validated, audited)."""

from django.contrib import admin

from . import services
from .models import Brand, Series, Trim, VehicleModel

CREATE = {
    Brand: services.brand_create,
    Series: services.series_create,
    VehicleModel: services.vehicle_model_create,
    Trim: services.trim_create,
}
UPDATE = {
    Brand: lambda actor, obj, data: services.brand_update(actor=actor, brand=obj, **data),
    Series: lambda actor, obj, data: services.series_update(actor=actor, series=obj, **data),
    VehicleModel: lambda actor, obj, data: services.vehicle_model_update(actor=actor, vehicle_model=obj, **data),
    Trim: lambda actor, obj, data: services.trim_update(actor=actor, trim=obj, **data),
}


class CatalogAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.fields if name in form.cleaned_data}
        model = type(obj)
        if change:
            saved = UPDATE[model](request.user, model._default_manager.get(pk=obj.pk), data)
        else:
            saved = CREATE[model](actor=request.user, **data)
        # The admin goes on with ``obj`` (its change message and redirect need the primary key).
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.catalog_entry_delete(actor=request.user, instance=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.catalog_entry_delete(actor=request.user, instance=obj)


class SeriesInline(admin.TabularInline):
    model = Series
    extra = 0
    fields = ("name", "segment", "energy_type", "is_active")
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TrimInline(admin.TabularInline):
    model = Trim
    extra = 0
    fields = ("name", "guide_price", "is_active")
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Brand)
class BrandAdmin(CatalogAdmin):
    list_display = ("name", "name_en", "code", "country")
    search_fields = ("name", "name_en", "code")
    inlines = [SeriesInline]


@admin.register(Series)
class SeriesAdmin(CatalogAdmin):
    list_display = ("name", "brand", "segment", "energy_type", "is_active")
    list_filter = ("brand", "segment", "energy_type", "is_active")
    search_fields = ("name", "brand__name")
    list_select_related = ("brand",)
    autocomplete_fields = ("brand",)


@admin.register(VehicleModel)
class VehicleModelAdmin(CatalogAdmin):
    list_display = ("name", "series", "model_year")
    list_filter = ("model_year", "series__brand")
    search_fields = ("name", "series__name", "series__brand__name")
    list_select_related = ("series__brand",)
    autocomplete_fields = ("series",)
    inlines = [TrimInline]


@admin.register(Trim)
class TrimAdmin(CatalogAdmin):
    list_display = ("name", "model", "guide_price", "is_active")
    list_filter = ("is_active", "model__model_year", "model__series__brand")
    search_fields = ("name", "model__name", "model__series__name", "model__series__brand__name")
    list_select_related = ("model__series__brand",)
    autocomplete_fields = ("model",)
