"""The store dashboard, the group dashboard and the sales targets page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import StorePermissionRequiredMixin

from . import services
from .charts import render as render_chart
from .dashboard import MEASURES, TARGET_FORMULAS, TARGET_ROWS, group_dashboard, store_dashboard
from .dashboard_forms import (
    ConsultantTargetFormSet,
    DashboardForm,
    GroupDashboardForm,
    StoreTargetForm,
    TargetMonthForm,
)
from .models import SalesTarget

DASHBOARD_PERMISSION = "reports.dashboard"


def is_group_user(request) -> bool:
    """A user with a group-wide membership (cached on the request: the menu asks on every page)."""
    return bool(request.user.is_authenticated and request.user.group_ids())


class StoreDashboardView(StorePermissionRequiredMixin, TemplateView):
    """The store dashboard: the period's funnel, rates, DCC, customer service, info clerks and targets."""

    permission_required = DASHBOARD_PERMISSION
    template_name = "reports/dashboard.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = DashboardForm(self.request.GET or None, user=self.request.user, store=self.request.store)
        ctx["form"] = form
        if form.is_bound and not form.is_valid():
            return ctx
        dashboard = store_dashboard(form.to_query(), self.request.store)
        ctx.update(
            dashboard=dashboard,
            figures=dashboard.figures,
            conditions=dashboard.query.describe(),
            funnel_chart=render_chart(dashboard.funnel_chart),
            sales_chart=render_chart(dashboard.sales_chart),
            complaints_chart=render_chart(dashboard.complaints_chart),
            formulas=[MEASURES[key] for key in FOOTNOTES],
            target_formulas=TARGET_FORMULAS,
            group_url=reverse("reports:group_dashboard") if is_group_user(self.request) else "",
        )
        return ctx


# The figures whose formulas the page lists as footnotes (each also shows its own on hover).
FOOTNOTES = [
    "captured",
    "filed",
    "invited",
    "arrived",
    "orders",
    "deliveries",
    "closing_rate",
    "first_visit_deals",
    "follow_up_deals",
    "retention_rate",
    "punctuality",
    "lost_rate",
    "valid_rate",
    "dcc_arrival_rate",
    "showroom_arrival_rate",
    "dcc_orders",
    "complaint_sla",
    "callback_completion",
    "ssi",
    "clerk_accuracy",
    "clerk_timeliness",
]


class GroupDashboardView(StorePermissionRequiredMixin, TemplateView):
    """For a group user: the headline figures of every store where they may see the dashboard,
    side by side, with a total column."""

    template_name = "reports/dashboard_group.html"

    def has_permission(self) -> bool:
        return (
            self.request.store is not None
            and is_group_user(self.request)
            and bool(self.request.user.store_ids_with_perm(DASHBOARD_PERMISSION))
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = GroupDashboardForm(self.request.GET or None, user=self.request.user, store=self.request.store)
        ctx["form"] = form
        if form.is_bound and not form.is_valid():
            return ctx
        query = form.to_query()
        base = reverse("reports:dashboard")
        dates = [("date_from", query.first.isoformat()), ("date_to", query.last.isoformat())]

        def dashboard_url(store_ids):
            return f"{base}?{urlencode([*dates, *[('stores', pk) for pk in store_ids]])}"

        columns, rows = group_dashboard(query, dashboard_url)
        ctx.update(query=query, conditions=query.describe(), columns=columns, rows=rows, target_rows=TARGET_ROWS)
        return ctx


class TargetsView(StorePermissionRequiredMixin, View):
    """Monthly sales targets (orders): the store's and each consultant's, in one form."""

    permission_required = "reports.set_targets"
    template_name = "reports/targets.html"

    def people(self, month):
        return services.target_people(self.request.store, month)

    def forms(self, month, data=None):
        people = self.people(month)
        existing = {
            row.consultant_id: row.units for row in SalesTarget.objects.filter(store=self.request.store, month=month)
        }
        store_form = StoreTargetForm(data, prefix="store", initial={"units": existing.get(None)})
        formset = ConsultantTargetFormSet(
            data,
            prefix="targets",
            initial=[{"consultant": person.pk, "units": existing.get(person.pk)} for person in people],
            form_kwargs={"people": people},
        )
        return store_form, formset, people

    def page(self, month_form, month, store_form, formset, people, status=200):
        for form in [store_form, *formset.forms]:
            for name in form.errors:
                if name in form.fields:
                    widget = form.fields[name].widget
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
        names = {person.pk: str(person) for person in people}
        rows = [(form, names.get(_as_int(form["consultant"].value()), "—")) for form in formset.forms]
        typed = [form.cleaned_data.get("units") for form in formset.forms if getattr(form, "cleaned_data", None)]
        return render(
            self.request,
            self.template_name,
            {
                "month_form": month_form,
                "month": month,
                "store_form": store_form,
                "formset": formset,
                "rows": rows,
                "consultant_total": sum(units or 0 for units in typed) if formset.is_bound else None,
                "dashboard_url": f"{reverse('reports:dashboard')}?{urlencode(_month_dates(month))}",
            },
            status=status,
        )

    def get(self, request):
        month_form = TargetMonthForm(request.GET if "month" in request.GET else None)
        month = month_form.chosen()
        store_form, formset, people = self.forms(month)
        return self.page(month_form, month, store_form, formset, people)

    def post(self, request):
        month_form = TargetMonthForm(request.POST)
        if not month_form.is_valid():
            month = month_form.initial["month"]
            store_form, formset, people = self.forms(month)
            return self.page(month_form, month, store_form, formset, people, status=400)
        month = month_form.cleaned_data["month"]
        store_form, formset, people = self.forms(month, request.POST)
        if store_form.is_valid() and formset.is_valid():
            try:
                changes = services.target_set(
                    actor=request.user,
                    store=request.store,
                    month=month,
                    store_units=store_form.cleaned_data["units"],
                    consultant_units=formset.targets(),
                )
            except ValidationError as error:
                store_form.add_error(None, error)
            else:
                if changes:
                    messages.success(request, _("Targets saved."))
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect(f"{reverse('reports:targets')}?month={month:%Y-%m}")
        return self.page(month_form, month, store_form, formset, people, status=400)


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _month_dates(month) -> dict:
    from .query import month_bounds

    first, last = month_bounds(month)
    return {"date_from": first.isoformat(), "date_to": last.isoformat()}
