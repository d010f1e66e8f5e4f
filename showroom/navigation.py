"""Menu entries of the showroom and the receptionist's landing page (the board)."""

from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavItem, set_landing
from accounts.navigation import register as register_item


def _in_store_badge(request):
    from .models import Visit

    if request.store is None:
        return None
    count = Visit.objects.filter(store=request.store, departed_at__isnull=True).count()
    return count or None


def register() -> None:
    section = _("Showroom")
    items = [
        NavItem(
            "showroom-board",
            _("Showroom board"),
            "showroom:board",
            section,
            "showroom.view_board",
            order=30,
            badge=_in_store_badge,
        ),
        NavItem(
            "visit-new", _("Register a visit"), "showroom:visit_register", section, "showroom.register_visit", order=31
        ),
        NavItem("visits", _("Showroom visits"), "showroom:visit_list", section, "showroom.view_visits", order=32),
        NavItem("rotation", _("Reception rotation"), "showroom:rotation", section, "showroom.view_board", order=33),
        NavItem("orders", _("Sales orders"), "showroom:order_list", section, "showroom.view_orders", order=34),
        NavItem(
            "clerk-figures",
            _("Info clerk figures"),
            "showroom:clerk_figures",
            section,
            "showroom.view_clerk_figures",
            order=35,
        ),
        NavItem(
            "demo-cars", _("Demo cars"), "showroom:demo_vehicle_list", section, "showroom.manage_demo_cars", order=36
        ),
    ]
    for item in items:
        register_item(item)
    set_landing("reception", "showroom:board")
