"""The desk's pages: the board, registering visits, the visit register, the rotation, the info
clerk's figures, test drives and demo cars. Orders are in ``order_views``.

Every page sits behind ``ShowroomPageMixin`` (one permission in the current store). Objects are
looked up in ``request.store`` (and, for lists, through the scoping selectors), so another store's
object is a 404. Every write goes through ``showroom.services``; a service's ValidationError is shown
next to its field, never as an error page.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from accounts.mixins import StorePermissionRequiredMixin
from leads.exporters import xlsx_download
from leads.models import Grade, Lead
from leads.phones import normalize_phone
from leads.selectors import can_work_lead, url_for_pk

from . import selectors, services
from .exporters import VisitListExporter
from .filters import VisitFilterSet, style_form
from .forms import (
    ClerkFiguresForm,
    DemoVehicleForm,
    ShowroomSettingsForm,
    TestDriveForm,
    VisitCorrectForm,
    VisitReassignForm,
    VisitRegisterForm,
    consultants_of,
)
from .models import DemoVehicle, RotationEntry, ShowroomSettings, TestDrive, Visit
from .templatetags.showroom_tags import minutes

VISIT_PAGE_SIZE = 50
DEFAULT_LIST_DAYS = 7


def add_service_errors(form, exc: ValidationError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: next to its field when the form has one."""
    field_map = field_map or {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field_map.get(field, field)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def safe_next(request, default: str) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return default


class ShowroomPageMixin(StorePermissionRequiredMixin):
    """The permission gate; ``permission_any``: the page also opens with any one of these."""

    permission_any: tuple[str, ...] = ()

    def has_permission(self) -> bool:
        if self.request.store is None:
            return False
        perms = self.request.perms
        if self.permission_required is not None and self.permission_required in perms:
            return True
        return bool(self.permission_any) and bool(perms & set(self.permission_any))

    def store_visits(self):
        return Visit.objects.filter(store=self.request.store)


# --- The board -------------------------------------------------------------------------------------


def board_context(request) -> dict:
    """The board in a fixed number of queries, whatever the traffic: figures (4), parties (1),
    grades (1), the rotation (1). Each party's row is worked out here once (links, stay, its
    colour), so the template only places values."""
    store, user = request.store, request.user
    now = timezone.now()
    today = timezone.localdate()
    figures = selectors.day_figures(store, today)
    parties = selectors.board_parties(store, user=user, now=now)
    can_depart = "showroom.register_visit" in request.perms
    depart_url = url_for_pk("showroom:visit_depart")
    test_drive_url = reverse("showroom:test_drive_create") if "showroom.test_drive" in request.perms else ""
    order_url = reverse("showroom:order_create") if "showroom.sell" in request.perms else ""
    for party in parties:
        elapsed = party["elapsed"]
        party["elapsed_text"] = minutes(elapsed)
        party["elapsed_class"] = (
            "text-danger fw-semibold" if elapsed >= 90 else "text-warning-emphasis" if elapsed >= 45 else ""
        )
        party["depart_url"] = depart_url(party["id"]) if can_depart else ""
        own = party["lead_id"] is not None and party["consultant_id"] == user.pk
        party["test_drive_url"] = f"{test_drive_url}?lead={party['lead_id']}" if own and test_drive_url else ""
        party["order_url"] = f"{order_url}?lead={party['lead_id']}" if own and order_url else ""
    counts = selectors.grade_counts_today(store)
    queue = selectors.rotation_queue(store)
    return {
        "today": today,
        "now": now,
        "figures": figures,
        "parties": parties,
        "grade_counts": [(grade, counts.get(grade.value, 0)) for grade in Grade],
        "queue": queue,
        "can_depart": "showroom.register_visit" in request.perms,
        "can_register": "showroom.register_visit" in request.perms,
        "can_sell": "showroom.sell" in request.perms,
        "can_test_drive": "showroom.test_drive" in request.perms,
        "refresh_seconds": 45,
    }


class BoardView(ShowroomPageMixin, TemplateView):
    """展厅看板: who is in the showroom now, today's figures, the rotation; refreshes itself."""

    model = Visit
    permission_required = "showroom.view_board"
    template_name = "showroom/board.html"

    def get(self, request, *args, **kwargs):
        if request.htmx and not request.htmx.boosted:
            return board_partial(request)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **board_context(self.request)}


def board_partial(request, **extra) -> HttpResponse:
    """The board alone, for the htmx refresh every 45 s: rendered without the page's context
    processors (menu, stores, notifications), which the partial does not show."""
    context = {**board_context(request), "request": request, **extra}
    return HttpResponse(render_to_string("showroom/_board.html", context))


class VisitDepartView(ShowroomPageMixin, View):
    """One click on the board: the party left now."""

    model = Visit
    permission_required = "showroom.register_visit"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        visit = get_object_or_404(self.store_visits(), pk=kwargs["pk"])
        error = ""
        try:
            services.visit_depart(actor=request.user, visit=visit)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        if request.htmx:
            return board_partial(request, board_error=error)
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Departure of %(name)s recorded.") % {"name": visit.visitor_name or "—"})
        return redirect(safe_next(request, reverse("showroom:board")))


# --- Registering a visit ---------------------------------------------------------------------------


class VisitRegisterView(ShowroomPageMixin, TemplateView):
    """新建展厅流量记录: phone first; the customer is found as it is typed."""

    model = Visit
    permission_required = "showroom.register_visit"
    template_name = "showroom/visit_register.html"

    def context(self, form, **extra) -> dict:
        queue = selectors.rotation_queue(self.request.store)
        phone = form.cleaned_data.get("phone") if form.is_bound and hasattr(form, "cleaned_data") else ""
        return {
            "form": form,
            "queue": queue,
            "next_up": queue[0].consultant if queue else None,
            "lookup": selectors.visitor_lookup(self.request.store, phone) if phone else None,
            **extra,
        }

    def build_form(self, data=None) -> VisitRegisterForm:
        form = VisitRegisterForm(data, store=self.request.store)
        form.fields["phone"].widget.attrs.update(
            {
                "hx-get": reverse("showroom:visitor_lookup"),
                "hx-trigger": "input changed delay:300ms, blur",
                "hx-target": "#visitor-lookup",
                "hx-sync": "this:replace",
            }
        )
        return form

    def get(self, request, *args, **kwargs):
        return render(request, self.template_name, self.context(self.build_form()))

    def post(self, request, *args, **kwargs):
        form = self.build_form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                visit = services.visit_register(
                    actor=request.user,
                    store=request.store,
                    phone=data["phone"],
                    visitor_name=data["visitor_name"],
                    arrived_at=data["arrived_at"],
                    party_size=data["party_size"],
                    consultant=data["consultant"],
                    source=data["source"],
                    series=data["series"],
                    test_drive=data["test_drive"],
                    note=data["note"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, registered_message(visit))
                if "to_board" in request.POST:
                    return redirect("showroom:board")
                return redirect("showroom:visit_register")
        return render(request, self.template_name, self.context(form), status=200)


def registered_message(visit: Visit) -> str:
    names = {
        "name": visit.visitor_name or _("The visitor"),
        "consultant": visit.consultant.display_name if visit.consultant else _("nobody (no consultant available)"),
    }
    if visit.is_first_visit:
        text = _("%(name)s registered (first visit), received by %(consultant)s.") % names
    else:
        text = _("%(name)s registered (return visit), received by %(consultant)s.") % names
    if not visit.filed:
        text += " " + _("No phone number: not filed.")
    return text


class VisitorLookupView(ShowroomPageMixin, View):
    """The htmx look-up under the phone field: valid? known? whose? first or return visit?"""

    model = Visit
    permission_required = "showroom.register_visit"

    def get(self, request, *args, **kwargs):
        raw = request.GET.get("phone", "").strip()
        context: dict = {"raw": raw}
        if raw:
            try:
                phone = normalize_phone(raw)
            except ValidationError as exc:
                context["error"] = " ".join(exc.messages)
                return render(request, "showroom/_visitor_lookup.html", context)
        else:
            phone = ""
        lookup = selectors.visitor_lookup(request.store, phone)
        context["lookup"] = lookup
        return render(request, "showroom/_visitor_lookup.html", context)


# --- The visit register ----------------------------------------------------------------------------


def visit_query(request):
    """The list's filters; without any, the last seven days."""
    query = request.GET.copy()
    query.pop("page", None)
    if not any(value for key, values in query.lists() for value in values):
        today = timezone.localdate()
        query["date_from"] = (today - dt.timedelta(days=DEFAULT_LIST_DAYS - 1)).isoformat()
        query["date_to"] = today.isoformat()
    return query


class VisitListMixin(ShowroomPageMixin):
    model = Visit
    permission_required = "showroom.view_visits"

    def filterset(self, query) -> VisitFilterSet:
        visits = selectors.visits_visible_to(self.request.user, self.request.store)
        return VisitFilterSet(query, queryset=visits, store=self.request.store)


class VisitListView(VisitListMixin, ListView):
    """到店客户登记: the visit register with filters, corrections, reassignment and Excel export."""

    template_name = "showroom/visit_list.html"
    context_object_name = "visits"
    paginate_by = VISIT_PAGE_SIZE

    def get_queryset(self):
        self.query = visit_query(self.request)
        self.filter = self.filterset(self.query)
        style_form(self.filter.form)
        return self.filter.qs.select_related(
            "consultant", "source__parent", "series__brand", "lead", "customer", "registered_by"
        ).order_by("-arrived_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, perms = self.request.user, self.request.perms
        for visit in context["visits"]:
            visit.phone_display = selectors.visitor_phone(user, visit)
            visit.flagged = bool(visit.follow_up_flagged_at and visit.follow_up_flagged_at != visit.arrived_at)
        context.update(
            filter=self.filter,
            query=self.query.urlencode(),
            can_export=VisitListExporter.is_allowed(user, perms),
            can_reassign="showroom.reassign_visit" in perms,
            can_correct="showroom.register_visit" in perms,
            can_register="showroom.register_visit" in perms,
            can_open_customers=bool(perms & {"leads.view_all", "leads.view_team", "leads.own"}),
        )
        return context


def filters_for_audit(query) -> dict:
    return {key: values[0] if len(values) == 1 else values for key, values in query.lists() if any(values)}


class VisitExportView(VisitListMixin, View):
    """The filtered visit register as .xlsx: the per-user export grant plus the list's permission; audited."""

    http_method_names = ["post"]
    exporter_class = VisitListExporter

    def has_permission(self) -> bool:
        return super().has_permission() and self.exporter_class.is_allowed(self.request.user, self.request.perms)

    def post(self, request, *args, **kwargs):
        query = visit_query(request)
        exporter = self.exporter_class(user=request.user, queryset=self.filterset(query).qs)
        return xlsx_download(
            exporter, action="showroom.export", store=request.store, changes={"filters": filters_for_audit(query)}
        )


class VisitCorrectView(ShowroomPageMixin, TemplateView):
    """Correct a registration (visit_correct): counted against the clerk's accuracy."""

    model = Visit
    permission_required = "showroom.register_visit"
    template_name = "showroom/visit_correct.html"

    def get_visit(self, pk) -> Visit:
        return get_object_or_404(self.store_visits().select_related("consultant", "customer"), pk=pk)

    def get(self, request, *args, **kwargs):
        visit = self.get_visit(kwargs["pk"])
        return render(
            request,
            self.template_name,
            {"visit": visit, "form": VisitCorrectForm(instance=visit), "next_url": safe_next(request, "")},
        )

    def post(self, request, *args, **kwargs):
        visit = self.get_visit(kwargs["pk"])
        form = VisitCorrectForm(request.POST, instance=Visit.objects.get(pk=visit.pk))
        if form.is_valid():
            changes = form.changed_values()
            try:
                services.visit_correct(actor=request.user, visit=visit, **changes)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if changes:
                    messages.success(request, _("The registration was corrected."))
                return redirect(safe_next(request, reverse("showroom:visit_list")))
        return render(request, self.template_name, {"visit": visit, "form": form, "next_url": safe_next(request, "")})


class VisitReassignView(ShowroomPageMixin, TemplateView):
    """Give a visit to another consultant (the desk and the sales manager)."""

    model = Visit
    permission_required = "showroom.reassign_visit"
    template_name = "showroom/visit_reassign.html"

    def get_visit(self, pk) -> Visit:
        return get_object_or_404(self.store_visits().select_related("consultant", "customer"), pk=pk)

    def get(self, request, *args, **kwargs):
        visit = self.get_visit(kwargs["pk"])
        form = VisitReassignForm(store=request.store, initial={"consultant": visit.consultant_id})
        return render(request, self.template_name, {"visit": visit, "form": form, "next_url": safe_next(request, "")})

    def post(self, request, *args, **kwargs):
        visit = self.get_visit(kwargs["pk"])
        form = VisitReassignForm(request.POST, store=request.store)
        if form.is_valid():
            try:
                services.visit_reassign(
                    actor=request.user,
                    visit=visit,
                    consultant=form.cleaned_data["consultant"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("The visit was given to %(name)s.") % {"name": form.cleaned_data["consultant"].display_name},
                )
                return redirect(safe_next(request, reverse("showroom:visit_list")))
        return render(request, self.template_name, {"visit": visit, "form": form, "next_url": safe_next(request, "")})


# --- Rotation ---------------------------------------------------------------------------------------


def rotation_context(request) -> dict:
    store, user = request.store, request.user
    consultants = list(consultants_of(store))
    rows = selectors.rotation_board(store, consultants)
    mine = next((row for row in rows if row["consultant"].pk == user.pk), None)
    return {
        "rows": rows,
        "mine": mine,
        "queue": [row for row in rows if row["place"] is not None],
        "can_manage": "showroom.manage_rotation" in request.perms,
        "states": RotationEntry.State,
    }


class RotationView(ShowroomPageMixin, TemplateView):
    """接待轮序: who receives the next party; consultants set their own state, a manager reorders."""

    model = RotationEntry
    permission_required = "showroom.view_board"
    template_name = "showroom/rotation.html"

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return ["showroom/_rotation.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **rotation_context(self.request)}


class RotationChangeView(ShowroomPageMixin, View):
    """POST a state (own, or anyone's for a manager) or a move to the front; answers with the
    panel it came from (``panel=widget`` for the small widget) or redirects to the rotation page."""

    model = RotationEntry
    permission_required = "showroom.view_board"
    http_method_names = ["post"]
    action = "state"

    def post(self, request, *args, **kwargs):
        store = request.store
        raw = str(request.POST.get("consultant") or request.user.pk)
        consultant = get_object_or_404(consultants_of(store), pk=int(raw) if raw.isdigit() else 0)
        state = request.POST.get("state", "")
        if self.action == "state" and state not in RotationEntry.State.values:
            return HttpResponse(status=400)
        error = ""
        try:
            if self.action == "front":
                services.rotation_move_to_front(actor=request.user, store=store, consultant=consultant)
            else:
                services.rotation_set_state(actor=request.user, store=store, consultant=consultant, state=state)
        except ValidationError as exc:
            if getattr(exc, "code", None) == "forbidden":
                raise PermissionDenied from exc
            error = " ".join(exc.messages)
        if request.htmx:
            if request.POST.get("panel") == "widget":
                from .templatetags.showroom_tags import rotation_widget_context

                return render(request, "showroom/_rotation_widget.html", rotation_widget_context(request))
            context = rotation_context(request)
            context["rotation_error"] = error
            return render(request, "showroom/_rotation.html", context)
        if error:
            messages.error(request, error)
        return redirect(safe_next(request, reverse("showroom:rotation")))


# --- The info clerk's figures ---------------------------------------------------------------------


class ClerkFiguresView(ShowroomPageMixin, TemplateView):
    """信息员考核: per clerk per day, leads captured, registration accuracy and timeliness."""

    model = Visit
    permission_required = "showroom.view_clerk_figures"
    template_name = "showroom/clerk_figures.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        data = self.request.GET if "date_from" in self.request.GET else None
        form = ClerkFiguresForm(data, initial={"date_from": today.replace(day=1), "date_to": today})
        if data is None:
            first, last = today.replace(day=1), today
        elif form.is_valid():
            first, last = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        else:
            first = last = None
        rows = selectors.clerk_figures(self.request.store, first, last) if first else []
        totals: dict[int, dict] = defaultdict(
            lambda: {"clerk": "", "registrations": 0, "leads_captured": 0, "accurate": 0, "timely": 0}
        )
        for row in rows:
            total = totals[row.clerk_id]
            total["clerk"] = row.clerk
            for key in ("registrations", "leads_captured", "accurate", "timely"):
                total[key] += getattr(row, key)
        for total in totals.values():
            total["accuracy"] = selectors.ratio(total["accurate"], total["registrations"])
            total["timeliness"] = selectors.ratio(total["timely"], total["registrations"])
        context.update(
            form=form,
            rows=rows,
            totals=sorted(totals.values(), key=lambda t: t["clerk"]),
            settings=selectors.showroom_settings(self.request.store),
            can_capture="leads.capture" in self.request.perms,
        )
        return context


# --- Test drives -----------------------------------------------------------------------------------


class TestDriveCreateView(ShowroomPageMixin, TemplateView):
    """试驾 for a lead: the car, the route, the checks, times and feedback (also a follow-up)."""

    model = TestDrive
    permission_required = "showroom.test_drive"
    template_name = "showroom/test_drive_form.html"

    def get_lead(self) -> Lead:
        lead_id = self.request.GET.get("lead") or self.request.POST.get("lead") or ""
        if not str(lead_id).isdigit():
            raise PermissionDenied
        visible = Lead.objects.visible_to(self.request.user).filter(store=self.request.store)
        lead = get_object_or_404(visible.select_related("customer", "owner"), pk=int(lead_id))
        if not can_work_lead(self.request.user, lead):
            raise PermissionDenied
        return lead

    def context(self, lead, form) -> dict:
        return {
            "lead": lead,
            "form": form,
            "has_cars": DemoVehicle.objects.filter(store=self.request.store, is_active=True).exists(),
            "can_manage_cars": "showroom.manage_demo_cars" in self.request.perms,
        }

    def get(self, request, *args, **kwargs):
        lead = self.get_lead()
        return render(request, self.template_name, self.context(lead, TestDriveForm(store=request.store)))

    def post(self, request, *args, **kwargs):
        lead = self.get_lead()
        form = TestDriveForm(request.POST, store=request.store)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.test_drive_record(
                    actor=request.user,
                    lead=lead,
                    vehicle=data["vehicle"],
                    route=data["route"],
                    licence_checked=data["licence_checked"],
                    vehicle_checked=data["vehicle_checked"],
                    started_at=data["started_at"],
                    ended_at=data["ended_at"],
                    feedback=data["feedback"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Test drive recorded."))
                return redirect(safe_next(request, reverse("leads:customer_detail", args=[lead.customer_id])))
        return render(request, self.template_name, self.context(lead, form))


# --- Demo cars and settings ------------------------------------------------------------------------


class DemoVehicleListView(ShowroomPageMixin, ListView):
    """The store's demo cars (试驾车), and the desk's settings."""

    model = DemoVehicle
    permission_required = "showroom.manage_demo_cars"
    template_name = "showroom/demo_vehicle_list.html"
    context_object_name = "vehicles"

    def get_queryset(self):
        return (
            DemoVehicle.objects.filter(store=self.request.store)
            .select_related("trim__model__series__brand")
            .order_by("-is_active", "plate")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["settings_form"] = kwargs.get("settings_form") or ShowroomSettingsForm(
            instance=selectors.showroom_settings(self.request.store)
        )
        return context


class ShowroomSettingsView(DemoVehicleListView):
    model = ShowroomSettings
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = ShowroomSettingsForm(
            request.POST, instance=ShowroomSettings.objects.get(pk=selectors.showroom_settings(request.store).pk)
        )
        if form.is_valid():
            services.showroom_settings_update(actor=request.user, store=request.store, **form.cleaned_data)
            messages.success(request, _("Showroom settings saved."))
            return redirect("showroom:demo_vehicle_list")
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(settings_form=form))


class DemoVehicleFormView(ShowroomPageMixin, TemplateView):
    model = DemoVehicle
    permission_required = "showroom.manage_demo_cars"
    template_name = "showroom/demo_vehicle_form.html"

    def get_vehicle(self) -> DemoVehicle | None:
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(DemoVehicle.objects.filter(store=self.request.store), pk=self.kwargs["pk"])

    def context(self, vehicle, form) -> dict:
        from .order_views import picker_context

        trim_id = form["trim"].value()
        return {"vehicle": vehicle, "form": form, "picker": picker_context(trim_id=trim_id, field_name="trim")}

    def get(self, request, *args, **kwargs):
        vehicle = self.get_vehicle()
        return render(request, self.template_name, self.context(vehicle, DemoVehicleForm(instance=vehicle)))

    def post(self, request, *args, **kwargs):
        vehicle = self.get_vehicle()
        form = DemoVehicleForm(request.POST, instance=DemoVehicle.objects.get(pk=vehicle.pk) if vehicle else None)
        if form.is_valid():
            try:
                services.demo_vehicle_save(
                    actor=request.user,
                    store=request.store,
                    vehicle=vehicle,
                    **{name: form.cleaned_data[name] for name in ("trim", "plate", "vin", "is_active")},
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Demo car saved."))
                return redirect("showroom:demo_vehicle_list")
        return render(request, self.template_name, self.context(vehicle, form))
