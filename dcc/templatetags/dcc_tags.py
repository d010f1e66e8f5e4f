"""Small helpers for the DCC templates: form fields with Bootstrap's error state, rates, masked phones."""

from __future__ import annotations

from django import template
from django.utils.http import urlencode

from leads.phones import mask_phone

register = template.Library()


@register.filter
def with_invalid(field):
    """Render a bound field, marked invalid when it has errors (Bootstrap's .is-invalid)."""
    if field.errors:
        css = field.field.widget.attrs.get("class", "")
        return field.as_widget(attrs={"class": f"{css} is-invalid".strip(), "aria-invalid": "true"})
    return field


@register.filter
def dom_id(field) -> str:
    return field.html_name.replace("_", "-")


@register.filter
def pct(value) -> str:
    """A rate as a whole percentage; "–" when there is nothing to divide by."""
    if value is None:
        return "–"
    return f"{value * 100:.0f}%"


@register.filter
def masked(phone: str) -> str:
    return mask_phone(phone or "")


@register.filter
def phone_for(lead, user) -> str:
    from leads.selectors import display_phone

    return display_phone(user, lead)


@register.filter
def minutes(seconds) -> str:
    if not seconds:
        return "–"
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


RULE_CLASSES = {
    "first_call": "text-bg-danger",
    "no_show": "text-bg-warning",
    "handover": "text-bg-primary",
    "manual": "text-bg-primary",
    "uninvited": "text-bg-info",
    "reactivation": "text-bg-secondary",
}


@register.filter
def rule_class(rule: str) -> str:
    return RULE_CLASSES.get(rule, "text-bg-light")


OUTCOME_CLASSES = {
    "invited": "text-bg-success",
    "call_back": "text-bg-info",
    "talked": "text-bg-primary",
    "not_interested": "text-bg-secondary",
    "wrong_number": "text-bg-dark",
    "no_answer": "text-bg-light",
    "busy": "text-bg-light",
}


@register.filter
def outcome_class(outcome: str) -> str:
    return OUTCOME_CLASSES.get(outcome, "text-bg-light")


STATUS_CLASSES = {
    "scheduled": "text-bg-primary",
    "arrived": "text-bg-success",
    "no_show": "text-bg-warning",
    "cancelled": "text-bg-secondary",
}


@register.filter
def appointment_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "text-bg-light")


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current query string with some parameters changed (None removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    if "page" not in changes:
        params.pop("page", None)
    return "?" + urlencode(sorted(params.lists()), doseq=True) if params else "?"
