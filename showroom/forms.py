"""Forms of the showroom pages. They check what people typed; ``showroom.services`` decides and writes.

Model forms here are never saved: views pass ``cleaned_data`` to a service.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Store, User
from catalog.forms import VINFormField
from catalog.models import Series, Trim
from leads.models import Customer, Source
from leads.phones import normalize_phone
from leads.selectors import lead_owners

from .models import DemoVehicle, Order, ShowroomSettings, Visit
from .selectors import vin_in_use

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def style_fields(form: forms.BaseForm) -> None:
    """Bootstrap classes on every widget, set once when the form is built."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PhoneField(forms.CharField):
    """A Chinese mobile or landline number, cleaned to its stored form; a clear message otherwise."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off", "spellcheck": "false"})
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return normalize_phone(value) if value else ""


class ConsultantChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class SourceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"— {obj.name}" if obj.parent_id else obj.name


def source_choices(also_pk: int | None = None) -> list[Source]:
    """Active sources (and ``also_pk``), each platform's sub-channels right after it."""
    sources = list(Source.objects.filter(Q(is_active=True) | Q(pk=also_pk)).select_related("parent"))
    ordered = []
    for parent in (s for s in sources if not s.parent_id):
        ordered.append(parent)
        ordered.extend(s for s in sources if s.parent_id == parent.pk)
    ordered.extend(s for s in sources if s not in ordered)
    return ordered


def _set_sources(field: forms.ModelChoiceField, also_pk: int | None = None) -> None:
    ordered = source_choices(also_pk)
    field.queryset = Source.objects.filter(pk__in=[s.pk for s in ordered])
    field.choices = [("", field.empty_label or "---------")] + [(s.pk, field.label_from_instance(s)) for s in ordered]


def consultants_of(store: Store):
    return lead_owners(store).filter(is_active=True).order_by("full_name", "username")


def series_queryset():
    return Series.objects.filter(is_active=True).select_related("brand")


class SeriesChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.brand.name} {obj.name}"


# --- Visits ----------------------------------------------------------------------------------------


class VisitRegisterForm(forms.Form):
    """新建展厅流量记录: phone first; everything else has a sensible default for a busy desk."""

    phone = PhoneField(
        label=_("Phone"),
        required=False,
        help_text=_("Leave empty when the visitor gives no number: the visit is registered as not filed."),
    )
    visitor_name = forms.CharField(label=_("Visitor"), max_length=60, required=False)
    party_size = forms.IntegerField(label=_("Party size"), min_value=1, max_value=99, initial=1)
    arrived_at = forms.DateTimeField(label=_("Arrived at"), widget=DateTimeLocalInput())
    source = SourceChoiceField(queryset=Source.objects.none(), label=_("Source"), required=False)
    series = SeriesChoiceField(queryset=Series.objects.none(), label=_("Intended series"), required=False)
    consultant = ConsultantChoiceField(
        queryset=User.objects.none(), label=_("Receiving consultant"), required=False, empty_label=_("Automatic")
    )
    test_drive = forms.BooleanField(label=_("Test drive"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.store = store
        self.fields["consultant"].queryset = consultants_of(store)
        self.fields["series"].queryset = series_queryset()
        _set_sources(self.fields["source"])
        if not self.is_bound:
            self.initial.setdefault("arrived_at", timezone.localtime().replace(second=0, microsecond=0))
            walk_in = next((s for s in self.fields["source"].queryset if s.code == "walk_in"), None)
            if walk_in is not None:
                self.initial.setdefault("source", walk_in.pk)
        attrs = self.fields["phone"].widget.attrs
        attrs.update({"autofocus": True, "placeholder": _("e.g. 138 1234 5678")})
        self.fields["visitor_name"].widget.attrs.update({"autocomplete": "off", "placeholder": _("e.g. Mr Wang")})
        style_fields(self)

    def clean_arrived_at(self):
        value = self.cleaned_data["arrived_at"]
        if value > timezone.now() + dt.timedelta(minutes=5):
            raise ValidationError(_("The arrival time cannot be in the future."))
        return value


class VisitCorrectForm(forms.ModelForm):
    """Correct a registration (counts against the clerk's accuracy)."""

    class Meta:
        model = Visit
        fields = ["visitor_name", "party_size", "arrived_at", "departed_at", "source", "series", "test_drive", "note"]
        field_classes = {
            "source": SourceChoiceField,
            "series": SeriesChoiceField,
            "arrived_at": forms.DateTimeField,
            "departed_at": forms.DateTimeField,
        }
        widgets = {"arrived_at": DateTimeLocalInput(), "departed_at": DateTimeLocalInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party_size"].min_value = 1
        _set_sources(self.fields["source"], self.instance.source_id)
        self.fields["series"].queryset = Series.objects.filter(
            Q(is_active=True) | Q(pk=self.instance.series_id)
        ).select_related("brand")
        style_fields(self)

    def clean(self):
        data = super().clean()
        arrived, departed = data.get("arrived_at"), data.get("departed_at")
        if arrived and departed and departed < arrived:
            self.add_error("departed_at", _("The departure cannot be before the arrival."))
        return data

    def changed_values(self) -> dict:
        """Only what the user changed, so an untouched form corrects nothing."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name in self.cleaned_data}


class VisitReassignForm(forms.Form):
    consultant = ConsultantChoiceField(queryset=User.objects.none(), label=_("Give to"))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consultant"].queryset = consultants_of(store)
        style_fields(self)


class ClerkFiguresForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=DateInput())
    date_to = forms.DateField(label=_("To"), widget=DateInput())

    MAX_DAYS = 366

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)

    def clean(self):
        data = super().clean()
        first, last = data.get("date_from"), data.get("date_to")
        if first and last:
            if last < first:
                self.add_error("date_to", _("The end cannot be before the start."))
            elif (last - first).days >= self.MAX_DAYS:
                self.add_error("date_to", _("Choose at most one year."))
        return data


# --- Test drives and demo cars --------------------------------------------------------------------


class VehicleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.plate} · {obj.trim.model.series.name} {obj.trim.name}"


class TestDriveForm(forms.Form):
    """试驾: the car and the licence are checked before the drive (the service insists)."""

    vehicle = VehicleChoiceField(queryset=DemoVehicle.objects.none(), label=_("Demo vehicle"))
    route = forms.CharField(label=_("Route"), max_length=100)
    licence_checked = forms.BooleanField(label=_("Driving licence checked"), required=False)
    vehicle_checked = forms.BooleanField(label=_("Car checked before the drive"), required=False)
    started_at = forms.DateTimeField(label=_("Started at"), widget=DateTimeLocalInput())
    ended_at = forms.DateTimeField(label=_("Ended at"), widget=DateTimeLocalInput(), required=False)
    feedback = forms.CharField(label=_("Customer feedback"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = DemoVehicle.objects.filter(store=store, is_active=True).select_related(
            "trim__model__series"
        )
        if not self.is_bound:
            self.initial.setdefault("started_at", timezone.localtime().replace(second=0, microsecond=0))
        self.fields["route"].widget.attrs["placeholder"] = _("e.g. city loop 8 km")
        style_fields(self)

    def clean(self):
        data = super().clean()
        start, end = data.get("started_at"), data.get("ended_at")
        if start and end and end < start:
            self.add_error("ended_at", _("The drive cannot end before it starts."))
        return data


class DemoVehicleForm(forms.ModelForm):
    vin = VINFormField(label=_("VIN"))

    class Meta:
        model = DemoVehicle
        fields = ["plate", "vin", "trim", "is_active"]
        widgets = {"trim": forms.HiddenInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trim"].queryset = Trim.objects.with_tree()
        self.fields["trim"].error_messages["required"] = _("Choose the car's trim.")
        self.fields["plate"].widget.attrs["placeholder"] = _("e.g. 沪A·12345")
        style_fields(self)


class ShowroomSettingsForm(forms.ModelForm):
    class Meta:
        model = ShowroomSettings
        fields = ["timely_minutes", "cross_check_hours", "order_prefix"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


# --- Orders ----------------------------------------------------------------------------------------


class OrderForm(forms.Form):
    """The car (by VIN, or brand → series → model → trim), price and terms of a sales order."""

    vin = VINFormField(
        label=_("VIN"),
        required=False,
        help_text=_("Optional: the car in stock. Without it the car is allocated later, at the latest at delivery."),
    )
    trim = forms.ModelChoiceField(queryset=Trim.objects.none(), label=_("Trim"))
    colour = forms.CharField(label=_("Colour"), max_length=30, required=False)
    price = forms.DecimalField(label=_("Price (yuan)"), max_digits=12, decimal_places=2, min_value=0)
    discount = forms.DecimalField(label=_("Discount (yuan)"), max_digits=12, decimal_places=2, min_value=0, initial=0)
    deposit = forms.DecimalField(label=_("Deposit (yuan)"), max_digits=12, decimal_places=2, min_value=0, initial=0)
    payment = forms.ChoiceField(label=_("Payment"), choices=Order.Payment.choices, initial=Order.Payment.FULL)
    trade_in = forms.CharField(
        label=_("Trade-in car"), max_length=100, required=False, help_text=_("Make, model and year, if any.")
    )
    expected_delivery = forms.DateField(label=_("Expected delivery"), required=False, widget=DateInput())

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.store = store
        self.fields["trim"].queryset = Trim.objects.filter(is_active=True).with_tree()
        self.fields["trim"].error_messages["required"] = _("Choose the trim (brand → series → model → trim).")
        self.fields["price"].widget.attrs.update({"inputmode": "decimal", "step": "0.01"})
        for name in ("discount", "deposit"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "0.01"})
        style_fields(self)

    def clean_vin(self):
        vin = self.cleaned_data.get("vin") or ""
        taken = vin_in_use(self.store, vin) if vin else None
        if taken is not None:
            raise ValidationError(_("This car is already on order %(number)s.") % {"number": taken.number})
        return vin

    def clean(self):
        data = super().clean()
        price, discount = data.get("price"), data.get("discount")
        if price is not None and price <= 0:
            self.add_error("price", _("Enter the price."))
        elif price is not None and discount is not None and discount > price:
            self.add_error("discount", _("The discount cannot exceed the price."))
        return data

    def order_data(self) -> dict:
        data = self.cleaned_data
        return {
            "trim": data["trim"],
            "price": data["price"],
            "vin": data.get("vin") or "",
            "colour": data.get("colour") or "",
            "discount": data.get("discount") or 0,
            "deposit": data.get("deposit") or 0,
            "payment": data["payment"],
            "trade_in": data.get("trade_in") or "",
            "expected_delivery": data.get("expected_delivery"),
        }


class BuyerForm(forms.ModelForm):
    """A walk-in buyer's profile, found or created by phone and edited in the same step."""

    phone = PhoneField(label=_("Phone"))

    class Meta:
        model = Customer
        fields = ["phone", "name", "gender", "wechat", "email", "address", "household", "best_time_to_call"]

    PROFILE_FIELDS = ["gender", "wechat", "email", "address", "household", "best_time_to_call"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="buyer", **kwargs)
        self.fields["phone"].widget.attrs["autofocus"] = True
        self.fields["name"].widget.attrs["autocomplete"] = "off"
        style_fields(self)

    def validate_unique(self):
        # The phone of an existing customer is how the buyer is found, not a clash.
        pass

    def profile(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.PROFILE_FIELDS}


class OrderCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the cancellation"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class OrderDeliverForm(forms.Form):
    vin = VINFormField(label=_("VIN of the car handed over"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)
