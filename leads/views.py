"""The consultant's pages: new customer, my leads, the customer page and its actions, my tasks.

Every page sits behind ``StorePermissionRequiredMixin`` with its permission in the current store.
Objects are looked up among what the user may see there (``customers_visible_to``,
``Lead.objects.visible_to`` narrowed to ``request.store``), so another consultant's customer and
another store's customer are a 404. Every write goes through ``leads.services``; a service's
ValidationError is shown next to its field, never as an error page.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView, TemplateView

from accounts.mixins import StorePermissionRequiredMixin
from catalog.models import Series

from . import services
from .filters import LeadFilterSet, TaskFilterSet
from .forms import (
    AppointmentCancelForm,
    CustomerForm,
    FollowUpForm,
    InviteForm,
    LeadForm,
    LostRequestForm,
    style_fields,
)
from .models import (
    OPEN_STATUSES,
    WORKING_GRADES,
    WORKING_STATUSES,
    Appointment,
    Customer,
    FollowUp,
    Grade,
    Lead,
    LostReason,
    LostRequest,
    Task,
)
from .phones import normalize_phone
from .selectors import (
    ACTIVE_SERIES_CHOICES_KEY,
    LEAD_ROW_FIELDS,
    SOURCE_CHOICES_KEY,
    calendar_tasks,
    can_see_full_phone,
    can_work_lead,
    customer_timeline,
    customers_visible_to,
    display_phone,
    lead_actions,
    lead_rows,
    lead_settings,
    provided_tasks,
    task_counts,
    tasks_for,
    unread_comments_for,
)
from .templatetags.leads_tags import GRADE_CLASSES, STATUS_CLASSES
from .widgets import cached_model_choices, fast_choice_widgets

TIMELINE_LIMIT = 200


def add_service_errors(form, exc: ValidationError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: next to its field when the form has one."""
    field_map = field_map or {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field_map.get(field, field)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def customer_url(customer_id: int, anchor: str = "") -> str:
    url = reverse("leads:customer_detail", args=[customer_id])
    return f"{url}#{anchor}" if anchor else url


class LeadsPageMixin(StorePermissionRequiredMixin):
    """The permission gate plus the lookups every page of this module uses.

    ``permission_any``: the page opens with any one of these permissions (on top of
    ``permission_required``, when that is set).
    """

    permission_any: tuple[str, ...] = ()

    def has_permission(self) -> bool:
        if not super().has_permission():
            return False
        return not self.permission_any or bool(self.request.perms & set(self.permission_any))

    def visible_leads(self):
        return Lead.objects.visible_to(self.request.user).filter(store=self.request.store)

    def get_visible_customer(self, pk) -> Customer:
        return get_object_or_404(customers_visible_to(self.request.user, self.request.store), pk=pk)

    def get_visible_lead(self, pk) -> Lead:
        return get_object_or_404(
            self.visible_leads().select_related("customer", "owner", "source__parent", "series__brand", "store"), pk=pk
        )

    def get_workable_lead(self, pk) -> Lead:
        lead = self.get_visible_lead(pk)
        if not can_work_lead(self.request.user, lead):
            raise PermissionDenied
        return lead

    def owner_is_chosen(self) -> bool:
        """The desk (no ``leads.own``) and managers pick the owner; a consultant owns what they create."""
        perms = self.request.perms
        return "leads.own" not in perms or "leads.reassign" in perms

    def default_owner(self):
        return self.request.user if "leads.own" in self.request.perms else None


# --- Duplicates --------------------------------------------------------------------------------


@dataclass
class DuplicateInfo:
    """What the desk may learn about an existing customer with the typed number."""

    customer: Customer
    open_lead: Lead | None
    owner: object
    can_open: bool
    can_new_lead: bool
    message: str


def describe_duplicate(request, customer: Customer) -> DuplicateInfo:
    """The owner is always told (so the desk can call them); the customer page is linked only for
    people who may open it."""
    user, store = request.user, request.store
    open_lead = customer.leads.open().select_related("owner").first()
    owner = open_lead.owner if open_lead else None
    can_open = customers_visible_to(user, store).filter(pk=customer.pk).exists()
    can_new_lead = open_lead is None and "leads.capture" in request.perms
    names = {"name": customer.name, "owner": owner.display_name if owner else ""}
    if open_lead is not None and owner is not None and owner.pk == user.pk:
        message = _("This phone number belongs to your customer %(name)s.") % names
    elif open_lead is not None and owner is not None:
        message = _("This phone number is already registered: %(name)s, whose open lead is owned by %(owner)s.") % names
    elif open_lead is not None:
        message = (
            _(
                "This phone number is already registered: %(name)s, whose open lead has no owner yet (shared pool or DCC)."
            )
            % names
        )
    else:
        message = _("This phone number belongs to %(name)s, who has no open lead: start a new enquiry instead.") % names
    return DuplicateInfo(customer, open_lead, owner, can_open, can_new_lead, message)


# --- New customer ------------------------------------------------------------------------------


class CustomerCreateView(LeadsPageMixin, TemplateView):
    """新建客户: phone first; an existing number stops here and says whose customer it is."""

    permission_required = "leads.capture"
    template_name = "leads/customer_form.html"

    def build_forms(self, data=None):
        initial = None if data is not None else {"phone": self.request.GET.get("phone", "")}
        customer_form = CustomerForm(data, initial=initial, phone_required=True)
        customer_form.fields["phone"].widget.attrs.update(
            {
                "hx-get": reverse("leads:phone_check"),
                "hx-trigger": "input changed delay:500ms, blur",
                "hx-target": "#phone-check",
                "hx-sync": "this:replace",
            }
        )
        owner = self.default_owner()
        lead_form = LeadForm(
            data,
            store=self.request.store,
            with_owner=self.owner_is_chosen(),
            with_grade=True,
            initial={"owner": owner.pk} if owner else None,
        )
        return customer_form, lead_form

    def get(self, request, *args, **kwargs):
        customer_form, lead_form = self.build_forms()
        return self.render_to_response(self.get_context_data(customer_form=customer_form, lead_form=lead_form))

    def post(self, request, *args, **kwargs):
        customer_form, lead_form = self.build_forms(request.POST)
        duplicate = None
        customer_ok = customer_form.is_valid()
        lead_ok = lead_form.is_valid()
        phone = customer_form.cleaned_data.get("phone")
        existing = services.customer_find_by_phone(request.store, phone) if phone else None
        if existing is not None:
            duplicate = describe_duplicate(request, existing)
            customer_form.add_error("phone", duplicate.message)
        elif customer_ok and lead_ok:
            owner = lead_form.cleaned_data.get("owner") or self.default_owner()
            try:
                customer, lead = services.customer_with_lead_create(
                    actor=request.user,
                    store=request.store,
                    customer_data=dict(customer_form.cleaned_data),
                    lead_data=lead_form.lead_data(),
                    owner=owner,
                )
            except services.DuplicateCustomer as exc:
                duplicate = describe_duplicate(request, exc.customer)
                customer_form.add_error("phone", duplicate.message)
            except ValidationError as exc:
                add_service_errors(customer_form, exc)
            else:
                return self.created(customer, lead)
        return self.render_to_response(
            self.get_context_data(customer_form=customer_form, lead_form=lead_form, duplicate=duplicate)
        )

    def created(self, customer: Customer, lead: Lead):
        owner_name = lead.owner.display_name if lead.owner else _("nobody yet")
        if self.visible_leads().filter(pk=lead.pk).exists():
            messages.success(self.request, _("Customer %(name)s created.") % {"name": customer.name})
            return redirect(customer_url(customer.pk))
        messages.success(
            self.request,
            _("Customer %(name)s created and given to %(owner)s.") % {"name": customer.name, "owner": owner_name},
        )
        return redirect("leads:customer_create")


class PhoneCheckView(LeadsPageMixin, View):
    """The htmx look-up under the phone field: valid? already a customer? whose?"""

    permission_required = "leads.capture"

    def get(self, request, *args, **kwargs):
        raw = request.GET.get("phone", "").strip()
        context = {"raw": raw}
        if raw:
            try:
                context["normalized"] = normalize_phone(raw)
            except ValidationError as exc:
                context["error"] = " ".join(exc.messages)
            else:
                existing = services.customer_find_by_phone(request.store, raw)
                if existing is not None:
                    context["duplicate"] = describe_duplicate(request, existing)
        return render(request, "leads/_phone_check.html", context)


# --- The customer page -------------------------------------------------------------------------


def customer_page_context(request, customer: Customer, **forms) -> dict:
    """Everything the customer page shows; ``forms`` replaces a blank form by a bound one."""
    user, perms = request.user, request.perms
    leads = list(
        customer.leads.select_related("owner", "source__parent", "series__brand").order_by("-created_at", "-id")
    )
    visible_ids = set(Lead.objects.visible_to(user).filter(customer=customer).values_list("pk", flat=True))
    open_lead = next((lead for lead in leads if lead.status in OPEN_STATUSES), None)
    lead_visible = open_lead is not None and open_lead.pk in visible_ids
    can_work = bool(lead_visible and "leads.work" in perms and can_work_lead(user, open_lead))
    working = can_work and open_lead.status in WORKING_STATUSES
    full_phone = can_see_full_phone(user, customer)
    ctx = {
        "customer": customer,
        "phone": display_phone(user, customer),
        "phone2": display_phone(user, customer, customer.phone2) if customer.phone2 else "",
        "full_phone": full_phone,
        "leads": [lead for lead in leads if lead.pk in visible_ids or "leads.view_all" in perms],
        "open_lead": open_lead,
        "lead_visible": lead_visible,
        "can_work": can_work,
        "working": working,
        "can_edit_customer": "leads.work" in perms
        and Lead.objects.visible_to(user, "leads.work").filter(customer=customer).exists(),
        "can_new_lead": open_lead is None and "leads.capture" in perms,
        "timeline": customer_timeline(customer)[:TIMELINE_LIMIT],
        "multiple_leads": len(leads) > 1,
        "open_panel": forms.pop("open_panel", ""),
        "now": timezone.now(),
        "lead_actions": lead_actions(request, open_lead) if working else [],
    }
    if open_lead is not None and lead_visible:
        ctx["appointments"] = list(
            open_lead.appointments.filter(status=Appointment.Status.SCHEDULED).select_related("receiver")
        )
        ctx["pending_request"] = (
            open_lead.lost_requests.filter(status=LostRequest.Status.PENDING).select_related("reason").first()
        )
    if working:
        ctx["followup_form"] = forms.get("followup_form") or FollowUpForm(lead=open_lead, user=user)
        ctx["invite_form"] = forms.get("invite_form") or InviteForm(lead=open_lead, user=user)
        ctx["lost_form"] = forms.get("lost_form") or LostRequestForm(kind=LostReason.Kind.LOST)
        ctx["invalid_form"] = forms.get("invalid_form") or LostRequestForm(kind=LostReason.Kind.INVALID)
        ctx["cancel_form"] = AppointmentCancelForm()
        style_fields(ctx["cancel_form"])
        settings = lead_settings(request.store)
        ctx["cadence_days"] = {g.value: settings.cadence_days(g) for g in WORKING_GRADES}
        ctx["today_iso"] = timezone.localdate().isoformat()
        ctx["needs_competitor"] = ctx["lost_form"].needs_competitor_ids()
        ctx["invited_result"] = FollowUp.Result.INVITED
    return ctx


class CustomerDetailView(LeadsPageMixin, TemplateView):
    """One customer: profile, the open lead with its actions, and one timeline of everything."""

    model = Customer
    permission_any = ("leads.own", "leads.work", "leads.view_team", "leads.view_all")
    template_name = "leads/customer_detail.html"

    def get(self, request, *args, **kwargs):
        customer = self.get_visible_customer(kwargs["pk"])
        if customer.merged_into_id:
            messages.info(request, _("This customer was merged into another one."))
            return redirect(customer_url(customer.merged_into_id))
        return render(request, self.template_name, customer_page_context(request, customer))


class LeadActionView(LeadsPageMixin, View):
    """A form on the customer page posting to its own URL. Invalid → the page again, with the
    form's errors and what was typed; valid → the service, then back to the page."""

    model = Lead
    permission_required = "leads.work"
    form_name = ""
    anchor = ""
    field_map: dict[str, str] = {}

    def get(self, request, *args, **kwargs):
        lead = self.get_visible_lead(kwargs["pk"])
        return redirect(customer_url(lead.customer_id, self.anchor))

    def post(self, request, *args, **kwargs):
        lead = self.get_workable_lead(kwargs["pk"])
        form = self.build_form(lead, request.POST)
        if form.is_valid():
            try:
                message = self.perform(lead, form)
            except ValidationError as exc:
                if getattr(exc, "code", None) == "forbidden":
                    raise PermissionDenied from exc
                add_service_errors(form, exc, self.field_map)
            else:
                messages.success(request, message)
                return redirect(customer_url(lead.customer_id))
        ctx = customer_page_context(request, lead.customer, **{self.form_name: form, "open_panel": self.anchor})
        if not ctx["working"]:
            # The lead changed meanwhile (say a lost request is pending): the form is not on the
            # page any more, so its errors go to the top of it.
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
            return redirect(customer_url(lead.customer_id))
        return render(request, "leads/customer_detail.html", ctx)

    def build_form(self, lead, data):
        raise NotImplementedError

    def perform(self, lead, form) -> str:
        raise NotImplementedError


class FollowUpCreateView(LeadActionView):
    """跟进: result, regrade, next contact (a task); with "invitation accepted" also the appointment."""

    form_name = "followup_form"
    anchor = "followup-form"
    field_map = {"scheduled_at": "appointment_date", "next_follow_up_at": "next_contact"}

    def build_form(self, lead, data):
        return FollowUpForm(data, lead=lead, user=self.request.user)

    def perform(self, lead, form) -> str:
        data = form.cleaned_data
        invited = data["result"] == FollowUp.Result.INVITED
        follow_up, appointment = services.followup_log_with_invitation(
            actor=self.request.user,
            lead=lead,
            channel=data["channel"],
            content=data["content"],
            result=data["result"],
            grade=data["grade"],
            next_follow_up_at=form.next_follow_up_at(),
            scheduled_at=data.get("scheduled_at") if invited else None,
            receiver=data.get("receiver") if invited else None,
            purpose=data.get("purpose") or Appointment.Purpose.VIEW,
            note=data.get("note", "") if invited else "",
        )
        message = _("Follow-up saved.")
        if follow_up.next_follow_up_at:
            message += " " + _("Next contact: %(day)s.") % {
                "day": timezone.localtime(follow_up.next_follow_up_at).strftime("%Y-%m-%d")
            }
        if appointment is not None:
            message += " " + _("Appointment booked for %(when)s.") % {
                "when": timezone.localtime(appointment.scheduled_at).strftime("%Y-%m-%d %H:%M")
            }
        return message


class InviteView(LeadActionView):
    """邀约 on its own: the customer accepted to come."""

    form_name = "invite_form"
    anchor = "invite-form"
    field_map = {"scheduled_at": "appointment_date"}

    def build_form(self, lead, data):
        return InviteForm(data, lead=lead, user=self.request.user)

    def perform(self, lead, form) -> str:
        data = form.cleaned_data
        appointment = services.appointment_create(
            actor=self.request.user,
            lead=lead,
            scheduled_at=data["scheduled_at"],
            receiver=data["receiver"],
            purpose=data["purpose"],
            note=data.get("note", ""),
        )
        return _("Appointment booked for %(when)s.") % {
            "when": timezone.localtime(appointment.scheduled_at).strftime("%Y-%m-%d %H:%M")
        }


class LostRequestView(LeadActionView):
    """申请战败 / 无效线索: waits for a manager's decision."""

    kind = LostReason.Kind.LOST

    @property
    def form_name(self):
        return "lost_form" if self.kind == LostReason.Kind.LOST else "invalid_form"

    @property
    def anchor(self):
        return "lost-form" if self.kind == LostReason.Kind.LOST else "invalid-form"

    def build_form(self, lead, data):
        return LostRequestForm(data, kind=self.kind)

    def perform(self, lead, form) -> str:
        data = form.cleaned_data
        services.lost_request_create(
            actor=self.request.user,
            lead=lead,
            kind=self.kind,
            reason=data["reason"],
            competitor_brand=data.get("competitor_brand", ""),
            competitor_model=data.get("competitor_model", ""),
            note=data.get("note", ""),
        )
        return _("Your request was sent to your manager. The lead stays yours until it is decided.")


class AppointmentCancelView(LeadsPageMixin, View):
    model = Appointment
    permission_required = "leads.work"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        appointment = get_object_or_404(
            Appointment.objects.filter(store=request.store, lead__in=self.visible_leads()).select_related("lead"),
            pk=kwargs["pk"],
        )
        if not can_work_lead(request.user, appointment.lead):
            raise PermissionDenied
        form = AppointmentCancelForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        try:
            services.appointment_cancel(actor=request.user, appointment=appointment, reason=reason)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The appointment was cancelled."))
        return redirect(customer_url(appointment.lead.customer_id))


# --- Editing -----------------------------------------------------------------------------------


class CustomerUpdateView(LeadsPageMixin, TemplateView):
    """The customer's profile, edited through ``customer_update``. The number itself only for
    people who see it in full."""

    model = Customer
    permission_required = "leads.work"
    template_name = "leads/customer_edit.html"

    def dispatch_customer(self, pk) -> Customer:
        customer = self.get_visible_customer(pk)
        if not Lead.objects.visible_to(self.request.user, "leads.work").filter(customer=customer).exists():
            raise PermissionDenied
        return customer

    def build_form(self, customer, data=None):
        # The form works on its own copy: the service compares against the stored values.
        return CustomerForm(
            data,
            instance=Customer.objects.get(pk=customer.pk),
            with_phone=can_see_full_phone(self.request.user, customer),
            phone_required=bool(customer.phone),
        )

    def get(self, request, *args, **kwargs):
        customer = self.dispatch_customer(kwargs["pk"])
        return render(request, self.template_name, {"customer": customer, "form": self.build_form(customer)})

    def post(self, request, *args, **kwargs):
        customer = self.dispatch_customer(kwargs["pk"])
        form = self.build_form(customer, request.POST)
        duplicate = None
        if form.is_valid():
            fields = {name: form.cleaned_data[name] for name in form.fields}
            try:
                services.customer_update(actor=request.user, customer=customer, **fields)
            except services.DuplicateCustomer as exc:
                duplicate = describe_duplicate(request, exc.customer)
                form.add_error("phone", duplicate.message)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Profile saved."))
                return redirect(customer_url(customer.pk))
        return render(request, self.template_name, {"customer": customer, "form": form, "duplicate": duplicate})


class LeadUpdateView(LeadsPageMixin, TemplateView):
    """The open lead's purchase details and qualification, through ``lead_update``."""

    model = Lead
    permission_required = "leads.work"
    template_name = "leads/lead_edit.html"

    def get_lead(self, pk) -> Lead:
        lead = self.get_workable_lead(pk)
        if lead.status not in OPEN_STATUSES:
            raise PermissionDenied
        return lead

    def build_form(self, lead, data=None):
        return LeadForm(data, instance=Lead.objects.get(pk=lead.pk), store=self.request.store, customer=lead.customer)

    def get(self, request, *args, **kwargs):
        lead = self.get_lead(kwargs["pk"])
        return render(request, self.template_name, {"lead": lead, "form": self.build_form(lead)})

    def post(self, request, *args, **kwargs):
        lead = self.get_lead(kwargs["pk"])
        form = self.build_form(lead, request.POST)
        if form.is_valid():
            try:
                services.lead_update(actor=request.user, lead=lead, **form.lead_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Lead details saved."))
                return redirect(customer_url(lead.customer_id))
        return render(request, self.template_name, {"lead": lead, "form": form})


class LeadCreateView(LeadsPageMixin, TemplateView):
    """A new enquiry of a customer without an open lead: after lost or invalid a new lead, after a
    delivery a repurchase (``lead_create`` decides)."""

    model = Customer
    permission_required = "leads.capture"
    template_name = "leads/lead_new.html"

    def get_customer(self, pk):
        customer = get_object_or_404(Customer.objects.filter(store=self.request.store, merged_into__isnull=True), pk=pk)
        visible = customers_visible_to(self.request.user, self.request.store).filter(pk=pk).exists()
        if customer.leads.open().exists():
            if not visible:
                raise PermissionDenied
            messages.info(self.request, _("This customer already has an open lead."))
            return customer, visible, redirect(customer_url(customer.pk))
        return customer, visible, None

    def build_form(self, customer, data=None):
        owner = self.default_owner()
        return LeadForm(
            data,
            store=self.request.store,
            customer=customer,
            with_owner=self.owner_is_chosen(),
            with_grade=True,
            initial={"owner": owner.pk} if owner else None,
        )

    def context(self, customer, visible, form):
        return {
            "customer": customer,
            "visible": visible,
            "phone": display_phone(self.request.user, customer),
            "form": form,
            "last_lead": customer.leads.order_by("-created_at", "-id").first(),
        }

    def get(self, request, *args, **kwargs):
        customer, visible, response = self.get_customer(kwargs["pk"])
        if response:
            return response
        return render(request, self.template_name, self.context(customer, visible, self.build_form(customer)))

    def post(self, request, *args, **kwargs):
        customer, visible, response = self.get_customer(kwargs["pk"])
        if response:
            return response
        form = self.build_form(customer, request.POST)
        if form.is_valid():
            data = form.lead_data()
            owner = form.cleaned_data.get("owner") or self.default_owner()
            try:
                lead, created = services.lead_create(actor=request.user, customer=customer, owner=owner, **data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if created:
                    messages.success(request, _("New lead opened for %(name)s.") % {"name": customer.name})
                else:
                    messages.info(request, _("The enquiry was added to the customer's open lead."))
                if self.visible_leads().filter(pk=lead.pk).exists():
                    return redirect(customer_url(customer.pk))
                return redirect("leads:customer_create")
        return render(request, self.template_name, self.context(customer, visible, form))


# --- My leads ----------------------------------------------------------------------------------


class MyLeadFilterSet(LeadFilterSet):
    """``LeadFilterSet`` for the owner's own list: no owner, pool or DCC filters; form widgets
    that read well at a desk and on a phone."""

    OPEN_CHOICES = [
        ("true", gettext_lazy("Open leads")),
        ("false", gettext_lazy("Closed leads")),
        ("", gettext_lazy("All")),
    ]
    YES_CHOICES = [("", gettext_lazy("Any")), ("true", gettext_lazy("Overdue only"))]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("owner", "in_pool", "is_fleet", "with_dcc"):
            self.filters.pop(name, None)
        self.filters["open"].extra["widget"] = forms.Select(choices=self.OPEN_CHOICES)
        self.filters["overdue"].extra["widget"] = forms.Select(choices=self.YES_CHOICES)
        self.filters["grade"].extra["widget"] = forms.CheckboxSelectMultiple
        self.filters["status"].extra["widget"] = forms.CheckboxSelectMultiple
        self.filters["series"] = django_filters.ModelChoiceFilter(
            field_name="series",
            queryset=Series.objects.filter(is_active=True).select_related("brand"),
            label=gettext_lazy("Intended series"),
        )
        self.filters["created_after"].extra["widget"] = forms.DateInput(attrs={"type": "date"})
        self.filters["created_before"].extra["widget"] = forms.DateInput(attrs={"type": "date"})
        self.filters["q"].extra["widget"] = forms.TextInput(
            attrs={"placeholder": gettext_lazy("Name or phone"), "type": "search"}
        )
        style_fields(self.form)
        cached_model_choices(self.form.fields["source"], SOURCE_CHOICES_KEY)
        cached_model_choices(self.form.fields["series"], ACTIVE_SERIES_CHOICES_KEY)
        fast_choice_widgets(self.form)


class MyLeadsView(LeadsPageMixin, ListView):
    """我的线索: the owner's leads in this store, next follow-up first.

    The page's leads are sorted, counted and cut without joins; only its fifty rows are then read
    as plain values with their labels joined in and worked out once in Python (``lead_rows``):
    the template only places them.
    """

    model = Lead
    permission_required = "leads.own"
    template_name = "leads/my_leads.html"
    context_object_name = "leads"
    paginate_by = 50

    def base_queryset(self):
        return self.visible_leads().filter(owner=self.request.user)

    def get_queryset(self):
        data = self.request.GET.copy()
        if "open" not in data and "status" not in data:
            data["open"] = "true"
        self.filterset = MyLeadFilterSet(data, queryset=self.base_queryset(), store=self.request.store)
        return self.filterset.qs.order_by(F("next_follow_up_at").asc(nulls_last=True), "-id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today_start = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
        ids = list(ctx["leads"].values_list("id", flat=True))
        values = {row["id"]: row for row in Lead.objects.filter(pk__in=ids).values(*LEAD_ROW_FIELDS)}
        ctx["leads"] = lead_rows(
            (values[pk] for pk in ids), user=self.request.user, today_start=today_start, date_format="%m-%d %H:%M"
        )
        for row in ctx["leads"]:
            row["grade_class"] = GRADE_CLASSES.get(row["grade"], "text-bg-light")
            row["status_class"] = STATUS_CLASSES.get(row["status"], "text-bg-light")
        counts = dict(
            self.base_queryset()
            .open()
            .order_by()
            .values_list("grade")
            .annotate(n=Count("grade"))
            .values_list("grade", "n")
        )
        selected = self.request.GET.getlist("grade")
        ctx["grade_counts"] = [
            {
                "code": g.value,
                "label": g.label,
                "count": counts.get(g.value, 0),
                "css": GRADE_CLASSES.get(g.value, "text-bg-light"),
                "url": self.query_url(grade=g.value, open="true"),
                "selected": g.value in selected,
            }
            for g in Grade
            if g != Grade.F
        ]
        ctx["all_open_url"] = self.query_url(grade=None)
        ctx["open_total"] = sum(counts.values())
        ctx["filter"] = self.filterset
        ctx["more_fields"] = [
            self.filterset.form[name]
            for name in ("source", "series", "overdue", "created_after", "created_before")
            if name in self.filterset.form.fields
        ]
        ctx["selected_grades"] = selected
        ctx["more_filters_used"] = any(
            self.request.GET.get(k)
            for k in ("status", "source", "series", "overdue", "created_after", "created_before")
        )
        return ctx

    def query_url(self, **changes) -> str:
        """The current query string with some keys replaced (``None`` removes one), page dropped."""
        params = self.request.GET.copy()
        params.pop("page", None)
        for key, value in changes.items():
            params.pop(key, None)
            if value not in (None, ""):
                params[key] = value
        return f"?{params.urlencode()}"


# --- My tasks, calendar, comments ----------------------------------------------------------------


class MyTasksView(LeadsPageMixin, ListView):
    """今日任务: today's, overdue and upcoming tasks, and managers' comments until read."""

    model = Task
    permission_required = "leads.own"
    template_name = "leads/my_tasks.html"
    context_object_name = "tasks"
    paginate_by = 50

    def get_queryset(self):
        data = self.request.GET.copy()
        if not data.get("when") and "when" not in data:
            data["when"] = "today"
        self.when = data.get("when", "")
        self.filterset = TaskFilterSet(
            data, queryset=tasks_for(self.request.user, self.request.store).select_related("lead__owner")
        )
        return self.filterset.qs.order_by("due_at", "id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        counts = task_counts(self.request.user, self.request.store)
        # Work other apps add (the consultant's callbacks): due today or overdue, never upcoming.
        provided = provided_tasks(self.request.user, self.request.store, today)
        provided_overdue = sum(1 for row in provided if row.overdue)
        counts["today"] = (counts.get("today") or 0) + len(provided) - provided_overdue
        counts["overdue"] = (counts.get("overdue") or 0) + provided_overdue
        ctx["counts"] = counts
        ctx["when"] = self.when
        ctx["tabs"] = [
            ("today", _("Today"), counts.get("today") or 0),
            ("overdue", _("Overdue"), counts.get("overdue") or 0),
            ("upcoming", _("Upcoming"), counts.get("upcoming") or 0),
            ("", _("All"), sum(v or 0 for v in counts.values())),
        ]
        page = ctx.get("page_obj")
        if page is not None and page.number > 1:
            provided = []
        elif self.when == "today":
            provided = [row for row in provided if not row.overdue]
        elif self.when == "overdue":
            provided = [row for row in provided if row.overdue]
        elif self.when:
            provided = []
        ctx["provided_tasks"] = provided
        ctx["today"] = today
        ctx.update(comments_context(self.request))
        return ctx


def comments_context(request) -> dict:
    comments = unread_comments_for(request.user).filter(follow_up__store=request.store)
    return {"comments": list(comments[:50]), "comment_count": comments.count()}


class CommentsReadView(LeadsPageMixin, View):
    """Mark managers' comments (批复) read: the ticked ones, or all of this store's."""

    permission_required = "leads.own"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        unread = unread_comments_for(request.user).filter(follow_up__store=request.store)
        ids = [int(value) for value in request.POST.getlist("comment") if value.isdigit()]
        if not ids:
            ids = list(unread.values_list("pk", flat=True))
        count = services.followup_comments_mark_read(actor=request.user, comment_ids=ids)
        if request.htmx:
            return render(request, "leads/_comments.html", comments_context(request))
        if count:
            messages.success(request, _("Comments marked as read."))
        return redirect("leads:my_tasks")


class CalendarView(LeadsPageMixin, TemplateView):
    """台历: a month grid with how many contacts are planned each day, and with whom."""

    permission_required = "leads.own"
    template_name = "leads/calendar.html"
    NAMES_PER_DAY = 4

    def month(self) -> dt.date:
        raw = self.request.GET.get("month", "")
        try:
            year, month = (int(part) for part in raw.split("-"))
            return dt.date(year, month, 1)
        except (ValueError, TypeError):
            return timezone.localdate().replace(day=1)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        first = self.month()
        weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
        by_day: dict[dt.date, list[Task]] = defaultdict(list)
        for task in calendar_tasks(self.request.user, self.request.store, weeks[0][0], weeks[-1][-1]):
            by_day[task.due_date].append(task)
        today = timezone.localdate()
        ctx["weeks"] = [
            [
                {
                    "date": day,
                    "in_month": day.month == first.month,
                    "is_today": day == today,
                    "tasks": by_day.get(day, [])[: self.NAMES_PER_DAY],
                    "count": len(by_day.get(day, [])),
                    "more": max(len(by_day.get(day, [])) - self.NAMES_PER_DAY, 0),
                }
                for day in week
            ]
            for week in weeks
        ]
        ctx["month"] = first
        previous = (first - dt.timedelta(days=1)).replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        ctx["previous_month"] = previous.strftime("%Y-%m")
        ctx["next_month"] = following.strftime("%Y-%m")
        ctx["this_month"] = today.strftime("%Y-%m")
        ctx["weekday_names"] = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
        ctx["month_days"] = [
            {"date": day, "tasks": tasks} for day, tasks in sorted(by_day.items()) if day.month == first.month
        ]
        ctx["month_total"] = sum(len(d["tasks"]) for d in ctx["month_days"])
        return ctx
