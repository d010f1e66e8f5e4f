"""Which customers a caller may see through the API: the pages' rule, in one place.

Leads use ``Lead.objects.visible_to(user, permission)``. A customer is visible when one of its
leads is, or when the caller sees every lead of the customer's store (``leads.view_all``).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ..models import Customer, Lead


def visible_customers(user, permission: str | None = None) -> QuerySet[Customer]:
    if not user or not user.is_authenticated:
        return Customer.objects.none()
    whole_stores = [
        store_id
        for store_id in user.store_ids_with_perm("leads.view_all")
        if permission is None or permission in user.perms_in(store_id)
    ]
    leads = Lead.objects.visible_to(user, permission)
    return Customer.objects.filter(Q(store_id__in=whole_stores) | Q(pk__in=leads.values("customer_id")))
