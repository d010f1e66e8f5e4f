"""The navigation menu and each role's landing page, assembled from what every app registers.

Apps register their items in ``AppConfig.ready()``; a user sees an item only when their role in
the current store grants its permission, so the menu never offers a page that would answer 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    section: str | Promise = ""
    permission: str | None = None
    # Extra condition on the request, e.g. "has a group-wide membership".
    check: Callable | None = None
    icon: str = ""
    order: int = 100
    badge: Callable | None = field(default=None, compare=False)


_items: dict[str, NavItem] = {}

# Landing page per role code, in order of precedence when a user holds several roles.
LANDING_PRECEDENCE = [
    "gm",
    "sales_manager",
    "sales_supervisor",
    "dcc_manager",
    "cs_manager",
    "consultant",
    "dcc_agent",
    "cs_agent",
    "reception",
    "admin",
]
_landings: dict[str, str] = {}


def register(item: NavItem) -> None:
    _items[item.key] = item


def set_landing(role_code: str, url_name: str) -> None:
    """Make ``url_name`` the page a role lands on after login (a later app's work page)."""
    _landings[role_code] = url_name


def register_defaults() -> None:
    section_admin = _("Administration")
    register(NavItem("workbench", _("My workbench"), "accounts:workbench", icon="house", order=0))
    register(
        NavItem(
            "group",
            _("Dealer group"),
            "accounts:group_overview",
            check=lambda request: bool(request.user.is_authenticated and _has_group(request.user)),
            icon="diagram-3",
            order=5,
        )
    )
    register(
        NavItem("admin-stores", _("Stores"), "accounts:store_list", section_admin, "accounts.manage_stores", order=900)
    )
    register(
        NavItem("admin-users", _("Users"), "accounts:user_list", section_admin, "accounts.manage_users", order=910)
    )
    register(
        NavItem("admin-teams", _("Teams"), "accounts:team_list", section_admin, "accounts.manage_teams", order=920)
    )
    register(
        NavItem("admin-roles", _("Roles"), "accounts:role_list", section_admin, "accounts.manage_roles", order=930)
    )
    register(
        NavItem(
            "admin-audit", _("Audit log"), "accounts:audit_list", section_admin, "accounts.view_audit_log", order=940
        )
    )
    register(
        NavItem(
            "admin-system",
            _("System status"),
            "accounts:system_status",
            section_admin,
            "accounts.manage_stores",
            order=950,
        )
    )
    for role in LANDING_PRECEDENCE:
        _landings.setdefault(role, "accounts:workbench")
    _landings["admin"] = "accounts:store_list"


def _has_group(user) -> bool:
    return bool(user.is_authenticated and user.group_ids())


def _reversible(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def items_for(request) -> list[dict]:
    """Menu entries the request's user may open in the current store (computed once per request)."""
    cached = getattr(request, "_nav_items", None)
    if cached is None:
        cached = _items_for(request)
        request._nav_items = cached
    return cached


def _items_for(request) -> list[dict]:
    perms = getattr(request, "perms", frozenset())
    visible = []
    for item in sorted(_items.values(), key=lambda i: (i.order, i.key)):
        if item.permission and item.permission not in perms:
            continue
        if item.check and not item.check(request):
            continue
        url = _reversible(item.url_name)
        if url is None:
            continue
        visible.append(
            {
                "key": item.key,
                "label": item.label,
                "url": url,
                "section": item.section,
                "icon": item.icon,
                "active": False,
                "badge": item.badge(request) if item.badge else None,
            }
        )
    # The current page's entry: the longest URL the path starts with (the report center, not also the
    # reports index at /reports/ above it).
    matching = [
        entry
        for entry in visible
        if (request.path.startswith(entry["url"]) if entry["url"] != "/" else request.path == "/")
    ]
    if matching:
        max(matching, key=lambda entry: len(entry["url"]))["active"] = True
    return visible


def landing_url_for(request) -> str:
    """Where a user lands after login: their role's work page in the current store."""
    roles = getattr(request, "roles", frozenset())
    store = getattr(request, "store", None)
    if store is not None:
        from .models import Role

        for role in Role.objects.available_in(store).filter(code__in=roles).exclude(landing_url=""):
            url = _reversible(role.landing_url)
            if url:
                return url
    for code in LANDING_PRECEDENCE:
        if code in roles:
            url = _reversible(_landings.get(code, "accounts:workbench"))
            if url:
                return url
    if getattr(request, "user", None) is not None and _has_group(request.user):
        return reverse("accounts:group_overview")
    return reverse("accounts:workbench")
