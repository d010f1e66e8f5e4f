from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import Brand, Series, Trim, VehicleModel
from ..validators import validate_vin


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["id", "name", "name_en", "code", "country"]
        read_only_fields = fields


class SeriesSerializer(serializers.ModelSerializer):
    brand_name = serializers.CharField(source="brand.name", read_only=True)

    class Meta:
        model = Series
        fields = ["id", "brand", "brand_name", "name", "segment", "energy_type", "is_active"]
        read_only_fields = fields


class VehicleModelSerializer(serializers.ModelSerializer):
    brand = serializers.IntegerField(source="series.brand_id", read_only=True)
    series_name = serializers.CharField(source="series.name", read_only=True)

    class Meta:
        model = VehicleModel
        fields = ["id", "brand", "series", "series_name", "name", "model_year"]
        read_only_fields = fields


class TrimSerializer(serializers.ModelSerializer):
    brand = serializers.IntegerField(source="model.series.brand_id", read_only=True)
    brand_name = serializers.CharField(source="model.series.brand.name", read_only=True)
    series = serializers.IntegerField(source="model.series_id", read_only=True)
    series_name = serializers.CharField(source="model.series.name", read_only=True)
    model_name = serializers.CharField(source="model.name", read_only=True)
    model_year = serializers.IntegerField(source="model.model_year", read_only=True)

    class Meta:
        model = Trim
        fields = [
            "id",
            "brand",
            "brand_name",
            "series",
            "series_name",
            "model",
            "model_name",
            "model_year",
            "name",
            "guide_price",
            "is_active",
        ]
        read_only_fields = fields


class VinCheckInputSerializer(serializers.Serializer):
    vin = serializers.CharField(
        label=_("VIN"), trim_whitespace=True, validators=[validate_vin], help_text=_("17 characters.")
    )


class VinCheckResultSerializer(serializers.Serializer):
    vin = serializers.CharField(help_text=_("The VIN normalised: upper case, without surrounding spaces."))
    valid = serializers.BooleanField()
    wmi = serializers.CharField(help_text=_("World manufacturer identifier: the first three characters."))
    year = serializers.IntegerField(
        allow_null=True, help_text=_("The model year coded at position 10 (its most recent possible reading).")
    )
