"""Customer service pages: the signing queue, the complaint list, the complaint form, the ticket
page with its signatures and clock, its print form (投诉抱怨处理单), and the store's settings.

Every page sits behind ``StorePermissionRequiredMixin``; tickets are looked up among what the user
may read in the current store, so another store's ticket is a 404. Every write goes through
``complaints.services``; a service's ValidationError is shown on the form, never as an error page.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from accounts.mixins import StorePermissionRequiredMixin
from leads.models import Customer
from showroom.models import Order

from . import selectors, services
from .filters import ComplaintFilterSet
from .forms import (
    SIGN_FIELDS,
    CallbackCheckForm,
    CallbackForm,
    CallbackSettingsForm,
    ComplaintForm,
    ComplaintSettingsForm,
    EnquiryForm,
    EnquiryHandleForm,
    FirstServiceIntervalFormSet,
    PeriodForm,
    ReminderDoneForm,
    SignForm,
    SsiSettingsForm,
)
from .models import Callback, Complaint, ComplaintStep, Enquiry, FirstServiceInterval, ServiceReminder
from .navigation import SIGNING


def add_service_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class AnySigningPermissionMixin(StorePermissionRequiredMixin):
    def has_permission(self) -> bool:
        return self.request.store is not None and (
            any(code in self.request.perms for code in SIGNING) or "complaints.view" in self.request.perms
        )


class QueueView(AnySigningPermissionMixin, TemplateView):
    """What waits for my signature, soonest due first."""

    template_name = "complaints/queue.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        now = timezone.now()
        tickets = list(selectors.waiting_for(self.request.user, self.request.store))
        ctx["rows"] = [(t, selectors.complaint_clock(t, now=now)) for t in tickets]
        ctx["can_register"] = "complaints.register" in self.request.perms
        ctx["figures"] = selectors.complaint_figures(self.request.store)
        return ctx


class ComplaintListView(StorePermissionRequiredMixin, ListView):
    permission_required = "complaints.view"
    template_name = "complaints/list.html"
    model = Complaint
    paginate_by = 50

    def get_queryset(self):
        base = Complaint.objects.visible_to(self.request.user, "complaints.view").filter(store=self.request.store)
        self.filterset = ComplaintFilterSet(
            self.request.GET or None, queryset=base.select_related("customer", "handler")
        )
        return self.filterset.qs if self.filterset.is_valid() else base.none()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter"] = self.filterset
        now = timezone.now()
        ctx["rows"] = [(t, selectors.complaint_clock(t, now=now)) for t in ctx["object_list"]]
        return ctx


class ComplaintCreateView(StorePermissionRequiredMixin, View):
    permission_required = "complaints.register"
    template_name = "complaints/form.html"

    def _initial(self) -> dict:
        initial = {}
        store = self.request.store
        order_id = self.request.GET.get("order", "")
        customer_id = self.request.GET.get("customer", "")
        if order_id.isdigit():
            order = Order.objects.filter(store=store, pk=order_id).first()
            if order is not None:
                initial.update(order=order.pk, customer=order.customer_id)
        if customer_id.isdigit() and Customer.objects.filter(store=store, pk=customer_id).exists():
            initial["customer"] = int(customer_id)
        callback = self._callback()
        if callback is not None:
            initial.update(
                order=callback.order_id,
                customer=callback.customer_id,
                touchpoint=Complaint.Touchpoint.FOLLOW_UP,
                facts=callback.result,
            )
        return initial

    def _callback(self) -> Callback | None:
        """The dissatisfied satisfaction callback the complaint comes from (``?callback=``), if any."""
        value = self.request.GET.get("callback") or self.request.POST.get("callback") or ""
        if not value.isdigit():
            return None
        return Callback.objects.filter(store=self.request.store, pk=value).first()

    def get(self, request):
        form = ComplaintForm(store=request.store, initial=self._initial())
        return render(request, self.template_name, {"form": form, "callback": self._callback()})

    def post(self, request):
        form = ComplaintForm(request.POST, store=request.store)
        if form.is_valid():
            data = form.cleaned_data
            try:
                complaint = services.complaint_register(
                    actor=request.user,
                    store=request.store,
                    customer=data["customer"],
                    order=data.get("order"),
                    vehicle=data.get("vehicle", ""),
                    category=data["category"],
                    touchpoint=data["touchpoint"],
                    facts=data["facts"],
                    emotion=data.get("emotion", ""),
                    demand=data.get("demand", ""),
                    temperament=data.get("temperament", ""),
                    media_or_legal=data.get("media_or_legal", False),
                    callback=self._callback(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Complaint %(number)s registered.") % {"number": complaint.number})
                return redirect("complaints:detail", complaint.pk)
        return render(request, self.template_name, {"form": form, "callback": self._callback()})


class ComplaintPageMixin(AnySigningPermissionMixin):
    model = Complaint

    def get_complaint(self) -> Complaint:
        qs = Complaint.objects.readable_by(self.request.user, self.request.store).select_related(
            "store", "customer", "order", "order__trim", "handler", "registered_by"
        )
        return get_object_or_404(qs, pk=self.kwargs["pk"])


class ComplaintDetailView(ComplaintPageMixin, View):
    template_name = "complaints/detail.html"

    def context(self, complaint: Complaint, forms: dict | None = None) -> dict:
        user = self.request.user
        actions = services.actions_for(user, complaint)
        handlers = selectors.dispatchable_handlers(complaint.store)
        forms = forms or {}
        sign_forms = [
            (
                action,
                ComplaintStep.Action(action).label,
                forms.get(action) or SignForm(action=action, handlers=handlers),
            )
            for action in actions
        ]
        return {
            "complaint": complaint,
            "clock": selectors.complaint_clock(complaint),
            "steps": complaint.steps.select_related("actor"),
            "sign_forms": sign_forms,
        }

    def get(self, request, pk):
        complaint = self.get_complaint()
        return render(request, self.template_name, self.context(complaint))


class ComplaintSignView(ComplaintPageMixin, View):
    """POST one signature; an invalid one shows the ticket again with the form's errors (status 200)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        complaint = self.get_complaint()
        action = request.POST.get("action", "")
        if action not in SIGN_FIELDS:
            messages.error(request, _("Choose what to sign."))
            return redirect("complaints:detail", complaint.pk)
        if action not in services.actions_for(request.user, complaint):
            if complaint.status == services.TRANSITIONS[action].source:
                raise PermissionDenied
            messages.error(request, _("This complaint has moved on; nothing was signed."))
            return redirect("complaints:detail", complaint.pk)
        handlers = selectors.dispatchable_handlers(complaint.store)
        form = SignForm(request.POST, action=action, handlers=handlers)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.complaint_sign(actor=request.user, complaint=complaint, action=action, data=data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Signed: %(action)s.") % {"action": ComplaintStep.Action(action).label})
                if Complaint.objects.readable_by(request.user, request.store).filter(pk=complaint.pk).exists():
                    return redirect("complaints:detail", complaint.pk)
                return redirect("complaints:queue")
        page = ComplaintDetailView()
        page.request = request
        return render(request, ComplaintDetailView.template_name, page.context(complaint, {action: form}))


class ComplaintPrintView(ComplaintPageMixin, View):
    """The store's complaint handling form (投诉抱怨处理单), with every signature, ready to print."""

    template_name = "complaints/print.html"

    def get(self, request, pk):
        complaint = self.get_complaint()
        steps = list(complaint.steps.select_related("actor"))
        signed = {}
        for step in steps:
            signed[step.action] = step  # the latest signature of each kind
        return render(
            request,
            self.template_name,
            {"complaint": complaint, "steps": steps, "signed": signed, "clock": selectors.complaint_clock(complaint)},
        )


class SettingsView(StorePermissionRequiredMixin, View):
    permission_required = "complaints.manage_settings"
    template_name = "complaints/settings.html"

    def get(self, request):
        rules = selectors.complaint_settings(request.store)
        form = ComplaintSettingsForm(
            initial={"handling_hours": rules.handling_hours, "at_risk_percent": rules.at_risk_percent}
        )
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = ComplaintSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.complaint_settings_save(actor=request.user, store=request.store, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Settings saved."))
                return redirect("complaints:settings")
        return render(request, self.template_name, {"form": form})


# --- Callbacks ------------------------------------------------------------------------------


class MyCallbacksView(StorePermissionRequiredMixin, TemplateView):
    """The consultant's callbacks due today or earlier, oldest first."""

    permission_required = "callbacks.work"
    template_name = "complaints/my_callbacks.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        ctx["callbacks"] = [
            (c, selectors.callback_state(c, today))
            for c in selectors.my_callbacks(self.request.user, self.request.store)
        ]
        return ctx


class CallbackView(StorePermissionRequiredMixin, View):
    """One callback: record it (its consultant, or customer service for the satisfaction callback),
    or check it with the customer (customer service)."""

    model = Callback
    template_name = "complaints/callback.html"

    def has_permission(self) -> bool:
        perms = self.request.perms
        return self.request.store is not None and bool(
            {"callbacks.work", "callbacks.supervise", "callbacks.satisfaction"} & set(perms)
        )

    def get_callback(self) -> Callback:
        qs = Callback.objects.filter(store=self.request.store).select_related("customer", "order", "assignee")
        perms = self.request.perms
        if "callbacks.supervise" not in perms and "callbacks.satisfaction" not in perms:
            qs = qs.filter(assignee=self.request.user)
        return get_object_or_404(qs, pk=self.kwargs["pk"])

    def questions(self, callback):
        if callback.kind != Callback.Kind.SATISFACTION:
            return []
        return list(callback.store.survey_questions.filter(is_active=True))

    def can_record(self, callback) -> bool:
        if callback.done_at is not None:
            return False
        if callback.kind == Callback.Kind.SATISFACTION:
            return "callbacks.satisfaction" in self.request.perms
        return callback.assignee_id == self.request.user.pk and "callbacks.work" in self.request.perms

    def render_page(self, callback, form=None, check_form=None, status=200):
        can_record = self.can_record(callback)
        ctx = {
            "callback": callback,
            "state": selectors.callback_state(callback, timezone.localdate()),
            "form": form or (CallbackForm(questions=self.questions(callback)) if can_record else None),
            "can_record": can_record,
            "can_check": "callbacks.supervise" in self.request.perms
            and callback.kind != Callback.Kind.SATISFACTION
            and callback.done_at is not None,
            "check_form": check_form or CallbackCheckForm(),
            "answers": callback.answers.select_related("question"),
            "can_complain": "complaints.register" in self.request.perms,
        }
        return render(self.request, self.template_name, ctx, status=status)

    def get(self, request, pk):
        return self.render_page(self.get_callback())

    def post(self, request, pk):
        callback = self.get_callback()
        if "check_note" in request.POST:
            check_form = CallbackCheckForm(request.POST)
            if check_form.is_valid():
                try:
                    services.callback_check(
                        actor=request.user, callback=callback, note=check_form.cleaned_data["check_note"]
                    )
                except ValidationError as exc:
                    add_service_errors(check_form, exc)
                else:
                    messages.success(request, _("Check recorded."))
                    return redirect("complaints:callback", callback.pk)
            return self.render_page(callback, check_form=check_form)
        if not self.can_record(callback):
            if callback.done_at is not None:
                messages.error(request, _("This callback has already been recorded."))
                return redirect("complaints:callback", callback.pk)
            raise PermissionDenied
        form = CallbackForm(request.POST, questions=self.questions(callback))
        if form.is_valid():
            try:
                callback = services.callback_record(
                    actor=request.user,
                    callback=callback,
                    reached=form.cleaned_data["reached"],
                    result=form.cleaned_data["result"],
                    scores=form.scores(),
                    dissatisfied=form.cleaned_data.get("dissatisfied", False),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Callback recorded."))
                if callback.dissatisfied and "complaints.register" in request.perms:
                    messages.warning(request, _("The customer is dissatisfied: register the complaint today."))
                    return redirect(f"{reverse('complaints:create')}?callback={callback.pk}")
                if callback.kind == Callback.Kind.SATISFACTION:
                    return redirect("complaints:satisfaction")
                return redirect("complaints:my_callbacks")
        return self.render_page(callback, form=form)


class SupervisionView(StorePermissionRequiredMixin, TemplateView):
    """Customer service's board of the consultants' callbacks (客服回访监督)."""

    permission_required = "callbacks.supervise"
    template_name = "complaints/supervision.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        form = PeriodForm(self.request.GET or None)
        first, last = today.replace(day=1), today
        if form.is_valid():
            first = form.cleaned_data.get("first") or first
            last = form.cleaned_data.get("last") or last
        rows, listed = selectors.supervision_board(self.request.store, first, last, today=today)
        ctx.update(form=form, rows=rows, listed=listed, first=first, last=last)
        return ctx


class SatisfactionView(StorePermissionRequiredMixin, TemplateView):
    """Customer service's satisfaction callbacks: open ones, deliveries without one in time, and
    dissatisfied customers still without a complaint."""

    permission_required = "callbacks.satisfaction"
    template_name = "complaints/satisfaction.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(selectors.satisfaction_overview(self.request.store))
        ctx["dissatisfied"] = selectors.dissatisfied_without_complaint(self.request.store)
        return ctx


class CallbackSettingsView(StorePermissionRequiredMixin, View):
    """The store's callback intervals and satisfaction survey."""

    permission_required = "complaints.manage_settings"
    template_name = "complaints/callback_settings.html"

    def intervals(self, data=None):
        """The store's first-service table (首保 per model) as a formset, two empty rows to add to it."""
        initial = [
            {"vehicle_model": row.vehicle_model_id, "days": row.days}
            for row in FirstServiceInterval.objects.filter(store=self.request.store)
        ]
        return FirstServiceIntervalFormSet(data, prefix="first_service", initial=initial)

    def get(self, request):
        rules = selectors.callback_settings(request.store)
        initial = {field: getattr(rules, field) for field in services.INTERVAL_FIELDS}
        initial["questions"] = "\n".join(q.text for q in request.store.survey_questions.filter(is_active=True))
        return render(
            request, self.template_name, {"form": CallbackSettingsForm(initial=initial), "intervals": self.intervals()}
        )

    def post(self, request):
        form = CallbackSettingsForm(request.POST)
        intervals = self.intervals(request.POST)
        if form.is_valid() and intervals.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    services.callback_settings_save(
                        actor=request.user, store=request.store, **{f: data[f] for f in services.INTERVAL_FIELDS}
                    )
                    services.survey_questions_set(
                        actor=request.user, store=request.store, texts=data["questions"].splitlines()
                    )
                    services.first_service_intervals_set(
                        actor=request.user, store=request.store, intervals=intervals.intervals()
                    )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Settings saved."))
                return redirect("complaints:callback_settings")
        return render(request, self.template_name, {"form": form, "intervals": intervals})


class QuarterView(StorePermissionRequiredMixin, View):
    """The quarter's feedback for the manufacturer on screen, and as .xlsx (export grant; audited)."""

    permission_required = "complaints.view"
    template_name = "complaints/quarter.html"

    def period(self, data) -> tuple[int, int]:
        today = timezone.localdate()
        year, quarter = today.year, (today.month - 1) // 3 + 1
        raw_year, raw_quarter = str(data.get("year", "")), str(data.get("quarter", ""))
        if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100:
            year = int(raw_year)
        if raw_quarter in ("1", "2", "3", "4"):
            quarter = int(raw_quarter)
        return year, quarter

    def get(self, request):
        from .exporters import QuarterFeedbackExporter

        year, quarter = self.period(request.GET)
        first, last = selectors.quarter_bounds(year, quarter)
        return render(
            request,
            self.template_name,
            {
                "year": year,
                "quarter": quarter,
                "first": first,
                "last": last,
                "rows": selectors.quarter_feedback(request.store, year, quarter),
                "columns": QuarterFeedbackExporter.columns,
                "can_export": QuarterFeedbackExporter.is_allowed(request.user, request.perms),
                "quarters": [1, 2, 3, 4],
            },
        )

    def post(self, request):
        from leads.exporters import xlsx_download

        from .exporters import QuarterFeedbackExporter

        if not QuarterFeedbackExporter.is_allowed(request.user, request.perms):
            raise PermissionDenied
        year, quarter = self.period(request.POST)
        exporter = QuarterFeedbackExporter(user=request.user, store=request.store, year=year, quarter=quarter)
        return xlsx_download(
            exporter, action="complaints.export", store=request.store, changes={"year": year, "quarter": quarter}
        )


# --- Vehicle-service reminders and enquiries --------------------------------------------------


class RemindersView(StorePermissionRequiredMixin, TemplateView):
    """The agent's vehicle-service reminders: open ones due in the coming week, overdue first."""

    permission_required = "callbacks.reminders"
    template_name = "complaints/reminders.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        horizon = today + dt.timedelta(days=services.REMINDER_HORIZON_DAYS)
        ctx["reminders"] = (
            ServiceReminder.objects.filter(store=self.request.store, done_at__isnull=True, due_date__lte=horizon)
            .select_related("customer", "order")
            .order_by("due_date", "id")
        )
        ctx["today"] = today
        ctx["form"] = kwargs.get("form") or ReminderDoneForm()
        ctx["failed"] = kwargs.get("failed")
        return ctx


class ReminderDoneView(StorePermissionRequiredMixin, View):
    permission_required = "callbacks.reminders"
    model = ServiceReminder
    http_method_names = ["post"]

    def post(self, request, pk):
        reminder = get_object_or_404(ServiceReminder, store=request.store, pk=pk)
        form = ReminderDoneForm(request.POST)
        skip = request.POST.get("step") == "skip"
        if form.is_valid():
            text = form.cleaned_data["result"]
            try:
                if skip:
                    services.reminder_skip(actor=request.user, reminder=reminder, reason=text)
                else:
                    services.reminder_done(actor=request.user, reminder=reminder, result=text)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Reminder skipped.") if skip else _("Reminder done."))
        else:
            messages.error(request, _("Write down what the customer said."))
        return redirect("complaints:reminders")


class EnquiriesView(StorePermissionRequiredMixin, View):
    """The log of enquiries and help calls: log a new one, answer or pass on the open ones."""

    permission_required = "callbacks.reminders"
    template_name = "complaints/enquiries.html"

    def context(self, form=None) -> dict:
        store = self.request.store
        return {
            "form": form or EnquiryForm(),
            "open": Enquiry.objects.filter(store=store, handled_at__isnull=True).select_related("created_by"),
            "handled": Enquiry.objects.filter(store=store, handled_at__isnull=False).select_related(
                "passed_to", "handled_by"
            )[:50],
            "handle_form": EnquiryHandleForm(colleagues=_colleagues(store)),
        }

    def get(self, request):
        return render(request, self.template_name, self.context())

    def post(self, request):
        form = EnquiryForm(request.POST)
        if form.is_valid():
            try:
                services.enquiry_log(actor=request.user, store=request.store, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Enquiry logged."))
                return redirect("complaints:enquiries")
        return render(request, self.template_name, self.context(form))


def _colleagues(store):
    from accounts.models import User

    return User.objects.filter(memberships__store=store, is_active=True).distinct().order_by("full_name", "username")


class EnquiryHandleView(StorePermissionRequiredMixin, View):
    permission_required = "callbacks.reminders"
    model = Enquiry
    http_method_names = ["post"]

    def post(self, request, pk):
        enquiry = get_object_or_404(Enquiry, store=request.store, pk=pk)
        form = EnquiryHandleForm(request.POST, colleagues=_colleagues(request.store))
        if form.is_valid():
            try:
                services.enquiry_handle(actor=request.user, enquiry=enquiry, **form.cleaned_data)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Enquiry handled."))
        else:
            messages.error(request, _("Write down the answer or why it is passed on."))
        return redirect("complaints:enquiries")


# --- SSI scorecards --------------------------------------------------------------------------


class ScorecardView(StorePermissionRequiredMixin, View):
    """The month's SSI scorecard: build it (customer-service manager, GM), approve it (GM), export it."""

    permission_required = "ssi.view"
    template_name = "complaints/ssi.html"

    def month(self, data) -> dt.date:
        raw = str(data.get("month", ""))
        try:
            return dt.datetime.strptime(raw, "%Y-%m").date()
        except ValueError:
            return timezone.localdate().replace(day=1)

    def get(self, request):
        from accounts.models import Role

        from .exporters import ScorecardExporter
        from .models import Scorecard

        month = self.month(request.GET)
        scorecard = Scorecard.objects.filter(store=request.store, month=month).first()
        role_names = {r.code: r.display_name for r in Role.objects.filter(store=None)}
        lines = (
            [(line, role_names.get(line.role, line.role)) for line in scorecard.lines.select_related("person")]
            if scorecard
            else []
        )
        return render(
            request,
            self.template_name,
            {
                "month": month,
                "scorecard": scorecard,
                "lines": lines,
                "rules": selectors.ssi_settings(request.store),
                "can_edit_rules": "ssi.manage_settings" in request.perms,
                "can_approve": "ssi.approve" in request.perms,
                "can_export": ScorecardExporter.is_allowed(request.user, request.perms),
            },
        )

    def post(self, request):
        from leads.exporters import xlsx_download

        from .exporters import ScorecardExporter
        from .models import Scorecard

        month = self.month(request.POST)
        step = request.POST.get("step", "")
        back = f"{reverse('complaints:ssi')}?month={month:%Y-%m}"
        try:
            if step == "build":
                services.scorecard_build(actor=request.user, store=request.store, month=month)
                messages.success(request, _("Scorecard built."))
            elif step == "approve":
                scorecard = get_object_or_404(Scorecard, store=request.store, month=month)
                services.scorecard_approve(actor=request.user, scorecard=scorecard)
                messages.success(request, _("Scorecard approved."))
            elif step == "export":
                if not ScorecardExporter.is_allowed(request.user, request.perms):
                    raise PermissionDenied
                scorecard = get_object_or_404(Scorecard, store=request.store, month=month)
                exporter = ScorecardExporter(user=request.user, scorecard=scorecard)
                return xlsx_download(
                    exporter, action="complaints.export", store=request.store, changes={"month": f"{month:%Y-%m}"}
                )
            else:
                messages.error(request, _("Choose what to do."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(back)


class SsiSettingsView(StorePermissionRequiredMixin, View):
    """The store's SSI thresholds and its reward and penalty tables per role (used when a month's
    scorecard is built; an approved scorecard keeps what it was built with)."""

    permission_required = "ssi.manage_settings"
    template_name = "complaints/ssi_settings.html"

    def get(self, request):
        initial = SsiSettingsForm.initial_for(
            selectors.ssi_settings(request.store), selectors.ssi_role_rules(request.store)
        )
        return render(request, self.template_name, {"form": SsiSettingsForm(initial=initial)})

    def post(self, request):
        form = SsiSettingsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    services.ssi_settings_save(
                        actor=request.user,
                        store=request.store,
                        penalty_below=data["penalty_below"],
                        reward_from=data["reward_from"],
                        penalty_on_zero_item=data["penalty_on_zero_item"],
                    )
                    services.ssi_role_rules_set(actor=request.user, store=request.store, rules=form.rules())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Settings saved."))
                return redirect("complaints:ssi_settings")
        return render(request, self.template_name, {"form": form})
