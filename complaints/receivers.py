"""Reactions to events of lower apps (the showroom's deliveries)."""

from __future__ import annotations


def schedule_callbacks(sender=None, order=None, actor=None, **kwargs) -> None:
    """A delivery schedules the buyer's callback ladder (``services.callbacks_schedule``)."""
    from . import services

    if order is not None:
        services.callbacks_schedule(order=order, actor=actor)
