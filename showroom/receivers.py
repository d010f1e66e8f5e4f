"""The showroom's answers to events of the apps below it (leads)."""

from __future__ import annotations

from . import services


def follow_merged_customers(sender, survivor, absorbed, lead_map, actor=None, **kwargs) -> None:
    """``leads.signals.customers_merged``: visits, orders and test drives move to the survivor."""
    services.visits_follow_merged_customers(survivor=survivor, absorbed=absorbed, lead_map=lead_map, actor=actor)
