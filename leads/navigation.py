"""Menu entries and landing pages of the leads app."""

from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavItem, set_landing
from accounts.navigation import register as register_item


def _task_badge(request):
    from django.utils import timezone

    from .selectors import due_task_count, provided_task_count

    if request.store is None:
        return None
    today = timezone.localdate()
    due = due_task_count(request.user, request.store, today) + provided_task_count(request.user, request.store, today)
    return due or None


def _approval_badge(request):
    from .selectors import pending_requests_for

    count = pending_requests_for(request.user).filter(store=request.store).count()
    return count or None


def register() -> None:
    section = _("Customers")
    register_item(
        NavItem("my-tasks", _("My tasks"), "leads:my_tasks", section, "leads.own", order=10, badge=_task_badge)
    )
    register_item(
        NavItem("customer-new", _("New customer"), "leads:customer_create", section, "leads.capture", order=11)
    )
    register_item(NavItem("my-leads", _("My leads"), "leads:my_leads", section, "leads.own", order=12))
    register_item(NavItem("lead-list", _("Lead list"), "leads:lead_list", section, "leads.reassign", order=13))
    register_item(
        NavItem(
            "approvals",
            _("Approvals"),
            "leads:approvals",
            section,
            "leads.approve_lost",
            order=14,
            badge=_approval_badge,
        )
    )
    register_item(
        NavItem("followups", _("Follow-up records"), "leads:followup_list", section, "leads.comment", order=15)
    )
    register_item(NavItem("pool", _("Shared pool"), "leads:pool", section, "leads.claim_pool", order=16))
    register_item(NavItem("merge", _("Merge duplicates"), "leads:merge_suggestions", section, "leads.merge", order=17))
    register_item(NavItem("lead-import", _("Import leads"), "leads:import_list", section, "leads.import", order=18))
    register_item(
        NavItem(
            "lead-settings",
            _("Lead settings"),
            "leads:settings",
            _("Administration"),
            "leads.manage_settings",
            order=890,
        )
    )
    set_landing("consultant", "leads:my_tasks")
    set_landing("sales_supervisor", "leads:lead_list")
    set_landing("sales_manager", "leads:lead_list")
