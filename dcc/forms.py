"""Forms of the DCC pages. They check what people typed; ``dcc.services`` decides and writes.

Model forms here are never saved: views hand ``cleaned_data`` to a service.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Store, User
from catalog.models import Series
from leads.models import WORKING_GRADES, Appointment, Customer, Lead, Source
from leads.phones import normalize_phone

from .models import AgentProfile, Campaign, DccSettings, MessageTemplate, Outcome
from .selectors import agent_users, receivers_for
from .services import CallInput, InboundInput


def style_fields(form: forms.BaseForm, small: bool = False) -> None:
    """Bootstrap classes on every widget, set once when the form is built."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select form-select-sm" if small else "form-select"
        else:
            css = "form-control form-control-sm" if small else "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class StepsField(forms.TypedMultipleChoiceField):
    """The script steps ticked: unknown ids (a step deleted meanwhile) are dropped, not an error."""

    def clean(self, value):
        known = {str(choice) for choice, _label in self.choices}
        return super().clean([v for v in (value or []) if str(v) in known])


class CallFieldsMixin:
    """The outcome part shared by the outbound call screen and the inbound form."""

    def add_call_fields(self, store: Store, script_steps=()) -> None:
        self.fields["outcome"] = forms.ChoiceField(
            label=_("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect
        )
        self.fields["note"] = forms.CharField(
            label=_("What was said"), required=False, widget=forms.Textarea(attrs={"rows": 3})
        )
        self.fields["grade"] = forms.ChoiceField(
            label=_("Grade"),
            required=False,
            choices=[("", _("Keep the grade"))] + [(g.value, g.label) for g in WORKING_GRADES],
        )
        self.fields["callback_at"] = forms.DateTimeField(
            label=_("Call back at"), required=False, widget=DateTimeLocalInput
        )
        self.fields["scheduled_at"] = forms.DateTimeField(
            label=_("Appointment time"), required=False, widget=DateTimeLocalInput
        )
        self.fields["receiver"] = UserChoiceField(
            label=_("Received by"), required=False, queryset=receivers_for(store), empty_label=_("Choose…")
        )
        self.fields["purpose"] = forms.ChoiceField(
            label=_("Purpose"), choices=Appointment.Purpose.choices, initial=Appointment.Purpose.VIEW, required=False
        )
        self.fields["started_at"] = forms.DateTimeField(required=False, widget=forms.HiddenInput)
        if script_steps:
            self.fields["script_steps"] = StepsField(
                label=_("Script steps covered"),
                required=False,
                coerce=int,
                choices=[(step.pk, step.title) for step in script_steps],
                widget=forms.CheckboxSelectMultiple,
            )

    def call_input(self) -> CallInput:
        data = self.cleaned_data
        return CallInput(
            outcome=data["outcome"],
            note=data.get("note") or "",
            started_at=data.get("started_at"),
            callback_at=data.get("callback_at"),
            grade=data.get("grade") or None,
            scheduled_at=data.get("scheduled_at"),
            receiver=data.get("receiver"),
            purpose=data.get("purpose") or Appointment.Purpose.VIEW,
            script_steps=tuple(data.get("script_steps") or ()),
        )


class CallOutcomeForm(CallFieldsMixin, forms.Form):
    """The call screen: what came of the call."""

    def __init__(self, *args, store: Store, script_steps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.add_call_fields(store, script_steps)
        style_fields(self)


class InboundForm(CallFieldsMixin, forms.Form):
    """呼入: phone first, then who is calling and what came of it."""

    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off", "autofocus": True}),
    )
    name = forms.CharField(label=_("Caller's name"), max_length=60)
    gender = forms.ChoiceField(label=_("Title"), choices=Customer.Gender.choices, required=False)
    source = forms.ModelChoiceField(label=_("Source"), queryset=Source.objects.none())
    series = forms.ModelChoiceField(label=_("Intended series"), queryset=Series.objects.none(), required=False)
    purchase_time = forms.ChoiceField(
        label=_("Expected purchase time"), choices=Lead.PurchaseTime.choices, required=False
    )
    consent_marketing = forms.BooleanField(label=_("Agrees to marketing messages"), required=False)

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = Source.objects.filter(is_active=True)
        self.fields["series"].queryset = Series.objects.all().order_by("name")
        if not self.is_bound:
            default = Source.objects.filter(code="hotline_400", is_active=True).first()
            if default is not None:
                self.initial.setdefault("source", default.pk)
        self.add_call_fields(store)
        style_fields(self)

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])

    def inbound_input(self) -> InboundInput:
        data = self.cleaned_data
        return InboundInput(
            phone=data["phone"],
            name=data["name"],
            source=data["source"],
            call=self.call_input(),
            gender=data.get("gender") or "",
            series=data.get("series"),
            purchase_time=data.get("purchase_time") or "",
            consent_marketing=bool(data.get("consent_marketing")),
        )


class DccSettingsForm(forms.ModelForm):
    class Meta:
        model = DccSettings
        fields = [
            "version",
            "distribution",
            "rule_new_outreach_online",
            "rule_new_purchased_oem",
            "rule_uninvited",
            "rule_reactivation",
            "rule_handover",
            "rule_no_show",
            "first_call_sla_minutes",
            "uninvited_days",
            "reactivation_quiet_days",
            "lookback_days",
            "max_attempts",
            "retry_minutes",
            "reminder_day_before_hour",
            "reminder_same_day_hour",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class AgentProfileForm(forms.ModelForm):
    class Meta:
        model = AgentProfile
        fields = ["skill_inbound", "skill_outbound", "skill_direct", "on_duty"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class ScriptForm(forms.Form):
    name = forms.CharField(label=_("Script name"), max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class ScriptStepForm(forms.Form):
    title = forms.CharField(label=_("Step"), max_length=100, required=False)
    guidance = forms.CharField(label=_("What to say"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


ScriptStepFormSet = forms.formset_factory(ScriptStepForm, extra=2, can_delete=True, max_num=30)


class TemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["name", "kind", "channel", "subject", "body", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "body": _(
                "Placeholders: {name} customer, {store}, {address}, {phone} store phone, {time} appointment time, "
                "{receiver} consultant, {event} and {event_time} for events."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "kind", "template", "subject", "body", "event_name", "event_at"]
        widgets = {"body": forms.Textarea(attrs={"rows": 4}), "event_at": DateTimeLocalInput}
        help_texts = {
            "body": _("Placeholders: {name} customer, {store}, {address}, {phone}, {event}, {event_time}."),
            "template": _("Choose a template to start from; its text is copied into the message."),
        }

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = MessageTemplate.objects.filter(
            store=store, kind=MessageTemplate.Kind.CAMPAIGN, is_active=True
        )
        self.fields["body"].required = False
        style_fields(self)

    def clean(self):
        data = super().clean()
        template = data.get("template")
        if template is not None and not (data.get("body") or "").strip():
            data["body"] = template.body
            if not data.get("subject"):
                data["subject"] = template.subject
        if not (data.get("body") or "").strip():
            self.add_error("body", _("Write the message or choose a template."))
        return data


class TaskAddForm(forms.Form):
    """A manager puts a customer's lead on a call list by hand."""

    phone = forms.CharField(label=_("Customer phone"), max_length=30)
    agent = UserChoiceField(label=_("Agent"), queryset=User.objects.none(), required=False, empty_label=_("Distribute"))
    due_at = forms.DateTimeField(label=_("Call at"), required=False, widget=DateTimeLocalInput)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.store = store
        self.fields["agent"].queryset = agent_users(store)
        style_fields(self)

    def clean_phone(self):
        from leads.services import customer_find_by_phone

        phone = normalize_phone(self.cleaned_data["phone"])
        customer = customer_find_by_phone(self.store, phone)
        if customer is None:
            raise ValidationError(_("No customer of this store has that number."))
        lead = customer.leads.order_by("-created_at", "-id").first()
        if lead is None:
            raise ValidationError(_("This customer has no lead."))
        self.cleaned_data["lead"] = lead
        return phone


class AssignForm(forms.Form):
    """Give selected tasks to an agent (prefixed: the list's filter has an ``agent`` field too)."""

    prefix = "assign"
    agent = UserChoiceField(label=_("Give to"), queryset=User.objects.none(), empty_label=_("Choose…"))
    tasks = forms.ModelMultipleChoiceField(queryset=None, widget=forms.MultipleHiddenInput)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def add_prefix(self, field_name: str) -> str:
        # The task check boxes of the table post plain ``tasks``.
        return field_name if field_name == "tasks" else super().add_prefix(field_name)

    def __init__(self, *args, store: Store, **kwargs):
        from .models import CallTask

        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = agent_users(store)
        self.fields["tasks"].queryset = CallTask.objects.filter(store=store)
        style_fields(self)


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=DateInput, required=False)
    date_to = forms.DateField(label=_("To"), widget=DateInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)

    def period(self) -> tuple[dt.date, dt.date]:
        today = timezone.localdate()
        first, last = today.replace(day=1), today
        if self.is_valid():
            first = self.cleaned_data.get("date_from") or first
            last = self.cleaned_data.get("date_to") or last
        if last < first:
            first, last = last, first
        if (last - first).days > 731:
            first = last - dt.timedelta(days=731)
        return first, last

    def clean(self):
        data = super().clean()
        first, last = data.get("date_from"), data.get("date_to")
        if first and last and last < first:
            self.add_error("date_to", _("The end is before the start."))
        return data
