"""Template helpers of the leads pages: phone masking, grade and status colours, query strings."""

from __future__ import annotations

from django import template
from django.http import QueryDict

from leads.phones import mask_phone
from leads.selectors import display_phone

register = template.Library()


@register.filter
def phone_for(obj, user) -> str:
    """``{{ customer|phone_for:user }}``: the full number for the owner or a user allowed to see
    it, 138****1234 for everyone else (``leads.selectors.display_phone``)."""
    if obj is None:
        return ""
    return display_phone(user, obj)


@register.filter
def masked(phone: str) -> str:
    """``{{ number|masked }}``: 138****1234, whoever looks."""
    return mask_phone(phone or "")


@register.filter
def is_masked(phone: str) -> bool:
    return "*" in (phone or "")


GRADE_CLASSES = {
    "H": "text-bg-danger",
    "A": "text-bg-warning",
    "B": "text-bg-info",
    "C": "text-bg-secondary",
    "O": "text-bg-success",
    "F": "text-bg-dark",
}


@register.filter
def grade_class(grade: str) -> str:
    return GRADE_CLASSES.get(grade, "text-bg-light")


STATUS_CLASSES = {
    "new": "text-bg-primary",
    "following": "text-bg-info",
    "invited": "text-bg-warning",
    "visited": "text-bg-warning",
    "ordered": "text-bg-success",
    "delivered": "text-bg-success",
    "lost_requested": "text-bg-danger",
    "invalid_requested": "text-bg-danger",
    "lost": "text-bg-dark",
    "invalid": "text-bg-dark",
    "merged": "text-bg-light",
}


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "text-bg-light")


TIMELINE_CLASSES = {
    "follow_up": "border-primary",
    "comment": "border-warning",
    "appointment": "border-success",
    "lost_request": "border-danger",
    "lost_decision": "border-danger",
    "created": "border-secondary",
}


@register.filter
def timeline_class(kind: str) -> str:
    return TIMELINE_CLASSES.get(kind, "border-light")


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current query string with some keys replaced (``None`` or "" removes a key)."""
    request = context.get("request")
    params = request.GET.copy() if request is not None else QueryDict(mutable=True)
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    if "page" not in changes:
        params.pop("page", None)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def dom_id(field) -> str:
    """A field's id without Django's ``id_`` prefix: ``phone``, or ``invite-receiver`` for a form
    built with ``auto_id="invite-%s"`` (several forms share the customer page)."""
    auto_id = field.auto_id or field.html_name
    return auto_id.removeprefix("id_")


@register.filter
def with_invalid(field):
    """Render a bound field, marked ``is-invalid`` when it has errors."""
    if not field.errors:
        return field
    css = field.field.widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{css} is-invalid"})
