"""The query conditions of a report: the period, the stores (group users may pick several or all),
and the filters the report offers. Invalid input keeps what was typed and says what is wrong."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Store, User
from catalog.models import Series
from leads.models import Source

from .base import Report
from .query import ReportQuery, month_bounds, people_scope

MAX_DAYS = 3 * 366 + 1


def store_choices(user: User, permission: str):
    return Store.objects.filter(pk__in=user.store_ids_with_perm(permission), is_active=True).order_by("name")


class ReportQueryForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    stores = forms.ModelMultipleChoiceField(
        label=_("Stores"), queryset=Store.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    consultant = forms.ModelChoiceField(
        label=_("Consultant"), queryset=User.objects.none(), required=False, empty_label=_("Everybody")
    )
    source = forms.ModelChoiceField(
        label=_("Source"), queryset=Source.objects.none(), required=False, empty_label=_("Any")
    )
    series = forms.ModelChoiceField(
        label=_("Series"), queryset=Series.objects.none(), required=False, empty_label=_("Any")
    )

    def __init__(self, data=None, *, user: User, store: Store, report: type[Report], today: dt.date | None = None):
        today = today or timezone.localdate()
        first, _last = month_bounds(today)
        self.user, self.current_store, self.report = user, store, report
        if data is not None and not any(key in data for key in ("date_from", "date_to", "stores", "consultant")):
            data = None  # the first visit: show the default query
        initial = {"date_from": first, "date_to": today, "stores": [store.pk] if store else []}
        super().__init__(data, initial=initial)
        self.store_queryset = store_choices(user, report.required_permission)
        self.fields["stores"].queryset = self.store_queryset
        if len(self.store_queryset) <= 1:
            del self.fields["stores"]
        if "consultant" in report.filters and self._sees_others():
            self.fields["consultant"].queryset = (
                User.objects.filter(
                    Q(memberships__store__in=self.store_queryset)
                    | Q(memberships__group__stores__in=self.store_queryset),
                    is_active=True,
                    memberships__role__permissions__code="leads.own",
                )
                .distinct()
                .order_by("full_name", "username")
            )
        else:
            del self.fields["consultant"]
        if "source" in report.filters:
            self.fields["source"].queryset = (
                Source.objects.filter(is_active=True).select_related("parent").order_by("sort_order", "name")
            )
        else:
            del self.fields["source"]
        if "series" in report.filters:
            self.fields["series"].queryset = (
                Series.objects.filter(is_active=True).select_related("brand").order_by("brand__name", "name")
            )
        else:
            del self.fields["series"]
        for option in report.options:
            self.fields[option.key] = forms.ChoiceField(
                label=option.label, choices=option.choices, initial=option.default, required=False
            )

    def _sees_others(self) -> bool:
        return any(people_scope(self.user, store.pk) != frozenset({self.user.pk}) for store in self.store_queryset)

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last:
            if first > last:
                self.add_error("date_to", _("The end date is before the start date."))
            elif (last - first).days + 1 > MAX_DAYS:
                self.add_error("date_to", _("A report covers at most three years."))
        return cleaned

    def chosen_stores(self) -> tuple[Store, ...]:
        chosen = list(self.cleaned_data.get("stores") or []) if "stores" in self.fields else []
        if not chosen:
            chosen = [store for store in self.store_queryset if store.pk == self.current_store.pk] or list(
                self.store_queryset[:1]
            )
        return tuple(chosen)

    def to_query(self) -> ReportQuery:
        """The query of a valid form, or of the defaults when the form was not submitted."""
        if self.is_bound:
            data = self.cleaned_data
        else:
            data = {"date_from": self.initial["date_from"], "date_to": self.initial["date_to"]}
            self.cleaned_data = {}
        source = data.get("source")
        source_ids: tuple[int, ...] = ()
        if source is not None:
            source_ids = (source.pk, *Source.objects.filter(parent=source).values_list("pk", flat=True))
        series = data.get("series")
        return ReportQuery(
            user=self.user,
            stores=self.chosen_stores(),
            first=data["date_from"],
            last=data["date_to"],
            consultant=data.get("consultant"),
            source_ids=source_ids,
            series_id=series.pk if series else None,
            extra=self.report.option_extra(data),
        )
