"""Menu entries of the reports app (报表管理)."""

from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavItem
from accounts.navigation import register as register_item


def _any_report(request) -> bool:
    from .registry import allowed

    return bool(allowed(getattr(request, "perms", frozenset())))


def _group_user(request) -> bool:
    from .dashboard_views import is_group_user

    return is_group_user(request)


def register() -> None:
    section = _("Reports")
    register_item(NavItem("reports", _("Customer analysis"), "reports:index", section, check=_any_report, order=700))
    register_item(
        NavItem("dashboard", _("Store dashboard"), "reports:dashboard", section, "reports.dashboard", order=690)
    )
    register_item(
        NavItem(
            "group-dashboard",
            _("Group dashboard"),
            "reports:group_dashboard",
            section,
            "reports.dashboard",
            check=_group_user,
            order=695,
        )
    )
    register_item(NavItem("report-center", _("Report center"), "reports:center", section, "reports.center", order=710))
    register_item(NavItem("targets", _("Sales targets"), "reports:targets", section, "reports.set_targets", order=720))
