"""Sign-in, landing, store and language switching, the workbench, notifications, group overview."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from . import navigation, services
from .forms import LoginForm
from .middleware import STORE_SESSION_KEY
from .models import Membership, Notification, Store, User
from .selectors import user_groups


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        if user.language:
            response.set_cookie("django_language", user.language, samesite="Lax")
        return response


class LogoutView(auth_views.LogoutView):
    pass


class HomeView(LoginRequiredMixin, View):
    """Send each user to the work page of their role in the current store."""

    def get(self, request):
        return redirect(navigation.landing_url_for(request))


class WorkbenchView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/workbench.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["shortcuts"] = [item for item in navigation.items_for(self.request) if item["key"] != "workbench"]
        ctx["recent_notifications"] = Notification.objects.filter(recipient=self.request.user, read_at__isnull=True)[:5]
        return ctx


class SwitchStoreView(LoginRequiredMixin, View):
    def post(self, request):
        try:
            store_id = int(request.POST.get("store", ""))
        except ValueError:
            store_id = None
        if store_id not in request.user.store_ids():
            raise PermissionDenied
        request.session[STORE_SESSION_KEY] = store_id
        store = Store.objects.get(pk=store_id)
        messages.success(request, _("You are now working in %(store)s.") % {"store": store.name})
        return redirect("accounts:home")


class SetLanguageView(View):
    """Switch the interface language; signed-in users keep the choice on their profile."""

    def post(self, request):
        language = request.POST.get("language", "")
        if language not in dict(User.Language.choices):
            language = User.Language.ZH_HANS
        if request.user.is_authenticated and request.user.language != language:
            services.user_update(actor=request.user, user=request.user, language=language)
        next_url = request.POST.get("next") or "/"
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = "/"
        translation.activate(language)
        response = HttpResponseRedirect(next_url)
        response.set_cookie("django_language", language, samesite="Lax")
        return response


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "accounts/notification_list.html"
    context_object_name = "notifications"
    paginate_by = 30

    def get_queryset(self):
        qs = Notification.objects.filter(recipient=self.request.user).select_related("store")
        if self.request.GET.get("unread"):
            qs = qs.filter(read_at__isnull=True)
        return qs


class NotificationBellView(LoginRequiredMixin, TemplateView):
    """The header bell, re-rendered by htmx every minute."""

    template_name = "accounts/_bell.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["unread_notifications"] = Notification.objects.filter(
            recipient=self.request.user, read_at__isnull=True
        ).count()
        return ctx


class NotificationReadView(LoginRequiredMixin, View):
    """Mark one notification read and follow its link, or mark all read."""

    def post(self, request, pk=None):
        if pk is None:
            count = services.notification_mark_read(user=request.user)
            messages.success(request, _("%(count)d notifications marked as read.") % {"count": count})
            return redirect("accounts:notification_list")
        notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
        services.notification_mark_read(user=request.user, notification_ids=[notification.pk])
        if request.htmx:
            return HttpResponse(status=204, headers={"HX-Trigger": "notificationsChanged"})
        if notification.url and url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()}):
            return redirect(notification.url)
        return redirect("accounts:notification_list")


class GroupOverviewView(LoginRequiredMixin, TemplateView):
    """For group users: every store of their groups side by side."""

    template_name = "accounts/group_overview.html"

    def get_context_data(self, **kwargs):
        groups = list(user_groups(self.request.user))
        if not groups:
            raise PermissionDenied
        ctx = super().get_context_data(**kwargs)
        stores = (
            Store.objects.filter(group__in=groups)
            .select_related("group")
            .annotate(user_count=Count("memberships__user", filter=Q(memberships__user__is_active=True), distinct=True))
            .order_by("group__name", "name")
        )
        ctx["groups"] = groups
        ctx["stores"] = stores
        ctx["group_memberships"] = Membership.objects.filter(
            user=self.request.user, group__isnull=False
        ).select_related("role", "group")
        return ctx


def switch_url() -> str:
    return reverse("accounts:switch_store")
