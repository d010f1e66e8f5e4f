"""Menu entries of the DCC and the landing pages of its roles.

Items carry their permission. In a version-2 store the sales manager holds the DCC manager's
rights without the permission on their role (``dcc.selectors.dcc_perms``): they get the manager's
items through a second set of entries, shown only there.
"""

from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavItem, set_landing
from accounts.navigation import register as register_item


def _v2_sales_manager(code: str):
    def check(request) -> bool:
        store = getattr(request, "store", None)
        if store is None or code in getattr(request, "perms", frozenset()):
            return False
        return "sales_manager" in getattr(request, "roles", frozenset()) and code in _request_dcc_perms(request)

    return check


def _request_dcc_perms(request) -> frozenset[str]:
    """The user's DCC permissions in the current store, read once per request (the menu asks for
    each of its entries)."""
    cached = getattr(request, "_dcc_perms", None)
    if cached is None:
        from .selectors import dcc_perms

        cached = request._dcc_perms = dcc_perms(request.user, request.store) if request.user.is_active else frozenset()
    return cached


def _due_badge(request):
    from .selectors import call_list_counts

    if getattr(request, "store", None) is None:
        return None
    # The call list page has counted already (one query per page, not two).
    counts = getattr(request, "dcc_list_counts", None) or call_list_counts(request.user, request.store)
    return counts.get("due") or None


MANAGER_ITEMS = [
    ("dcc-queue", _("Live queue"), "dcc:queue", "dcc.manage", 33),
    ("dcc-tasks", _("Call tasks"), "dcc:task_list", "dcc.manage", 34),
    ("dcc-campaigns", _("Campaigns"), "dcc:campaign_list", "dcc.manage", 35),
    ("dcc-figures", _("DCC figures"), "dcc:figures", "dcc.view_figures", 36),
    ("dcc-agents", _("Agents and skills"), "dcc:agents", "dcc.manage", 37),
    ("dcc-script", _("Call script"), "dcc:script", "dcc.manage", 38),
    ("dcc-templates", _("Message templates"), "dcc:templates", "dcc.manage", 39),
    ("dcc-settings", _("DCC settings"), "dcc:settings", "dcc.manage", 40),
]


def register() -> None:
    section = _("DCC call centre")
    work = "dcc.work_calls"
    register_item(NavItem("dcc-list", _("My call list"), "dcc:my_list", section, work, order=30, badge=_due_badge))
    register_item(NavItem("dcc-inbound", _("Inbound call"), "dcc:inbound", section, work, order=31))
    register_item(NavItem("dcc-invitations", _("Invitations"), "dcc:invitations", section, work, order=32))
    for key, label, url_name, permission, order in MANAGER_ITEMS:
        register_item(NavItem(key, label, url_name, section, permission, order=order))
        register_item(NavItem(f"{key}-v2", label, url_name, section, check=_v2_sales_manager(permission), order=order))
    register_item(
        NavItem("dcc-list-v2", _("My call list"), "dcc:my_list", section, check=_v2_sales_manager(work), order=30)
    )
    set_landing("dcc_agent", "dcc:my_list")
    set_landing("dcc_manager", "dcc:queue")
