from __future__ import annotations

from . import navigation
from .models import Notification
from .selectors import user_stores


def workspace(request) -> dict:
    """Menu, current store, the stores to switch to and the unread count for every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = navigation.items_for(request)
    sections: dict[str, list[dict]] = {}
    for item in items:
        sections.setdefault(str(item["section"]), []).append(item)
    return {
        "nav_sections": sections,
        "current_store": getattr(request, "store", None),
        "switchable_stores": _switchable_stores(request),
        "role_names": sorted(_role_names(request)),
        "unread_notifications": Notification.objects.filter(recipient=user, read_at__isnull=True).count(),
    }


def _switchable_stores(request) -> list:
    """The stores the user may switch to; one who works in one store only has nothing to look up."""
    store = getattr(request, "store", None)
    if store is not None and request.user.store_ids() == [store.pk]:
        return [store]
    return list(user_stores(request.user))


def _role_names(request) -> set[str]:
    """The names of the roles the user holds in the current store (read with their memberships)."""
    store = getattr(request, "store", None)
    if store is None:
        return set()
    return set(request.user.role_names_in(store))
