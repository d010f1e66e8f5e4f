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
        "switchable_stores": list(user_stores(user)),
        "role_names": sorted(_role_names(request)),
        "unread_notifications": Notification.objects.filter(recipient=user, read_at__isnull=True).count(),
    }


def _role_names(request) -> set[str]:
    from .models import Role

    store = getattr(request, "store", None)
    roles = getattr(request, "roles", frozenset())
    if store is None or not roles:
        return set()
    return {role.display_name for role in Role.objects.available_in(store).filter(code__in=roles)}
