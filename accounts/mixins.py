"""The one permission gate for staff pages."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


class StorePermissionRequiredMixin:
    """Signed-in user with ``permission_required`` in the current store; otherwise login or 403.

    Views narrow their querysets with ``visible_to`` as well, so an object of another store is a 404.
    """

    permission_required: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not self.has_permission():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def has_permission(self) -> bool:
        if self.request.store is None:
            return False
        return self.permission_required is None or self.permission_required in self.request.perms
