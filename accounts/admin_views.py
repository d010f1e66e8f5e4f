"""Administration pages: stores (hours, holidays), users and their roles, teams, roles, audit log, system.

Every page sits behind ``StorePermissionRequiredMixin`` with its permission in the current store,
and every object is looked up in the administrator's scope (``accounts.filters``), so another
store's object is a 404. Writes go through ``accounts.services``.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from . import navigation, services
from .admin_forms import (
    HolidayForm,
    HolidayRangeForm,
    MembershipGrantForm,
    OpeningHoursForm,
    RoleForm,
    StoreCreateForm,
    StoreForm,
    TeamForm,
    UserCreateForm,
    UserEditForm,
    UserPasswordForm,
    bootstrap,
)
from .calendar import StoreCalendar
from .filters import (
    MANAGE_ROLES,
    MANAGE_STORES,
    MANAGE_TEAMS,
    MANAGE_USERS,
    VIEW_AUDIT_LOG,
    AuditLogFilterSet,
    UserFilterSet,
    managed_stores,
    membership_changeable_by,
    user_editable_by,
    users_visible_to,
)
from .mixins import StorePermissionRequiredMixin
from .models import AuditLog, Holiday, Membership, OpeningHours, Role, RoleCode, SchedulerHeartbeat, Team, User

HEARTBEAT_STALE_AFTER = dt.timedelta(minutes=5)


def add_service_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def landing_choices() -> list[tuple[str, str]]:
    """(url name, label) of every page registered in the navigation, for a role's landing page."""
    choices = []
    for item in sorted(navigation._items.values(), key=lambda i: (i.order, i.key)):
        try:
            reverse(item.url_name)
        except NoReverseMatch:
            continue
        label = f"{item.section} · {item.label}" if item.section else str(item.label)
        choices.append((item.url_name, label))
    return choices


# --- stores -------------------------------------------------------------------------------


class StoreScopeMixin(StorePermissionRequiredMixin):
    """A store the administrator manages, from the URL's ``pk``; any other store is a 404."""

    permission_required = MANAGE_STORES

    def get_store(self):
        if not hasattr(self, "_store"):
            self._store = get_object_or_404(managed_stores(self.request.user, MANAGE_STORES), pk=self.kwargs["pk"])
        return self._store

    def get_context_data(self, **kwargs):
        kwargs.setdefault("store", self.get_store())
        return super().get_context_data(**kwargs)

    def detail_url(self) -> str:
        return reverse("accounts:store_detail", args=[self.get_store().pk])


class StoreListView(StorePermissionRequiredMixin, ListView):
    permission_required = MANAGE_STORES
    template_name = "accounts/manage/store_list.html"
    context_object_name = "stores"

    def get_queryset(self):
        return (
            managed_stores(self.request.user, MANAGE_STORES)
            .annotate(user_count=Count("memberships__user", filter=Q(memberships__user__is_active=True), distinct=True))
            .order_by("-is_active", "group__name", "name")
        )


class StoreCreateView(StorePermissionRequiredMixin, FormView):
    permission_required = MANAGE_STORES
    template_name = "accounts/manage/store_form.html"
    form_class = StoreCreateForm

    def form_valid(self, form):
        data = {k: form.cleaned_data[k] for k in ("code", "name", "address", "phone")}
        try:
            store = services.store_create(
                actor=self.request.user,
                group=self.request.store.group,
                copy_hours_from=self.request.store if form.cleaned_data["copy_hours"] else None,
                **data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Store %(store)s created.") % {"store": store.name})
        return redirect("accounts:store_detail", store.pk)


class StoreUpdateView(StoreScopeMixin, FormView):
    template_name = "accounts/manage/store_form.html"
    form_class = StoreForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.get_store()}

    def form_valid(self, form):
        # The ModelForm has already written the new values onto its instance: diff against a fresh copy.
        store = managed_stores(self.request.user, MANAGE_STORES).get(pk=self.get_store().pk)
        try:
            services.store_update(actor=self.request.user, store=store, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Store saved."))
        return redirect(self.detail_url())


class StoreDetailView(StoreScopeMixin, DetailView):
    template_name = "accounts/manage/store_detail.html"
    context_object_name = "store"

    def get_object(self, queryset=None):
        return self.get_store()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        store = self.object
        hours: dict[int, list[OpeningHours]] = {}
        for row in store.opening_hours.all():
            hours.setdefault(row.weekday, []).append(row)
        ctx["weekly_hours"] = [(label, hours.get(day, [])) for day, label in OpeningHours.Weekday.choices]
        today = timezone.localdate()
        ctx["holidays"] = store.holidays.filter(date__gte=today.replace(month=1, day=1)).order_by("date")
        ctx["today"] = today
        ctx.update(next_opening(store))
        ctx.setdefault("holiday_form", HolidayForm(prefix="holiday"))
        ctx.setdefault("range_form", HolidayRangeForm(prefix="range"))
        return ctx


def next_opening(store) -> dict:
    """Whether the store is open now, until when, or when it opens next (by ``StoreCalendar``)."""
    calendar = StoreCalendar(store)
    now = timezone.now()
    if calendar.is_open(now):
        local = now.astimezone(calendar.tz)
        closes = next(end for start, end in calendar.intervals_on(local.date()) if start <= local < end)
        return {"open_now": True, "open_until": closes}
    try:
        return {"open_now": False, "next_opening": calendar.add_open_minutes(now, 0)}
    except ValueError:
        return {"open_now": False, "next_opening": None}


class StoreHoursView(StoreScopeMixin, FormView):
    template_name = "accounts/manage/store_hours.html"
    form_class = OpeningHoursForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "store": self.get_store()}

    def form_valid(self, form):
        try:
            services.opening_hours_set(actor=self.request.user, store=self.get_store(), hours=form.hours)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Opening hours saved."))
        return redirect(self.detail_url())


class HolidayAddView(StoreScopeMixin, FormView):
    """Add (or replace) one day: closed, or a make-up working day."""

    template_name = "accounts/manage/holiday_form.html"
    form_class = HolidayForm
    prefix = "holiday"

    def form_valid(self, form):
        try:
            holiday = services.holiday_set(actor=self.request.user, store=self.get_store(), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request, _("%(date)s saved: %(kind)s.") % {"date": holiday.date, "kind": holiday.get_kind_display()}
        )
        return redirect(self.detail_url())


class HolidayRangeView(StoreScopeMixin, FormView):
    """Close a run of days at once, e.g. the seven days of the Spring Festival."""

    template_name = "accounts/manage/holiday_range_form.html"
    form_class = HolidayRangeForm
    prefix = "range"

    def form_valid(self, form):
        try:
            added, changed = services.holiday_add_range(
                actor=self.request.user, store=self.get_store(), **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(added)d closed days added, %(changed)d changed.") % {"added": added, "changed": changed},
        )
        return redirect(self.detail_url())


class HolidayDeleteView(StoreScopeMixin, View):
    def post(self, request, pk, holiday_pk):
        holiday = get_object_or_404(Holiday, pk=holiday_pk, store=self.get_store())
        services.holiday_remove(actor=request.user, holiday=holiday)
        messages.success(request, _("%(date)s removed from the calendar.") % {"date": holiday.date})
        return redirect(self.detail_url())


class StoreSetActiveView(StoreScopeMixin, View):
    """Deactivate (or reactivate) a store; stores are never deleted."""

    def post(self, request, pk):
        store = self.get_store()
        active = request.POST.get("active") == "1"
        try:
            services.store_set_active(actor=request.user, store=store, is_active=active)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(self.detail_url())
        if active:
            messages.success(request, _("Store %(store)s is active again.") % {"store": store.name})
        else:
            messages.success(request, _("Store %(store)s deactivated.") % {"store": store.name})
        return redirect("accounts:store_list")


# --- users --------------------------------------------------------------------------------


class UserListView(StorePermissionRequiredMixin, ListView):
    permission_required = MANAGE_USERS
    template_name = "accounts/manage/user_list.html"
    context_object_name = "people"
    paginate_by = 50

    def get_queryset(self):
        queryset = users_visible_to(self.request.user).prefetch_related(
            "memberships__role", "memberships__store", "memberships__group"
        )
        self.filterset = UserFilterSet(self.request.GET or None, queryset=queryset, request=self.request)
        bootstrap(self.filterset.form)
        return self.filterset.qs.order_by("username")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter"] = self.filterset
        return ctx


class UserCreateView(StorePermissionRequiredMixin, FormView):
    permission_required = MANAGE_USERS
    template_name = "accounts/manage/user_form.html"
    form_class = UserCreateForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user, "current_store": self.request.store}

    def form_valid(self, form):
        data = {k: form.cleaned_data[k] for k in form.Meta.fields}
        try:
            user = services.user_onboard(
                actor=self.request.user,
                store=self.request.store,
                password=form.cleaned_data["password1"],
                role=form.grant_role,
                role_store=form.grant_store,
                role_group=form.grant_group,
                **data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("User %(user)s created.") % {"user": user.username})
        return redirect("accounts:user_edit", user.pk)


class UserScopeMixin(StorePermissionRequiredMixin):
    """A user the administrator may see, from the URL's ``pk``; anybody else is a 404."""

    permission_required = MANAGE_USERS

    def get_target(self) -> User:
        if not hasattr(self, "_target"):
            self._target = get_object_or_404(users_visible_to(self.request.user), pk=self.kwargs["pk"])
        return self._target

    def require_editable(self) -> User:
        target = self.get_target()
        if not user_editable_by(target, self.request.user):
            raise PermissionDenied
        return target

    def edit_url(self) -> str:
        return reverse("accounts:user_edit", args=[self.get_target().pk])


class UserEditView(UserScopeMixin, DetailView):
    """A user's profile (editable when all their roles are within reach), their roles, and granting one."""

    template_name = "accounts/manage/user_edit.html"
    context_object_name = "target"  # not "user": that is the signed-in administrator in every template

    def get_object(self, queryset=None):
        return self.get_target()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        target, actor = self.object, self.request.user
        editable = user_editable_by(target, actor)
        ctx["editable"] = editable
        if editable:
            ctx.setdefault("profile_form", UserEditForm(instance=target))
        memberships = target.memberships.select_related("role", "store", "group").order_by("store__name", "role__code")
        ctx["memberships"] = [(m, membership_changeable_by(m, actor)) for m in memberships]
        ctx.setdefault("grant_form", MembershipGrantForm(actor=actor, current_store=self.request.store))
        return ctx

    def post(self, request, *args, **kwargs):
        target = self.require_editable()
        self.object = target
        fresh = users_visible_to(request.user).get(pk=target.pk)
        form = UserEditForm(request.POST, instance=target)
        if form.is_valid():
            try:
                services.user_update(actor=request.user, user=fresh, store=request.store, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Changes saved."))
                return redirect(self.edit_url())
        # The failed form wrote its input onto ``target``; show the saved values everywhere else.
        self.object = self._target = fresh
        return self.render_to_response(self.get_context_data(profile_form=form))


class MembershipGrantView(UserEditView):
    def post(self, request, *args, **kwargs):
        target = self.get_target()
        self.object = target
        form = MembershipGrantForm(request.POST, actor=request.user, current_store=request.store)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(grant_form=form))
        place = form.grant_store or form.grant_group
        exists = Membership.objects.filter(
            user=target, role=form.grant_role, store=form.grant_store, group=form.grant_group
        ).exists()
        if exists:
            messages.info(
                request,
                _("%(user)s is already %(role)s in %(place)s.")
                % {"user": target.display_name, "role": form.grant_role.display_name, "place": place},
            )
            return redirect(self.edit_url())
        try:
            services.membership_grant(
                actor=request.user, user=target, role=form.grant_role, store=form.grant_store, group=form.grant_group
            )
        except ValueError:
            form.add_error("role", _("This role is not available there."))
            return self.render_to_response(self.get_context_data(grant_form=form))
        messages.success(
            request,
            _("%(user)s is now %(role)s in %(place)s.")
            % {"user": target.display_name, "role": form.grant_role.display_name, "place": place},
        )
        return redirect(self.edit_url())


class MembershipRevokeView(UserScopeMixin, View):
    def post(self, request, pk, membership_pk):
        target = self.get_target()
        membership = get_object_or_404(
            Membership.objects.select_related("role", "store", "group"), pk=membership_pk, user=target
        )
        if not membership_changeable_by(membership, request.user):
            raise PermissionDenied
        if target.pk == request.user.pk and membership.role.permissions.filter(code=MANAGE_USERS).exists():
            messages.error(request, _("You cannot take away your own right to manage users."))
            return redirect(self.edit_url())
        services.membership_revoke(actor=request.user, membership=membership)
        messages.success(
            request,
            _("%(role)s in %(place)s revoked.")
            % {"role": membership.role.display_name, "place": membership.store or membership.group},
        )
        return redirect(self.edit_url())


class UserPasswordView(UserScopeMixin, FormView):
    template_name = "accounts/manage/user_password.html"
    form_class = UserPasswordForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.require_editable()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(target=self.get_target(), **kwargs)

    def form_valid(self, form):
        services.user_set_password(
            actor=self.request.user,
            user=self.get_target(),
            password=form.cleaned_data["password1"],
            store=self.request.store,
        )
        messages.success(self.request, _("Password changed. Tell the user their new password in person."))
        return redirect(self.edit_url())


class UserSetActiveView(UserScopeMixin, View):
    def post(self, request, pk):
        target = self.require_editable()
        active = request.POST.get("active") == "1"
        try:
            services.user_set_active(actor=request.user, user=target, is_active=active, store=request.store)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if active:
                messages.success(request, _("%(user)s can sign in again.") % {"user": target.display_name})
            else:
                messages.success(request, _("%(user)s can no longer sign in.") % {"user": target.display_name})
        return redirect(self.edit_url())


# --- teams --------------------------------------------------------------------------------


class TeamListView(StorePermissionRequiredMixin, ListView):
    permission_required = MANAGE_TEAMS
    template_name = "accounts/manage/team_list.html"
    context_object_name = "teams"

    def get_queryset(self):
        return Team.objects.filter(store=self.request.store).select_related("supervisor").prefetch_related("members")


class TeamCreateView(StorePermissionRequiredMixin, FormView):
    permission_required = MANAGE_TEAMS
    template_name = "accounts/manage/team_form.html"
    form_class = TeamForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "store": self.request.store}

    def form_valid(self, form):
        try:
            team = services.team_create(actor=self.request.user, store=self.request.store, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Team %(team)s created.") % {"team": team.name})
        return redirect("accounts:team_list")


class TeamUpdateView(StorePermissionRequiredMixin, FormView):
    permission_required = MANAGE_TEAMS
    template_name = "accounts/manage/team_form.html"
    form_class = TeamForm

    def get_team(self) -> Team:
        if not hasattr(self, "_team"):
            self._team = get_object_or_404(Team, pk=self.kwargs["pk"], store=self.request.store)
        return self._team

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "store": self.request.store, "team": self.get_team()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(team=self.get_team(), **kwargs)

    def form_valid(self, form):
        try:
            services.team_update(actor=self.request.user, team=self.get_team(), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Team saved."))
        return redirect("accounts:team_list")


# --- roles --------------------------------------------------------------------------------


class RoleListView(StorePermissionRequiredMixin, ListView):
    """The roles of the current store: its own versions and the shipped defaults it uses as they are."""

    permission_required = MANAGE_ROLES
    template_name = "accounts/manage/role_list.html"
    context_object_name = "roles"

    def get_queryset(self):
        store = self.request.store
        roles = (
            Role.objects.available_in(store)
            .prefetch_related("permissions")
            .annotate(member_count=Count("memberships", filter=Q(memberships__store=store), distinct=True))
        )
        order = {code: index for index, code in enumerate(RoleCode.values)}
        return sorted(roles, key=lambda r: (order.get(r.code, len(order)), r.code))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["landing_labels"] = dict(landing_choices())
        return ctx


class RoleScopeMixin(StorePermissionRequiredMixin):
    permission_required = MANAGE_ROLES

    def get_role(self) -> Role:
        if not hasattr(self, "_role"):
            self._role = get_object_or_404(
                Role.objects.filter(Q(store=None) | Q(store=self.request.store)), pk=self.kwargs["pk"]
            )
        return self._role


class RoleEditView(RoleScopeMixin, FormView):
    """Edit a role for the current store; editing a shipped default creates the store's own version."""

    template_name = "accounts/manage/role_form.html"
    form_class = RoleForm

    def get(self, request, *args, **kwargs):
        override = self._override()
        if override is not None:
            return redirect("accounts:role_edit", override.pk)
        return super().get(request, *args, **kwargs)

    def _override(self) -> Role | None:
        role = self.get_role()
        if role.store_id is None:
            return Role.objects.filter(store=self.request.store, code=role.code).first()
        return None

    def get_form_kwargs(self):
        role = self._override() or self.get_role()
        return {**super().get_form_kwargs(), "role": role, "landing_choices": landing_choices()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(role=self._override() or self.get_role(), **kwargs)

    def form_valid(self, form):
        try:
            role = services.role_customize(
                actor=self.request.user,
                store=self.request.store,
                role=self._override() or self.get_role(),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Role %(role)s saved for %(store)s.") % {"role": role.display_name, "store": self.request.store},
        )
        return redirect("accounts:role_list")


class RoleResetView(RoleScopeMixin, View):
    """Drop the store's own version of a role; its members get the shipped default back."""

    def post(self, request, pk):
        role = self.get_role()
        if role.store_id is None:
            return redirect("accounts:role_list")
        try:
            default = services.role_reset(actor=request.user, role=role)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("accounts:role_edit", role.pk)
        messages.success(request, _("Role %(role)s is back to the standard.") % {"role": default.display_name})
        return redirect("accounts:role_list")


# --- audit log ----------------------------------------------------------------------------


class AuditListView(StorePermissionRequiredMixin, ListView):
    permission_required = VIEW_AUDIT_LOG
    template_name = "accounts/manage/audit_list.html"
    context_object_name = "entries"
    paginate_by = 50

    def get_queryset(self):
        queryset = AuditLog.objects.visible_to(self.request.user, VIEW_AUDIT_LOG).select_related("actor", "store")
        self.filterset = AuditLogFilterSet(self.request.GET or None, queryset=queryset, request=self.request)
        bootstrap(self.filterset.form)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter"] = self.filterset
        return ctx


def _readable(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_readable(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_readable(v)}" for k, v in value.items())
    return str(value)


def change_rows(changes) -> list[dict]:
    """The changes JSON as table rows: field, before, after (``[old, new]`` pairs) or value."""
    if not isinstance(changes, dict):
        return [{"field": "", "old": None, "new": _readable(changes), "is_diff": False}]
    rows = []
    for field, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            rows.append({"field": field, "old": _readable(value[0]), "new": _readable(value[1]), "is_diff": True})
        else:
            rows.append({"field": field, "old": None, "new": _readable(value), "is_diff": False})
    return rows


class AuditDetailView(StorePermissionRequiredMixin, DetailView):
    permission_required = VIEW_AUDIT_LOG
    template_name = "accounts/manage/audit_detail.html"
    context_object_name = "entry"

    def get_queryset(self):
        return AuditLog.objects.visible_to(self.request.user, VIEW_AUDIT_LOG).select_related("actor", "store")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["change_rows"] = change_rows(self.object.changes)
        ctx["has_diff"] = any(row["is_diff"] for row in ctx["change_rows"])
        return ctx


# --- system status ------------------------------------------------------------------------


def broker_kind(url: str) -> str:
    """The broker's transport (``redis``, ``filesystem`` …) — never its host, user or password."""
    scheme = urlsplit(url or "").scheme
    return scheme or "—"


class SystemStatusView(StorePermissionRequiredMixin, TemplateView):
    permission_required = MANAGE_STORES
    template_name = "accounts/manage/system_status.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        beat = SchedulerHeartbeat.objects.filter(name="beat").first()
        now = timezone.now()
        ctx["heartbeat"] = beat
        ctx["heartbeat_age"] = (now - beat.last_run_at) if beat else None
        ctx["scheduler_running"] = bool(beat and now - beat.last_run_at <= HEARTBEAT_STALE_AFTER)
        stores = managed_stores(self.request.user, MANAGE_STORES)
        people = users_visible_to(self.request.user) if MANAGE_USERS in self.request.perms else None
        ctx["store_count"] = stores.count()
        ctx["active_store_count"] = stores.filter(is_active=True).count()
        ctx["user_count"] = people.count() if people is not None else None
        ctx["active_user_count"] = people.filter(is_active=True).count() if people is not None else None
        ctx["database_engine"] = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        ctx["database_vendor"] = connection.vendor
        ctx["broker"] = broker_kind(settings.CELERY_BROKER_URL)
        ctx["tasks_eager"] = getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)
        return ctx
