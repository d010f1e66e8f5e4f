"""Forms of the consultant's pages. They check what people typed; the services decide and write.

Model forms here are never saved: views pass ``cleaned_data`` to a service in ``leads.services``.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from catalog.models import Series

from .models import WORKING_GRADES, Appointment, Customer, FollowUp, Grade, Lead, LostReason, Source
from .phones import normalize_phone
from .selectors import DEFAULT_CONTACT_HOUR, lead_owners, next_contact_default
from .services import customer_find_by_phone


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


class PhoneField(forms.CharField):
    """A Chinese mobile or landline number, cleaned to its stored form (see ``leads.phones``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off", "spellcheck": "false"})
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return normalize_phone(value) if value else ""


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


def store_staff(store):
    """Active people working in ``store`` (for "referred by employee")."""
    return User.objects.filter(is_active=True, memberships__store=store).distinct().order_by("full_name", "username")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


# --- Customer ----------------------------------------------------------------------------------


class CustomerForm(forms.ModelForm):
    """The customer's profile. ``with_phone=False`` leaves the main number out (for people who see
    it masked); ``phone_required`` on the desk's new-customer form."""

    phone = PhoneField(
        label=_("Phone"),
        help_text=_("Mobile (+86, spaces and dashes are fine) or landline with area code, e.g. 021-58881234"),
    )
    phone2 = PhoneField(label=_("Second phone"), required=False)

    class Meta:
        model = Customer
        fields = [
            "phone",
            "name",
            "gender",
            "phone2",
            "wechat",
            "email",
            "address",
            "household",
            "best_time_to_call",
            "birthday",
            "consent_marketing",
            "do_not_disturb",
            "is_fleet",
            "company_name",
            "industry",
            "company_size",
            "postcode",
            "contact_person",
        ]
        widgets = {"birthday": DateInput()}

    FLEET_FIELDS = ["company_name", "industry", "company_size", "postcode", "contact_person"]

    def __init__(self, *args, with_phone: bool = True, phone_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if with_phone:
            self.fields["phone"].required = phone_required
            self.fields["phone"].widget.attrs["autofocus"] = True
        else:
            del self.fields["phone"]
        self.fields["name"].widget.attrs["autocomplete"] = "off"
        self.fields["best_time_to_call"].widget.attrs["placeholder"] = _("e.g. weekdays after 18:00")
        style_fields(self)

    def clean(self):
        data = super().clean()
        if data.get("is_fleet") and not (data.get("company_name") or "").strip():
            self.add_error("company_name", _("A fleet customer needs the company's name."))
        return data


# --- Lead --------------------------------------------------------------------------------------


class SourceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"— {obj.name}" if obj.parent_id else obj.name


def source_choices(also_pk: int | None = None):
    """Active sources (and ``also_pk``), each platform's sub-channels right after it."""
    sources = list(Source.objects.filter(Q(is_active=True) | Q(pk=also_pk)).select_related("parent"))
    top = [s for s in sources if not s.parent_id]
    ordered = []
    for parent in top:
        ordered.append(parent)
        ordered.extend(s for s in sources if s.parent_id == parent.pk)
    ordered.extend(s for s in sources if s.parent_id and s not in ordered)
    return ordered


class SeriesChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class LeadForm(forms.ModelForm):
    """What the customer wants to buy: source, referral, series, budget, timing, qualification.

    ``with_owner`` adds the owning consultant (for the reception desk and managers), ``with_grade``
    an optional starting grade (new leads only; later the follow-up regrades).
    """

    referrer_phone = PhoneField(
        label=_("Referred by customer (phone)"),
        required=False,
        help_text=_("The phone number of the customer who referred them, for the referral reward."),
    )
    grade = forms.ChoiceField(
        label=_("Intent grade"),
        required=False,
        choices=[("", _("From the expected purchase time"))] + [(g.value, g.label) for g in WORKING_GRADES],
    )
    owner = UserChoiceField(queryset=User.objects.none(), label=_("Owning consultant"))

    class Meta:
        model = Lead
        fields = [
            "source",
            "referred_by_user",
            "series",
            "budget",
            "purchase_time",
            "payment",
            "has_trade_in",
            "current_car",
            "need_confirmed",
            "budget_confirmed",
            "decision_maker_confirmed",
        ]
        field_classes = {"source": SourceChoiceField, "series": SeriesChoiceField, "referred_by_user": UserChoiceField}
        labels = {"referred_by_user": _("Referred by employee")}

    def __init__(self, *args, store, customer: Customer | None = None, with_owner=False, with_grade=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.store = store
        self.customer = customer
        # Inactive choices stay valid on a lead that already has them.
        current_source = self.instance.source_id if self.instance.pk else None
        current_series = self.instance.series_id if self.instance.pk else None
        self.fields["source"].queryset = Source.objects.filter(Q(is_active=True) | Q(pk=current_source)).select_related(
            "parent"
        )
        self.fields["source"].choices = [("", "---------")] + [
            (s.pk, self.fields["source"].label_from_instance(s)) for s in source_choices(current_source)
        ]
        self.fields["series"].queryset = Series.objects.filter(Q(is_active=True) | Q(pk=current_series)).select_related(
            "brand"
        )
        self.fields["series"].empty_label = _("Not decided yet")
        self.fields["referred_by_user"].queryset = store_staff(store)
        self.fields["budget"].widget.attrs["placeholder"] = _("e.g. 15–20万")
        if with_owner:
            self.fields["owner"].queryset = lead_owners(store)
        else:
            del self.fields["owner"]
        if not with_grade:
            del self.fields["grade"]
        referrer = self.instance.referred_by_customer if self.instance.pk else None
        if referrer is not None:
            self.fields["referrer_phone"].help_text = _("Now: %(name)s. Enter another number to change it.") % {
                "name": referrer.name
            }
        style_fields(self)

    def clean_referrer_phone(self):
        phone = self.cleaned_data.get("referrer_phone")
        if not phone:
            return ""
        referrer = customer_find_by_phone(self.store, phone)
        if referrer is None:
            raise ValidationError(_("No customer of this store has this number."), code="not_found")
        if self.customer is not None and referrer.pk == self.customer.pk:
            raise ValidationError(_("A customer cannot refer themselves."), code="self")
        self.referrer = referrer
        return phone

    def lead_data(self) -> dict:
        """Keyword arguments for ``lead_create``/``lead_update`` (without the owner)."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}
        if self.cleaned_data.get("referrer_phone"):
            data["referred_by_customer"] = self.referrer
        if "grade" in self.fields:
            data["grade"] = self.cleaned_data.get("grade") or None
        return data


# --- Follow-up, invitation -----------------------------------------------------------------------


def aware(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


class AppointmentFieldsMixin:
    """Date, time, purpose and receiving consultant of an invitation; ``scheduled_at`` when clean."""

    def add_appointment_fields(self, *, lead: Lead, user: User, required: bool) -> None:
        self.fields["appointment_date"] = forms.DateField(
            label=_("Appointment date"), required=required, widget=DateInput()
        )
        self.fields["appointment_time"] = forms.TimeField(
            label=_("Time"), required=required, widget=TimeInput(), initial=dt.time(10, 0)
        )
        self.fields["purpose"] = forms.ChoiceField(
            label=_("Purpose"), choices=Appointment.Purpose.choices, initial=Appointment.Purpose.VIEW, required=required
        )
        owners = lead_owners(lead.store)
        self.fields["receiver"] = UserChoiceField(
            queryset=owners,
            label=_("Received by"),
            required=required,
            initial=lead.owner_id or user.pk,
        )

    def clean_appointment(self, data: dict, *, required: bool) -> None:
        day, time = data.get("appointment_date"), data.get("appointment_time")
        if required:
            for name in ("appointment_date", "appointment_time", "receiver"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("This field is required."))
        if day and time:
            scheduled_at = aware(day, time)
            if scheduled_at < timezone.now():
                self.add_error("appointment_date", _("The appointment must be in the future."))
            else:
                data["scheduled_at"] = scheduled_at


class FollowUpForm(AppointmentFieldsMixin, forms.Form):
    """One action: what was said, the result, the new grade and the next contact (跟进)."""

    channel = forms.ChoiceField(label=_("Channel"), choices=FollowUp.Channel.choices, initial=FollowUp.Channel.PHONE)
    content = forms.CharField(
        label=_("What was said"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, strip=True
    )
    result = forms.ChoiceField(label=_("Result"), choices=[("", _("Choose the result…"))] + FollowUp.Result.choices)
    grade = forms.ChoiceField(label=_("Grade"), choices=[(g.value, g.label) for g in WORKING_GRADES])
    next_contact = forms.DateField(
        label=_("Next contact"),
        required=False,
        widget=DateInput(),
        help_text=_("Suggested from the grade's cadence; choose another day for a custom plan."),
    )

    def __init__(self, *args, lead: Lead, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead = lead
        grade = lead.grade if lead.grade in WORKING_GRADES else Grade.C
        self.fields["grade"].initial = grade
        suggested = next_contact_default(lead.store, grade)
        if suggested:
            self.fields["next_contact"].initial = timezone.localtime(suggested).date()
        self.add_appointment_fields(lead=lead, user=user, required=False)
        self.fields["note"] = forms.CharField(label=_("Note for the receiver"), required=False, max_length=200)
        style_fields(self)

    @property
    def invitation_field_names(self) -> list[str]:
        return ["appointment_date", "appointment_time", "purpose", "receiver", "note"]

    def clean_next_contact(self):
        day = self.cleaned_data.get("next_contact")
        if day and day < timezone.localdate():
            raise ValidationError(_("The next contact cannot be in the past."), code="past")
        return day

    def clean(self):
        data = super().clean()
        if data.get("result") == FollowUp.Result.INVITED:
            self.clean_appointment(data, required=True)
        return data

    def next_follow_up_at(self) -> dt.datetime | None:
        """The chosen day at the usual calling hour (or now, when that hour has passed today)."""
        day = self.cleaned_data.get("next_contact")
        if not day:
            return None
        return max(aware(day, dt.time(DEFAULT_CONTACT_HOUR)), timezone.now())


class InviteForm(AppointmentFieldsMixin, forms.Form):
    """An invitation (邀约) the customer accepted, on its own."""

    def __init__(self, *args, lead: Lead, user: User, **kwargs):
        kwargs.setdefault("auto_id", "invite-%s")
        super().__init__(*args, **kwargs)
        self.add_appointment_fields(lead=lead, user=user, required=True)
        self.fields["note"] = forms.CharField(label=_("Note for the receiver"), required=False, max_length=200)
        style_fields(self)

    def clean(self):
        data = super().clean()
        self.clean_appointment(data, required=True)
        return data


class AppointmentCancelForm(forms.Form):
    reason = forms.CharField(label=_("Why"), required=False, max_length=150)


# --- Lost and invalid ----------------------------------------------------------------------------


class ReasonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class LostRequestForm(forms.Form):
    """Ask a manager to close the lead as lost (申请战败) or invalid (无效线索)."""

    reason = ReasonChoiceField(queryset=LostReason.objects.none(), label=_("Reason"), empty_label=_("Choose…"))
    competitor_brand = forms.CharField(label=_("Competitor brand"), required=False, max_length=60)
    competitor_model = forms.CharField(label=_("Competitor model"), required=False, max_length=60)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args, kind: str, **kwargs):
        kwargs.setdefault("auto_id", f"{kind}-%s")
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["reason"].queryset = LostReason.objects.filter(kind=kind, is_active=True)
        if kind != LostReason.Kind.LOST:
            del self.fields["competitor_brand"]
            del self.fields["competitor_model"]
        style_fields(self)

    def needs_competitor_ids(self) -> list[int]:
        return [r.pk for r in self.fields["reason"].queryset if r.needs_competitor]

    def clean(self):
        data = super().clean()
        reason = data.get("reason")
        if (
            self.kind == LostReason.Kind.LOST
            and reason is not None
            and reason.needs_competitor
            and not (data.get("competitor_brand") or "").strip()
        ):
            self.add_error("competitor_brand", _("Which brand did the customer buy?"))
        return data
