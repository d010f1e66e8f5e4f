"""Forms for the catalog pages: one per catalog entity, the Excel upload, and a VIN form field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Brand, Series, Trim, VehicleModel
from .validators import normalize_vin, validate_vin


class VINFormField(forms.CharField):
    """A text input for a VIN: normalised (full-width folded, trimmed, upper case) and checked."""

    default_validators = [validate_vin]

    def __init__(self, *, max_length=None, **kwargs):
        # No max_length validator: validate_vin says how many characters were given.
        kwargs.setdefault("label", _("VIN"))
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"autocomplete": "off", "spellcheck": "false", "class": "text-uppercase font-monospace"})
        return attrs

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_vin(value) if value else value


class BootstrapFormMixin:
    """Bootstrap 5 classes on every widget, so templates can render fields plainly."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class BrandForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Brand
        fields = ["name", "name_en", "code", "country"]


class SeriesForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Series
        fields = ["brand", "name", "segment", "energy_type", "is_active"]


class VehicleModelForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = VehicleModel
        fields = ["series", "name", "model_year"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["series"].queryset = Series.objects.select_related("brand")


class TrimForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Trim
        fields = ["model", "name", "guide_price", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].queryset = VehicleModel.objects.select_related("series__brand")
        self.fields["model"].label_from_instance = lambda m: f"{m.series} · {m}"


class CatalogImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        help_text=_("One row per trim; download the template to see the columns."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(
                _("Please upload an Excel workbook saved as .xlsx (older .xls files cannot be read)."),
                code="not_xlsx",
            )
        return upload
