"""Which customers a caller may see through the API: the pages' rule, in one place.

Leads use ``Lead.objects.visible_to(user, permission)``. A customer is visible when one of its
leads is, or when the caller sees every lead of the customer's store (``leads.view_all``).
"""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import Customer


def visible_customers(user, permission: str | None = None) -> QuerySet[Customer]:
    return Customer.objects.visible_to(user, permission)
