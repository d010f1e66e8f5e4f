"""Template helpers of the showroom pages: rates, stay lengths, field errors, the rotation widget."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.6834 → "68.3%"; None (nothing to divide by) → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def minutes(value) -> str:
    """A stay in minutes as "1:05" (hours:minutes) from an hour on, else "35′"."""
    if value is None or value == "":
        return "—"
    value = int(value)
    if value >= 60:
        return f"{value // 60}:{value % 60:02d}"
    return f"{value}′"


@register.filter
def with_invalid(field):
    """Render a bound field, marked ``is-invalid`` when it has errors."""
    if not field.errors:
        return field
    css = field.field.widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{css} is-invalid"})


def rotation_widget_context(request) -> dict:
    """The current user's own rotation state, for the small widget on consultants' pages."""
    from leads.selectors import lead_owners

    from ..models import RotationEntry
    from ..selectors import rotation_queue

    store, user = getattr(request, "store", None), request.user
    if store is None or "showroom.view_board" not in request.perms or "leads.own" not in request.perms:
        return {"show": False}
    if not lead_owners(store).filter(pk=user.pk).exists():
        return {"show": False}
    entry = RotationEntry.objects.filter(store=store, consultant=user).first()
    queue = [e.consultant_id for e in rotation_queue(store)]
    return {
        "show": True,
        "state": entry.state if entry else RotationEntry.State.AWAY,
        "place": queue.index(user.pk) + 1 if user.pk in queue else None,
        "states": RotationEntry.State,
    }


@register.inclusion_tag("showroom/_rotation_widget.html", takes_context=True)
def rotation_widget(context):
    """``{% load showroom_tags %}{% rotation_widget %}``: available / with a customer / away, in one click."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"show": False}
    return {**rotation_widget_context(request), "request": request, "csrf_token": context.get("csrf_token")}
