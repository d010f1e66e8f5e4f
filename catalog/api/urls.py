from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

# SimpleRouter: the API root view belongs to accounts' router.
router = SimpleRouter()
router.register("catalog/brands", views.BrandViewSet, basename="catalog-brand")
router.register("catalog/series", views.SeriesViewSet, basename="catalog-series")
router.register("catalog/models", views.VehicleModelViewSet, basename="catalog-model")
router.register("catalog/trims", views.TrimViewSet, basename="catalog-trim")

urlpatterns = [
    path("catalog/vin-check/", views.VinCheckView.as_view(), name="api-catalog-vin-check"),
    *router.urls,
]
