"""Template helpers of the customer-service pages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.translation import gettext as _

register = template.Library()

STATUS_CLASSES = {
    "registered": "text-bg-primary",
    "opinion_given": "text-bg-info",
    "opinion_approved": "text-bg-info",
    "dispatched": "text-bg-warning",
    "handled": "text-bg-warning",
    "confirmed": "text-bg-success",
    "closed": "text-bg-secondary",
    "archived": "text-bg-light",
}


@register.filter
def with_invalid(field):
    """Render a bound field, marked ``is-invalid`` when it has errors."""
    if not field.errors:
        return field
    css = field.field.widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{css} is-invalid"})


@register.filter
def complaint_status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "text-bg-light")


@register.filter
def span(value: dt.timedelta | None) -> str:
    """A duration as "2 d 3 h", "3 h 20 min" or "12 min" (negative durations as their size)."""
    if value is None:
        return ""
    minutes = int(abs(value.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": mins}
    return _("%(m)s min") % {"m": mins}
