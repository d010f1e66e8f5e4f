"""Forms of the managers' lead pages: bulk actions, decisions, merge choices, comments, settings.

Forms only collect and check input; every write goes through ``leads.services``. Labels are
translatable English source strings.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import LeadSettings, LostReason, Source
from .services import MERGEABLE_FIELDS


def bootstrap(form: forms.BaseForm) -> forms.BaseForm:
    """Give every widget Bootstrap 5's class (used on forms and on FilterSet forms alike)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)):
            css = "form-check-input"
        elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
    return form


def series_select(form: forms.BaseForm, name: str = "series") -> None:
    """The FilterSet's series filter takes an id: offer the catalogue's series to pick from instead."""
    from catalog.models import Series

    from .selectors import SERIES_CHOICES_KEY, cached_choices

    choices = [("", "---------"), *cached_choices(SERIES_CHOICES_KEY, Series.objects.select_related("brand"))]
    form.fields[name].widget = forms.Select(choices=choices, attrs={"class": "form-select"})


class BootstrapForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class BootstrapModelForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


# --- Lead list -------------------------------------------------------------------------------


class BulkLeadsForm(BootstrapForm):
    """The leads ticked in the list; only leads the user may reassign in this store are valid."""

    leads = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.MultipleHiddenInput,
        error_messages={
            "required": _("Tick at least one lead first."),
            "invalid_choice": _("Some of the ticked leads are not yours to manage."),
            "invalid_pk_value": _("Some of the ticked leads are not yours to manage."),
        },
    )

    def __init__(self, *args, leads, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leads"].queryset = leads


class BulkReassignForm(BulkLeadsForm):
    to_user = UserChoiceField(queryset=None, label=_("Give to"), empty_label=_("Choose a person"))
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = owners


class BulkFleetForm(BulkLeadsForm):
    company_name = forms.CharField(label=_("Company (fleet)"), max_length=100, required=False)


class BulkDccForm(BulkLeadsForm):
    note = forms.CharField(label=_("Note for the DCC"), max_length=200, required=False)


class LeadReopenForm(BootstrapForm):
    to_user = UserChoiceField(queryset=None, label=_("Give to"), empty_label=_("Choose a person"))
    reason = forms.CharField(label=_("Reason"), max_length=200, widget=forms.TextInput)

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = owners


# --- Approvals ---------------------------------------------------------------------------------


class DecisionForm(BootstrapForm):
    APPROVE, REJECT = "approve", "reject"

    decision = forms.ChoiceField(choices=[(APPROVE, _("Approve")), (REJECT, _("Reject"))], widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you reject: the consultant sees it with a task to keep following."),
    )


# --- Merge -------------------------------------------------------------------------------------


class CustomerSearchForm(BootstrapForm):
    q = forms.CharField(label=_("Name or phone"), required=False, max_length=60)


class MergeForm(BootstrapForm):
    """Which customer survives and, field by field, whose value it keeps."""

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.customers = list(customers)
        choices = [(str(c.pk), c.name) for c in self.customers]
        first = str(self.customers[0].pk)
        self.fields["survivor"] = forms.ChoiceField(
            label=_("Keep this customer"), choices=choices, widget=forms.RadioSelect, initial=first
        )
        from .models import Customer

        for name in MERGEABLE_FIELDS:
            # The first customer with a value is the sensible default.
            default = next((str(c.pk) for c in self.customers if getattr(c, name) not in ("", None)), first)
            self.fields[f"value_{name}"] = forms.ChoiceField(
                label=Customer._meta.get_field(name).verbose_name,
                choices=choices,
                widget=forms.RadioSelect,
                initial=default,
            )
        bootstrap(self)

    def merge_arguments(self) -> tuple[int, list[int], dict[str, int]]:
        survivor = int(self.cleaned_data["survivor"])
        absorbed = [c.pk for c in self.customers if c.pk != survivor]
        values = {name: int(self.cleaned_data[f"value_{name}"]) for name in MERGEABLE_FIELDS}
        return survivor, absorbed, values


# --- Follow-ups ----------------------------------------------------------------------------------


class FollowUpCommentForm(BootstrapForm):
    body = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Guidance for the consultant")}),
    )


# --- Settings ------------------------------------------------------------------------------------


class LeadSettingsForm(BootstrapModelForm):
    class Meta:
        model = LeadSettings
        fields = [
            "cadence_h_days",
            "cadence_a_days",
            "cadence_b_days",
            "cadence_c_days",
            "overdue_alert_days",
            "pool_return_days",
            "pool_claim_daily_cap",
            "ingest_assignment",
        ]


class SourceForm(BootstrapModelForm):
    class Meta:
        model = Source
        fields = ["code", "name", "category", "parent", "sort_order", "is_active"]
        help_texts = {
            "code": _("Short letters-and-digits name used by imports and the API; it cannot change later."),
            "parent": _("Leave empty for a main source; choose one to make this a sub-channel."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Source.objects.filter(parent__isnull=True)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
            self.fields["code"].disabled = True
        self.fields["parent"].queryset = parents.order_by("sort_order", "code")
        self.fields["parent"].empty_label = _("(main source)")


class LostReasonForm(BootstrapModelForm):
    class Meta:
        model = LostReason
        fields = ["kind", "code", "name", "needs_competitor", "sort_order", "is_active"]
        help_texts = {"code": _("Short letters-and-digits name; it cannot change later.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["kind"].disabled = True
