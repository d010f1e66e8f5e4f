from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.CatalogIndexView.as_view(), name="index"),
    path("trims/", views.TrimListView.as_view(), name="trim_list"),
    path("brands/new/", views.BrandCreateView.as_view(), name="brand_create"),
    path("brands/<int:pk>/", views.BrandDetailView.as_view(), name="brand_detail"),
    path("brands/<int:pk>/edit/", views.BrandUpdateView.as_view(), name="brand_update"),
    path("series/new/", views.SeriesCreateView.as_view(), name="series_create"),
    path("series/<int:pk>/", views.SeriesDetailView.as_view(), name="series_detail"),
    path("series/<int:pk>/edit/", views.SeriesUpdateView.as_view(), name="series_update"),
    path("models/new/", views.VehicleModelCreateView.as_view(), name="model_create"),
    path("models/<int:pk>/edit/", views.VehicleModelUpdateView.as_view(), name="model_update"),
    path("trims/new/", views.TrimCreateView.as_view(), name="trim_create"),
    path("trims/<int:pk>/edit/", views.TrimUpdateView.as_view(), name="trim_update"),
    path("import/", views.CatalogImportView.as_view(), name="import"),
    path("import/template.xlsx", views.CatalogImportTemplateView.as_view(), name="import_template"),
]
