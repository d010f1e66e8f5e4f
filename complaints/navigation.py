"""Menu entries of customer service and the landing pages of its roles."""

from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavItem, set_landing
from accounts.navigation import register as register_item


def _queue_badge(request):
    from .selectors import waiting_for

    if getattr(request, "store", None) is None:
        return None
    return waiting_for(request.user, request.store).count() or None


def _callbacks_badge(request):
    from django.utils import timezone

    from .selectors import callback_task_count

    if getattr(request, "store", None) is None:
        return None
    return callback_task_count(request.user, request.store, timezone.localdate()) or None


SIGNING = (
    "complaints.register",
    "complaints.give_opinion",
    "complaints.approve_opinion",
    "complaints.dispatch",
    "complaints.handle",
    "complaints.confirm",
    "complaints.sign_off",
    "complaints.archive",
)


def register() -> None:
    section = _("Customer service")
    register_item(
        NavItem(
            "complaints-queue",
            _("Complaints to sign"),
            "complaints:queue",
            section,
            "complaints.sign",
            order=60,
            badge=_queue_badge,
        )
    )
    register_item(
        NavItem("complaints-list", _("All complaints"), "complaints:list", section, "complaints.view", order=61)
    )
    register_item(
        NavItem(
            "complaints-new", _("Register a complaint"), "complaints:create", section, "complaints.register", order=62
        )
    )
    register_item(
        NavItem(
            "complaints-settings",
            _("Complaint settings"),
            "complaints:settings",
            section,
            "complaints.manage_settings",
            order=69,
        )
    )
    register_item(
        NavItem(
            "callbacks-mine",
            _("My callbacks"),
            "complaints:my_callbacks",
            section,
            "callbacks.work",
            order=63,
            badge=_callbacks_badge,
        )
    )
    register_item(
        NavItem(
            "callbacks-satisfaction",
            _("Satisfaction callbacks"),
            "complaints:satisfaction",
            section,
            "callbacks.satisfaction",
            order=64,
        )
    )
    register_item(
        NavItem(
            "callbacks-supervision",
            _("Callback supervision"),
            "complaints:supervision",
            section,
            "callbacks.supervise",
            order=65,
        )
    )
    register_item(
        NavItem(
            "callbacks-settings",
            _("Callback settings"),
            "complaints:callback_settings",
            section,
            "complaints.manage_settings",
            order=70,
        )
    )
    register_item(
        NavItem(
            "complaints-quarter", _("Quarterly feedback"), "complaints:quarter", section, "complaints.view", order=66
        )
    )
    register_item(
        NavItem(
            "service-reminders",
            _("Vehicle-service reminders"),
            "complaints:reminders",
            section,
            "callbacks.reminders",
            order=67,
        )
    )
    register_item(
        NavItem(
            "service-enquiries",
            _("Enquiries and help calls"),
            "complaints:enquiries",
            section,
            "callbacks.reminders",
            order=68,
        )
    )
    register_item(NavItem("service-ssi", _("SSI scorecards"), "complaints:ssi", section, "ssi.view", order=69))
    register_item(
        NavItem(
            "service-ssi-settings",
            _("SSI settings"),
            "complaints:ssi_settings",
            section,
            "ssi.manage_settings",
            order=71,
        )
    )
    set_landing("cs_agent", "complaints:queue")
    set_landing("cs_manager", "complaints:queue")
