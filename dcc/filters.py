"""One FilterSet per DCC list, shared by the HTML page, the API and the Excel export.

Campaign targeting reuses the leads app's ``LeadFilterSet`` (see ``dcc.services.campaign_leads``).
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.dates import day_start
from accounts.models import User
from leads.models import Appointment
from leads.phones import normalize_phone

from .models import Call, CallTask, Outcome, Rule


def _search(queryset, value: str, prefix: str = "lead__customer__"):
    value = (value or "").strip()
    if not value:
        return queryset
    condition = Q(**{f"{prefix}name__icontains": value})
    try:
        condition |= Q(**{f"{prefix}phone": normalize_phone(value)})
    except Exception:  # noqa: BLE001 - not a full number: match on its last digits
        digits = "".join(ch for ch in value if ch.isdigit())
        if len(digits) >= 4:
            condition |= Q(**{f"{prefix}phone__endswith": digits})
    return queryset.filter(condition)


class _StoreAgents:
    def limit_agents(self, store, *names: str) -> None:
        if store is None:
            return
        agents = User.objects.filter(memberships__store=store, memberships__role__code="dcc_agent").distinct()
        for name in names:
            self.filters[name].queryset = agents.order_by("full_name", "username")


class CallTaskFilterSet(_StoreAgents, django_filters.FilterSet):
    """The manager's call-task list (and the API's): by agent, reason, state, due, SLA."""

    WHEN = [("due", _("Due now")), ("later", _("Later")), ("overdue", _("Due before today"))]

    q = django_filters.CharFilter(method="filter_q", label=_("Name or phone"))
    agent = django_filters.ModelChoiceFilter(queryset=User.objects.none(), label=_("Agent"))
    unassigned = django_filters.BooleanFilter(field_name="agent", lookup_expr="isnull", label=_("Unassigned"))
    rule = django_filters.ChoiceFilter(choices=Rule.choices, label=_("Reason"))
    status = django_filters.ChoiceFilter(choices=CallTask.Status.choices, label=_("Status"))
    when = django_filters.ChoiceFilter(choices=WHEN, method="filter_when", label=_("Due"))
    past_sla = django_filters.BooleanFilter(method="filter_past_sla", label=_("Past the first-call SLA"))

    class Meta:
        model = CallTask
        fields = ["q", "agent", "unassigned", "rule", "status", "when", "past_sla"]

    def __init__(self, *args, store=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_agents(store, "agent")

    def filter_q(self, queryset, name, value):
        return _search(queryset, value)

    def filter_when(self, queryset, name, value):
        now = timezone.now()
        return {
            "due": queryset.filter(due_at__lte=now),
            "later": queryset.filter(due_at__gt=now),
            "overdue": queryset.filter(due_at__lt=day_start(timezone.localdate())),
        }.get(value, queryset)

    def filter_past_sla(self, queryset, name, value):
        if value is None:
            return queryset
        past = Q(sla_due_at__lt=timezone.now(), first_call_at__isnull=True) | Q(sla_breached_at__isnull=False)
        return queryset.filter(past) if value else queryset.exclude(past)


class CallFilterSet(_StoreAgents, django_filters.FilterSet):
    """Calls by agent, direction, outcome and day (the calls export and API)."""

    q = django_filters.CharFilter(method="filter_q", label=_("Name or phone"))
    agent = django_filters.ModelChoiceFilter(queryset=User.objects.none(), label=_("Agent"))
    direction = django_filters.ChoiceFilter(choices=Call.Direction.choices, label=_("Direction"))
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices, label=_("Outcome"))
    date_from = django_filters.DateFilter(method="filter_from", label=_("From"))
    date_to = django_filters.DateFilter(method="filter_to", label=_("To"))

    class Meta:
        model = Call
        fields = ["q", "agent", "direction", "outcome", "date_from", "date_to"]

    def __init__(self, *args, store=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_agents(store, "agent")

    def filter_q(self, queryset, name, value):
        return _search(queryset, value)

    def filter_from(self, queryset, name, value):
        return queryset.filter(started_at__gte=day_start(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(started_at__lt=day_start(value + dt.timedelta(days=1)))


class InvitationFilterSet(django_filters.FilterSet):
    """DCC invitations (appointments) by status, day and inviting agent."""

    q = django_filters.CharFilter(method="filter_q", label=_("Name or phone"))
    status = django_filters.ChoiceFilter(choices=Appointment.Status.choices, label=_("Status"))
    date_from = django_filters.DateFilter(method="filter_from", label=_("From"))
    date_to = django_filters.DateFilter(method="filter_to", label=_("To"))
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Invited by me"))

    class Meta:
        model = Appointment
        fields = ["q", "status", "date_from", "date_to", "mine"]

    def filter_q(self, queryset, name, value):
        return _search(queryset, value)

    def filter_from(self, queryset, name, value):
        return queryset.filter(scheduled_at__gte=day_start(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(scheduled_at__lt=day_start(value + dt.timedelta(days=1)))

    def filter_mine(self, queryset, name, value):
        if not value or self.request is None:
            return queryset
        return queryset.filter(Q(created_by=self.request.user) | Q(receiver=self.request.user))
