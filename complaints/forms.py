"""Forms of customer service. They only validate input; the services decide and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from leads.models import Customer
from showroom.models import Order

from .models import Complaint, ComplaintStep


def style_fields(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class ComplaintForm(forms.Form):
    """The complaint form (投诉抱怨登记): who, which car, what happened, how the customer feels and wants."""

    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label=_("Customer"))
    order = forms.ModelChoiceField(
        queryset=Order.objects.none(), required=False, label=_("Order"), help_text=_("The car the complaint is about.")
    )
    vehicle = forms.CharField(
        label=_("Vehicle (model, VIN or plate)"),
        max_length=120,
        required=False,
        help_text=_("Left empty, it is taken from the order."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=[("", "---------"), *Complaint.Category.choices])
    touchpoint = forms.ChoiceField(
        label=_("Where it arose"), choices=[("", "---------"), *Complaint.Touchpoint.choices]
    )
    facts = forms.CharField(
        label=_("Facts"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What happened, when and with whom — without the customer's emotion."),
    )
    emotion = forms.CharField(label=_("Customer's emotion"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    demand = forms.CharField(label=_("Customer's demand"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    temperament = forms.ChoiceField(
        label=_("Customer temperament"), choices=[("", "---------"), *Complaint.Temperament.choices], required=False
    )
    media_or_legal = forms.BooleanField(
        label=_("Media or legal background"),
        required=False,
        help_text=_("The general manager is told at once; no automatic message goes to this customer."),
    )

    def __init__(self, *args, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.filter(store=store, merged_into__isnull=True).order_by(
            "name", "id"
        )
        self.fields["order"].queryset = (
            Order.objects.filter(store=store, status=Order.Status.DELIVERED)
            .select_related("customer")
            .order_by("-delivered_at", "-id")
        )
        self.fields["order"].label_from_instance = lambda o: f"{o.number} · {o.customer.name}"
        style_fields(self)

    def clean(self):
        data = super().clean()
        order = data.get("order")
        if order is not None and data.get("customer") is None and "customer" in self.errors:
            # The order says who the customer is.
            del self.errors["customer"]
            data["customer"] = order.customer
        return data


# Which fields each signature asks for (beyond the note).
SIGN_FIELDS = {
    ComplaintStep.Action.GIVE_OPINION: ["cause", "countermeasure", "note"],
    ComplaintStep.Action.APPROVE: ["note"],
    ComplaintStep.Action.SEND_BACK: ["note"],
    ComplaintStep.Action.DISPATCH: ["handler", "note"],
    ComplaintStep.Action.HANDLE: ["handling_result"],
    ComplaintStep.Action.CONFIRM: ["confirmation"],
    ComplaintStep.Action.REOPEN: ["note"],
    ComplaintStep.Action.SIGN_OFF: ["note"],
    ComplaintStep.Action.ARCHIVE: ["note"],
}


class SignForm(forms.Form):
    """One signature on a ticket; ``action`` (posted by its button) says which, and which fields it shows."""

    cause = forms.CharField(label=_("Cause"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    countermeasure = forms.CharField(
        label=_("Countermeasure"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    handler = forms.ModelChoiceField(queryset=None, label=_("Consultant who handles it"), required=False)
    handling_result = forms.CharField(
        label=_("How it was handled"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    confirmation = forms.CharField(
        label=_("What the customer said on the follow-up call"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, action: str, handlers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = handlers
        self.fields["handler"].label_from_instance = lambda u: u.display_name
        keep = set(SIGN_FIELDS.get(action, []))
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if action in (ComplaintStep.Action.SEND_BACK, ComplaintStep.Action.REOPEN):
            self.fields["note"].label = _("Reason")
        self.prefix = action
        style_fields(self)


class ComplaintSettingsForm(forms.Form):
    handling_hours = forms.IntegerField(
        label=_("Handled form due back within (hours from registration)"), min_value=1, max_value=720
    )
    at_risk_percent = forms.IntegerField(
        label=_("At risk when this share of the time is gone (%)"), min_value=1, max_value=99
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class CallbackForm(forms.Form):
    """Record a callback: reached or not, and what the customer said; a satisfaction callback adds a
    score per survey question."""

    reached = forms.TypedChoiceField(
        label=_("Customer reached"),
        choices=[("1", _("Reached")), ("0", _("Not reached"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    result = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 3}))
    dissatisfied = forms.BooleanField(label=_("Customer dissatisfied"), required=False)

    def __init__(self, *args, questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            self.fields[f"q_{question.pk}"] = forms.IntegerField(
                label=question.text, min_value=0, max_value=10, required=False
            )
        if not self.questions:
            del self.fields["dissatisfied"]
        style_fields(self)
        self.fields["reached"].widget.attrs["class"] = "form-check-input"

    def scores(self) -> dict[int, int]:
        return {
            q.pk: self.cleaned_data.get(f"q_{q.pk}")
            for q in self.questions
            if self.cleaned_data.get(f"q_{q.pk}") is not None
        }


class CallbackCheckForm(forms.Form):
    check_note = forms.CharField(
        label=_("What the customer said when customer service called"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class PeriodForm(forms.Form):
    first = forms.DateField(label=_("Due from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("Due to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class CallbackSettingsForm(forms.Form):
    day_3 = forms.IntegerField(label=_("Second callback after (days)"), min_value=1, max_value=730)
    day_7 = forms.IntegerField(label=_("Third callback after (days)"), min_value=1, max_value=730)
    day_15 = forms.IntegerField(label=_("Half-month callback after (days)"), min_value=1, max_value=730)
    ongoing_every = forms.IntegerField(label=_("Ongoing callback every (days)"), min_value=1, max_value=730)
    first_service_after = forms.IntegerField(label=_("First service reminder after (days)"), min_value=1, max_value=730)
    repeat_purchase_every_months = forms.IntegerField(
        label=_("Repeat purchase callback every (months)"), min_value=1, max_value=120
    )
    satisfaction_within = forms.IntegerField(
        label=_("Customer service satisfaction callback within (days)"), min_value=1, max_value=30
    )
    questions = forms.CharField(
        label=_("Satisfaction survey questions"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One question per line; each is scored 0–10 on the callback."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class FirstServiceIntervalForm(forms.Form):
    """One row of the store's first-service table: a catalog model and its interval."""

    vehicle_model = forms.ModelChoiceField(queryset=None, label=_("Model"))
    days = forms.IntegerField(label=_("First service after (days)"), min_value=1, max_value=730)

    def __init__(self, *args, **kwargs):
        from catalog.models import VehicleModel

        super().__init__(*args, **kwargs)
        field = self.fields["vehicle_model"]
        field.queryset = VehicleModel.objects.select_related("series__brand")
        field.label_from_instance = lambda m: f"{m.series.brand.name} {m.series.name} {m}"
        style_fields(self)


class BaseFirstServiceIntervalFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            model = form.cleaned_data.get("vehicle_model")
            if model is None or self._should_delete_form(form):
                continue
            if model.pk in seen:
                raise forms.ValidationError(_("A model is listed twice."))
            seen.add(model.pk)

    def intervals(self) -> dict:
        """{catalog model: days} of the rows kept (filled in and not marked for deletion)."""
        return {
            form.cleaned_data["vehicle_model"]: form.cleaned_data["days"]
            for form in self.forms
            if form.cleaned_data.get("vehicle_model") is not None and not self._should_delete_form(form)
        }


FirstServiceIntervalFormSet = forms.formset_factory(
    FirstServiceIntervalForm, formset=BaseFirstServiceIntervalFormSet, extra=2, can_delete=True, max_num=500
)


class SsiSettingsForm(forms.Form):
    """The store's SSI thresholds and, per scored role, what a good month earns and a bad one costs."""

    penalty_below = forms.IntegerField(label=_("Penalty when the month's score is below"), min_value=0, max_value=100)
    reward_from = forms.IntegerField(label=_("Reward when the month's score is at least"), min_value=0, max_value=100)
    penalty_on_zero_item = forms.BooleanField(
        label=_("A zero-score item is a penalty, whatever the score"), required=False
    )

    RULE_FIELDS = ("reward_amount", "reward_note", "penalty_amount", "penalty_note")

    def __init__(self, *args, **kwargs):
        from .models import SsiRole

        super().__init__(*args, **kwargs)
        self.roles = list(SsiRole.choices)
        for role, _label in self.roles:
            for field in ("reward_amount", "penalty_amount"):
                self.fields[f"{role}-{field}"] = forms.DecimalField(
                    label=_("Reward (yuan)") if field == "reward_amount" else _("Penalty (yuan)"),
                    min_value=0,
                    max_value=1_000_000,
                    decimal_places=2,
                )
            for field in ("reward_note", "penalty_note"):
                self.fields[f"{role}-{field}"] = forms.CharField(
                    label=_("Reward, in words") if field == "reward_note" else _("Penalty, in words"),
                    max_length=200,
                    required=False,
                )
        for role, role_label in self.roles:
            for field in self.RULE_FIELDS:
                bound = self.fields[f"{role}-{field}"]
                bound.widget.attrs["aria-label"] = f"{role_label} · {bound.label}"
        style_fields(self)

    def clean(self):
        data = super().clean()
        below, top = data.get("penalty_below"), data.get("reward_from")
        if below is not None and top is not None and top < below:
            self.add_error("reward_from", _("The reward threshold cannot be under the penalty threshold."))
        return data

    def role_rows(self):
        """(role label, [its bound fields]) for the tables on the page."""
        return [(label, [self[f"{role}-{field}"] for field in self.RULE_FIELDS]) for role, label in self.roles]

    def rules(self) -> dict[str, dict]:
        return {
            role: {field: self.cleaned_data[f"{role}-{field}"] for field in self.RULE_FIELDS}
            for role, _label in self.roles
        }

    @classmethod
    def initial_for(cls, settings, rules) -> dict:
        initial = {
            "penalty_below": settings.penalty_below,
            "reward_from": settings.reward_from,
            "penalty_on_zero_item": settings.penalty_on_zero_item,
        }
        for role, rule in rules.items():
            for field in cls.RULE_FIELDS:
                initial[f"{role}-{field}"] = getattr(rule, field)
        return initial


class EnquiryForm(forms.Form):
    caller_name = forms.CharField(label=_("Caller"), max_length=60)
    phone = forms.CharField(label=_("Phone"), max_length=24, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=[])
    summary = forms.CharField(label=_("What the customer asked"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        from .models import Enquiry

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = Enquiry.Kind.choices
        style_fields(self)


class EnquiryHandleForm(forms.Form):
    result = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 2}))
    passed_to = forms.ModelChoiceField(queryset=None, label=_("Pass to"), required=False)

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["passed_to"].queryset = colleagues
        self.fields["passed_to"].label_from_instance = lambda u: u.display_name
        style_fields(self)


class ReminderDoneForm(forms.Form):
    result = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)
