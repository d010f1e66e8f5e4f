"""The DCC's pages: the agent's call list, the call screen, inbound calls, invitations; the manager's
live queue, call tasks, campaigns, figures, agents, script, templates and settings.

Every page sits behind ``DccPageMixin`` (its DCC permission in the current store; a version-2
store's sales manager holds the manager's). Objects are looked up among what the user may see in
the current store, so another store's object is a 404. Every write goes through ``dcc.services``;
a service's ValidationError is shown next to its field, never as an error page.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from accounts.mixins import StorePermissionRequiredMixin
from accounts.services import audit_record
from leads.filters import LeadFilterSet
from leads.models import Appointment
from leads.selectors import customer_timeline, display_phone

from . import exporters, selectors, services, telephony
from .filters import CallFilterSet, CallTaskFilterSet, InvitationFilterSet
from .forms import (
    AgentProfileForm,
    AssignForm,
    CallOutcomeForm,
    CampaignForm,
    DccSettingsForm,
    InboundForm,
    PeriodForm,
    ScriptForm,
    ScriptStepFormSet,
    TaskAddForm,
    TemplateForm,
    style_fields,
)
from .models import AgentProfile, Call, CallTask, Campaign, MessageTemplate
from .selectors import MANAGE, VIEW_FIGURES, WORK_CALLS

HISTORY_LIMIT = 30


def add_service_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: next to its field when the form has one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def checked_steps(form) -> set[int]:
    if "script_steps" not in form.fields:
        return set()
    return {int(v) for v in (form["script_steps"].value() or []) if str(v).isdigit()}


def safe_reverse(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


class DccPageMixin(StorePermissionRequiredMixin):
    """The gate: ``dcc_permission`` in the current store (see ``selectors.dcc_perms``)."""

    dcc_permission: str = WORK_CALLS

    def has_permission(self) -> bool:
        if self.request.store is None:
            return False
        self.dcc_perms = selectors.dcc_perms(self.request.user, self.request.store)
        return self.dcc_permission in self.dcc_perms

    @property
    def is_manager(self) -> bool:
        return MANAGE in self.dcc_perms

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["dcc_perms"] = self.dcc_perms
        context["is_dcc_manager"] = self.is_manager
        return context


# --- The agent's pages -------------------------------------------------------------------------


class MyListView(DccPageMixin, ListView):
    """My call list: open tasks by priority and due time; "due now" first."""

    template_name = "dcc/my_list.html"
    context_object_name = "tasks"
    paginate_by = 25  # a screenful on a phone; the tabs say how many there are
    model = CallTask
    TABS = ("due", "later", "all")

    def get_queryset(self):
        self.when = self.request.GET.get("when") if self.request.GET.get("when") in self.TABS else "due"
        self.now = timezone.now()
        self.index = selectors.call_list_index(self.request.user, self.request.store, now=self.now)
        # Counted once: the tabs, the pager and the menu badge all use these.
        self.request.dcc_list_counts = self.index.counts
        return self.index.ids(self.when)

    def paginate_queryset(self, queryset, page_size):
        paginator, page, ids, is_paginated = super().paginate_queryset(queryset, page_size)
        # Only the shown tasks are loaded, in list order.
        tasks = CallTask.objects.filter(pk__in=ids).select_related("lead__customer", "lead__source", "lead__series")
        by_id = {task.pk: task for task in tasks}
        page.object_list = [by_id[pk] for pk in ids if pk in by_id]
        return paginator, page, page.object_list, is_paginated

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = self.index.counts
        context.update(
            when=self.when,
            tabs=[
                ("due", _("Due now"), counts["due"]),
                ("later", _("Later"), counts["later"]),
                ("all", _("All"), counts["all"]),
            ],
            profile=selectors.agent_profile(self.request.store, self.request.user),
            now=self.now,
            # Translated once for the whole list, not once per row.
            call_at_label=_("call at"),
            attempts_label=_("attempts"),
        )
        return context


class DutyView(DccPageMixin, View):
    """An agent goes on or off duty."""

    def post(self, request):
        on_duty = request.POST.get("on_duty") == "1"
        try:
            services.agent_set_duty(actor=request.user, store=request.store, on_duty=on_duty)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("You are on duty.") if on_duty else _("You are off duty."))
        return redirect("dcc:my_list")


class TaskWorkView(DccPageMixin, TemplateView):
    """One screen per call: the customer and their history, a click-to-call link, the script as a
    checklist, and the outcome."""

    template_name = "dcc/task_work.html"
    model = CallTask

    def get_task(self) -> CallTask:
        return get_object_or_404(
            selectors.tasks_visible_to(self.request.user, self.request.store).select_related(
                "lead__customer", "lead__owner", "lead__source", "lead__series", "agent", "appointment"
            ),
            pk=self.kwargs["pk"],
        )

    def context(self, task: CallTask, form: CallOutcomeForm) -> dict:
        lead = task.lead
        script = selectors.script_for(self.request.store)
        phone = lead.customer.phone
        # The agent holding the task calls the number: they see it in full (elsewhere it is masked).
        may_dial = task.is_open and (task.agent_id == self.request.user.pk or self.is_manager)
        return {
            "task": task,
            "lead": lead,
            "customer": lead.customer,
            "phone_shown": phone if may_dial else display_phone(self.request.user, lead),
            "dial_url": telephony.get_backend().dial_url(phone) if may_dial and phone else "",
            "history": customer_timeline(lead.customer)[:HISTORY_LIMIT],
            "calls": Call.objects.filter(lead__customer=lead.customer).select_related("agent")[:10],
            "script": script,
            "steps": list(script.steps.all()),
            "checked_steps": checked_steps(form),
            "form": form,
            "order_url": safe_reverse("showroom:order_create"),
            **self.get_context_data(),
        }

    def get(self, request, *args, **kwargs):
        task = self.get_task()
        form = CallOutcomeForm(store=request.store, script_steps=selectors.script_for(request.store).steps.all())
        return render(request, self.template_name, self.context(task, form))

    def post(self, request, *args, **kwargs):
        task = self.get_task()
        form = CallOutcomeForm(
            request.POST, store=request.store, script_steps=selectors.script_for(request.store).steps.all()
        )
        if form.is_valid():
            try:
                call = services.call_record(actor=request.user, task=task, data=form.call_input())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Call with %(name)s logged: %(outcome)s.")
                    % {"name": task.lead.customer.name, "outcome": call.get_outcome_display()},
                )
                nxt = selectors.call_list(request.user, request.store).filter(due_at__lte=timezone.now()).first()
                if nxt is not None and task.agent_id == request.user.pk:
                    return redirect("dcc:task_work", pk=nxt.pk)
                return redirect("dcc:my_list" if task.agent_id == request.user.pk else "dcc:task_list")
        task.refresh_from_db()
        return render(request, self.template_name, self.context(task, form))


class InboundView(DccPageMixin, TemplateView):
    """呼入: phone first; creates or finds the customer and lead, grades, files, logs."""

    template_name = "dcc/inbound.html"

    def get(self, request, *args, **kwargs):
        form = InboundForm(store=request.store, initial={"phone": request.GET.get("phone", "")})
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        form = InboundForm(request.POST, store=request.store)
        if form.is_valid():
            try:
                call = services.inbound_call_log(actor=request.user, store=request.store, data=form.inbound_input())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Inbound call from %(name)s logged: %(outcome)s.")
                    % {"name": call.lead.customer.name, "outcome": call.get_outcome_display()},
                )
                return redirect("dcc:inbound")
        return self.render_to_response(self.get_context_data(form=form))


class InboundLookupView(DccPageMixin, View):
    """The htmx look-up under the phone field: a known customer? whose lead? (the number is masked)."""

    def get(self, request):
        from leads.services import customer_find_by_phone

        raw = request.GET.get("phone", "").strip()
        customer = customer_find_by_phone(request.store, raw) if raw else None
        lead = customer.leads.open().select_related("owner").first() if customer else None
        return render(
            request,
            "dcc/_inbound_lookup.html",
            {
                "customer": customer,
                "lead": lead,
                "raw": raw,
                "open_task": selectors.open_task_for(lead) if lead else None,
            },
        )


class InvitationListView(DccPageMixin, ListView):
    """DCC invitations and whether the customer came (arrivals come from the desk's visits)."""

    template_name = "dcc/invitations.html"
    context_object_name = "appointments"
    paginate_by = 50
    model = Appointment

    def get_queryset(self):
        qs = selectors.dcc_invitations(self.request.store)
        if not self.is_manager:
            from django.db.models import Q

            qs = qs.filter(Q(created_by=self.request.user) | Q(receiver=self.request.user))
        self.filterset = InvitationFilterSet(self.request.GET or None, queryset=qs, request=self.request)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        context["order_url"] = safe_reverse("showroom:order_create")
        context["today"] = timezone.localdate()
        return context


# --- The manager's pages -----------------------------------------------------------------------


class ManagerPageMixin(DccPageMixin):
    dcc_permission = MANAGE


class QueueView(ManagerPageMixin, TemplateView):
    """The live view: each agent's queue and the tasks past their SLA, refreshed by htmx."""

    template_name = "dcc/queue.html"

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["dcc/_queue_panel.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows, unassigned = selectors.queue_overview(self.request.store)
        context.update(
            rows=rows,
            unassigned=unassigned,
            past_sla=selectors.tasks_past_sla(self.request.store)[:50],
            settings=selectors.dcc_settings(self.request.store),
            now=timezone.now(),
        )
        return context


class BuildNowView(ManagerPageMixin, View):
    """Run the call-list rules now (they also run every morning and on each new lead)."""

    def post(self, request):
        result = services.call_lists_build(store=request.store)
        messages.success(request, _("Call lists built: %(count)d new call tasks.") % {"count": result["created"]})
        return redirect("dcc:queue")


class TaskListView(ManagerPageMixin, ListView):
    """Every call task of the store, filtered; select some and give them to an agent."""

    template_name = "dcc/task_list.html"
    context_object_name = "tasks"
    paginate_by = 50
    model = CallTask

    def get_queryset(self):
        qs = CallTask.objects.filter(store=self.request.store).select_related("lead__customer", "agent")
        data = self.request.GET.copy()
        if "status" not in data:
            data["status"] = CallTask.Status.OPEN
        self.filterset = CallTaskFilterSet(data, queryset=qs, store=self.request.store)
        style_fields(self.filterset.form, small=True)
        return self.filterset.qs.order_by("priority", "due_at", "id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        context["assign_form"] = kwargs.get("assign_form") or AssignForm(store=self.request.store)
        context["now"] = timezone.now()
        context["can_export"] = exporters.CallExporter.is_allowed(self.request.user, self.dcc_perms)
        return context


class TaskAssignView(ManagerPageMixin, View):
    """Give the selected tasks to an agent (by hand, or to reassign)."""

    def post(self, request):
        form = AssignForm(request.POST, store=request.store)
        if form.is_valid():
            try:
                moved = services.call_tasks_assign(
                    actor=request.user,
                    store=request.store,
                    tasks=form.cleaned_data["tasks"],
                    agent=form.cleaned_data["agent"],
                    note=form.cleaned_data.get("note") or "",
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("%(count)d call tasks assigned.") % {"count": moved})
        else:
            messages.error(request, _("Choose call tasks and the agent to give them to."))
        return redirect(request.POST.get("next") or reverse("dcc:task_list"))


class TaskAddView(ManagerPageMixin, TemplateView):
    """Put a customer on a call list by hand (leads handed over by a manager)."""

    template_name = "dcc/task_add.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=TaskAddForm(store=request.store)))

    def post(self, request, *args, **kwargs):
        form = TaskAddForm(request.POST, store=request.store)
        if form.is_valid():
            try:
                task = services.call_task_add(
                    actor=request.user,
                    lead=form.cleaned_data["lead"],
                    agent=form.cleaned_data.get("agent"),
                    due_at=form.cleaned_data.get("due_at"),
                    note=form.cleaned_data.get("note") or "",
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "lead" in exc.error_dict:
                    exc = ValidationError({"phone": exc.error_dict.pop("lead"), **exc.error_dict})
                add_service_errors(form, exc)
            else:
                messages.success(request, _("%(name)s is on the call list.") % {"name": task.lead.customer.name})
                return redirect("dcc:task_list")
        return self.render_to_response(self.get_context_data(form=form))


class TaskCancelView(ManagerPageMixin, View):
    model = CallTask

    def post(self, request, pk):
        task = get_object_or_404(CallTask, pk=pk, store=request.store)
        try:
            services.call_task_cancel(actor=request.user, task=task, reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The call task was taken off the list."))
        return redirect("dcc:task_list")


class CallExportView(ManagerPageMixin, View):
    """The calls as Excel (same filter as the API), for users granted export."""

    def get(self, request):
        if not exporters.CallExporter.is_allowed(request.user, self.dcc_perms):
            return HttpResponse(_("You may not export to Excel."), status=403)
        qs = Call.objects.filter(store=request.store).select_related("lead__customer", "agent")
        filterset = CallFilterSet(request.GET or None, queryset=qs, store=request.store)
        exporter = exporters.CallExporter(user=request.user, queryset=filterset.qs.order_by("-started_at"))
        audit_record(
            actor=request.user,
            action="dcc.export.calls",
            store=request.store,
            changes={"filter": dict(request.GET.items())},
        )
        response = StreamingHttpResponse(exporter.stream(), content_type=exporters.XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="dcc-calls-{timezone.localdate():%Y%m%d}.xlsx"'
        return response


class AgentListView(ManagerPageMixin, TemplateView):
    template_name = "dcc/agents.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["profiles"] = selectors.agent_profiles(self.request.store)
        context["settings"] = selectors.dcc_settings(self.request.store)
        return context


class AgentEditView(ManagerPageMixin, TemplateView):
    template_name = "dcc/agent_form.html"
    model = AgentProfile

    def get_profile(self) -> AgentProfile:
        return get_object_or_404(
            AgentProfile.objects.filter(store=self.request.store).select_related("user"), pk=self.kwargs["pk"]
        )

    def get(self, request, *args, **kwargs):
        profile = self.get_profile()
        return self.render_to_response(self.get_context_data(profile=profile, form=AgentProfileForm(instance=profile)))

    def post(self, request, *args, **kwargs):
        profile = self.get_profile()
        form = AgentProfileForm(request.POST, instance=AgentProfile.objects.get(pk=profile.pk))
        if form.is_valid():
            try:
                services.agent_profile_update(actor=request.user, profile=profile, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("%(user)s updated.") % {"user": profile.user})
                return redirect("dcc:agents")
        return self.render_to_response(self.get_context_data(profile=profile, form=form))


class SettingsView(ManagerPageMixin, TemplateView):
    template_name = "dcc/settings.html"

    def get(self, request, *args, **kwargs):
        form = DccSettingsForm(instance=selectors.dcc_settings(request.store))
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        current = selectors.dcc_settings(request.store)
        form = DccSettingsForm(request.POST, instance=type(current).objects.get(pk=current.pk))
        if form.is_valid():
            try:
                services.dcc_settings_update(actor=request.user, store=request.store, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("DCC settings saved."))
                return redirect("dcc:settings")
        return self.render_to_response(self.get_context_data(form=form))


class ScriptView(ManagerPageMixin, TemplateView):
    """The store's invitation script, edited step by step."""

    template_name = "dcc/script.html"

    def get(self, request, *args, **kwargs):
        script = selectors.script_for(request.store)
        form = ScriptForm(initial={"name": script.name})
        formset = ScriptStepFormSet(
            initial=[{"title": s.title, "guidance": s.guidance} for s in script.steps.all()], prefix="steps"
        )
        return self.render_to_response(self.get_context_data(form=form, formset=formset, script=script))

    def post(self, request, *args, **kwargs):
        script = selectors.script_for(request.store)
        form = ScriptForm(request.POST)
        formset = ScriptStepFormSet(request.POST, prefix="steps")
        if form.is_valid() and formset.is_valid():
            steps = [
                (f.cleaned_data.get("title") or "", f.cleaned_data.get("guidance") or "")
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            try:
                services.script_update(
                    actor=request.user, store=request.store, name=form.cleaned_data["name"], steps=steps
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "steps" in exc.error_dict:
                    for error in exc.error_dict.pop("steps"):
                        form.add_error(None, error)
                    exc = ValidationError(exc.error_dict) if exc.error_dict else None
                if exc is not None:
                    add_service_errors(form, exc)
            else:
                messages.success(request, _("Call script saved."))
                return redirect("dcc:script")
        return self.render_to_response(self.get_context_data(form=form, formset=formset, script=script))


class TemplateListView(ManagerPageMixin, TemplateView):
    template_name = "dcc/templates.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["templates"] = MessageTemplate.objects.filter(store=self.request.store)
        return context


class TemplateFormView(ManagerPageMixin, TemplateView):
    template_name = "dcc/template_form.html"
    model = MessageTemplate

    def get_template(self) -> MessageTemplate | None:
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(MessageTemplate, pk=self.kwargs["pk"], store=self.request.store)

    def get(self, request, *args, **kwargs):
        template = self.get_template()
        return self.render_to_response(
            self.get_context_data(form=TemplateForm(instance=template), template_obj=template)
        )

    def post(self, request, *args, **kwargs):
        template = self.get_template()
        instance = MessageTemplate.objects.get(pk=template.pk) if template else None
        form = TemplateForm(request.POST, instance=instance)
        if form.is_valid():
            try:
                services.template_save(actor=request.user, store=request.store, template=template, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Template saved."))
                return redirect("dcc:templates")
        return self.render_to_response(self.get_context_data(form=form, template_obj=template))


class CampaignListView(ManagerPageMixin, ListView):
    template_name = "dcc/campaign_list.html"
    context_object_name = "campaigns"
    paginate_by = 30
    model = Campaign

    def get_queryset(self):
        return Campaign.objects.filter(store=self.request.store).select_related("created_by")


class CampaignCreateView(ManagerPageMixin, TemplateView):
    """Pick leads with the lead filter (GET), write the message (POST): a draft campaign."""

    template_name = "dcc/campaign_form.html"

    def filter_params(self, source) -> dict:
        names = set(LeadFilterSet.base_filters)
        params = {}
        for key in source:
            if key in names:
                values = [v for v in source.getlist(key) if v != ""]
                if values:
                    params[key] = values if len(values) > 1 or key in ("grade", "status") else values[0]
        return params

    def counts(self, params: dict, kind: str) -> dict:
        try:
            leads = services.campaign_leads(self.request.store, params)
        except ValidationError:
            return {"matched": 0, "eligible": 0}
        return {
            "matched": leads.count(),
            "eligible": leads.filter(services.campaign_eligibility(self.request.store, kind)).count(),
        }

    def context(self, form, params):
        filterset = LeadFilterSet(params or None, queryset=None, store=self.request.store)
        style_fields(filterset.form, small=True)
        kind = (form.data.get("kind") if form.is_bound else None) or Campaign.Kind.SMS
        return self.get_context_data(
            form=form,
            filter=filterset,
            params_json=json.dumps(params, ensure_ascii=False),
            counts=self.counts(params, kind),
        )

    def get(self, request, *args, **kwargs):
        params = self.filter_params(request.GET)
        return self.render_to_response(self.context(CampaignForm(store=request.store), params))

    def post(self, request, *args, **kwargs):
        try:
            params = json.loads(request.POST.get("filter_params") or "{}")
            if not isinstance(params, dict):
                raise ValueError
        except ValueError:
            params = {}
        form = CampaignForm(request.POST, store=request.store)
        if form.is_valid():
            try:
                campaign = services.campaign_create(
                    actor=request.user, store=request.store, filter_params=params, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Campaign saved as a draft: check it and send it."))
                return redirect("dcc:campaign_detail", pk=campaign.pk)
        return self.render_to_response(self.context(form, params))


class CampaignDetailMixin(ManagerPageMixin):
    model = Campaign

    def get_campaign(self) -> Campaign:
        return get_object_or_404(
            Campaign.objects.filter(store=self.request.store).select_related("created_by", "template"),
            pk=self.kwargs["pk"],
        )


class CampaignDetailView(CampaignDetailMixin, TemplateView):
    """A campaign: its message, who it reaches, and the sending progress (polled while it runs)."""

    template_name = "dcc/campaign_detail.html"

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["dcc/_campaign_progress.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = self.get_campaign()
        context["campaign"] = campaign
        if campaign.status == Campaign.Status.DRAFT:
            try:
                leads = services.campaign_leads(self.request.store, campaign.filter_params)
            except ValidationError:  # a filter the lead list no longer understands
                leads = None
            context["preview"] = {
                "matched": leads.count() if leads is not None else 0,
                "eligible": leads.filter(services.campaign_eligibility(self.request.store, campaign.kind)).count()
                if leads is not None
                else 0,
            }
        context["recent"] = campaign.messages.select_related("lead__customer").order_by("-sent_at", "-id")[:20]
        return context


class CampaignQueueView(CampaignDetailMixin, View):
    def post(self, request, pk):
        campaign = self.get_campaign()
        try:
            campaign = services.campaign_queue(actor=request.user, campaign=campaign)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(count)d messages queued for sending.") % {"count": campaign.queued_count})
        return redirect("dcc:campaign_detail", pk=pk)


class CampaignCancelView(CampaignDetailMixin, View):
    def post(self, request, pk):
        campaign = self.get_campaign()
        try:
            services.campaign_cancel(actor=request.user, campaign=campaign)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Campaign stopped."))
        return redirect("dcc:campaign_detail", pk=pk)


class FiguresView(DccPageMixin, TemplateView):
    """The DCC's own figures, apart from the showroom's."""

    dcc_permission = VIEW_FIGURES
    template_name = "dcc/figures.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = PeriodForm(self.request.GET or None)
        first, last = form.period()
        context["form"] = form
        context["figures"] = selectors.dcc_figures(self.request.store, first, last)
        return context
