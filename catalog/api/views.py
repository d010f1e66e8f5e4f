from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import HasStorePermission

from ..filters import BrandFilterSet, SeriesFilterSet, TrimFilterSet, VehicleModelFilterSet
from ..models import Brand, Series, Trim, VehicleModel
from ..validators import decode_model_year, normalize_vin
from .serializers import (
    BrandSerializer,
    SeriesSerializer,
    TrimSerializer,
    VehicleModelSerializer,
    VinCheckInputSerializer,
    VinCheckResultSerializer,
)

VIEW_PERMISSION = "catalog.view_catalog"


class CatalogReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """The catalog is shared by every store: anyone who may browse it in some store reads all of it."""

    permission_classes = [HasStorePermission]
    required_permission = VIEW_PERMISSION


class BrandViewSet(CatalogReadOnlyViewSet):
    """Brands (品牌). Filter with ``q`` (name, English name or code) and ``country``."""

    queryset = Brand.objects.all()
    serializer_class = BrandSerializer
    filterset_class = BrandFilterSet


class SeriesViewSet(CatalogReadOnlyViewSet):
    """Series (车系). Filter with ``brand``, ``segment``, ``energy_type``, ``is_active`` and ``q``."""

    queryset = Series.objects.select_related("brand")
    serializer_class = SeriesSerializer
    filterset_class = SeriesFilterSet


class VehicleModelViewSet(CatalogReadOnlyViewSet):
    """Models (车型) per model year. Filter with ``brand``, ``series``, ``year`` and ``q``."""

    queryset = VehicleModel.objects.select_related("series")
    serializer_class = VehicleModelSerializer
    filterset_class = VehicleModelFilterSet


class TrimViewSet(CatalogReadOnlyViewSet):
    """Trims (配置) with guide prices in yuan. Filter with ``brand``, ``series``, ``model``, ``year``,
    ``energy_type``, ``min_price``, ``max_price``, ``is_active`` and ``q`` (words in any name)."""

    queryset = Trim.objects.with_tree()
    serializer_class = TrimSerializer
    filterset_class = TrimFilterSet


class VinCheckView(APIView):
    """Check a VIN: length, characters and the ISO 3779 / GB 16735 check digit; 400 says what is wrong."""

    permission_classes = [HasStorePermission]
    required_permission = VIEW_PERMISSION

    @extend_schema(
        request=VinCheckInputSerializer,
        responses={
            200: VinCheckResultSerializer,
            400: OpenApiResponse(description="The VIN is not valid; `errors.vin` lists what is wrong."),
        },
    )
    def post(self, request):
        serializer = VinCheckInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vin = normalize_vin(serializer.validated_data["vin"])
        result = {"vin": vin, "valid": True, "wmi": vin[:3], "year": decode_model_year(vin)}
        return Response(VinCheckResultSerializer(result).data)
