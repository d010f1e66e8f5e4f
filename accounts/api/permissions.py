"""The one DRF permission class: the named permission in the store of what is being read or changed."""

from __future__ import annotations

from rest_framework.permissions import BasePermission


def required_permission(view) -> str | None:
    per_action = getattr(view, "required_permissions", None) or {}
    action = getattr(view, "action", None)
    if action in per_action:
        return per_action[action]
    return getattr(view, "required_permission", None)


class HasStorePermission(BasePermission):
    """Allow when the user holds the view's permission in some store (lists are narrowed by
    ``visible_to``), and for one object only when they hold it in that object's store."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        code = required_permission(view)
        if code is None:
            return True
        return bool(user.store_ids_with_perm(code))

    def has_object_permission(self, request, view, obj) -> bool:
        code = required_permission(view)
        store_id = getattr(obj, "store_id", None)
        if code is None or store_id is None:
            return True
        return store_id in request.user.store_ids_with_perm(code)
