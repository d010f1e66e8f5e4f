"""Pages of sales supervisors and managers: the lead list with bulk actions and Excel export,
approvals of lost and invalid requests, merging duplicates, follow-up records with comments (批复),
the shared pool (公海) and the store's lead settings.

Every page sits behind ``StorePermissionRequiredMixin`` with its permission in the current store;
every object is looked up in a queryset narrowed by ``visible_to`` and ``request.store``, so another
store's record is a 404. Every write goes through ``leads.services``; a service's ValidationError
comes back as a field error or a message, never as a 500.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import FormView, ListView, TemplateView

from accounts.dates import day_start
from accounts.mixins import StorePermissionRequiredMixin
from accounts.models import User

from . import services
from .exporters import LeadListExporter, xlsx_download
from .filters import FollowUpFilterSet, LeadFilterSet
from .manage_forms import (
    BulkDccForm,
    BulkFleetForm,
    BulkReassignForm,
    CustomerSearchForm,
    DecisionForm,
    FollowUpCommentForm,
    LeadReopenForm,
    LeadSettingsForm,
    LostReasonForm,
    MergeForm,
    SourceForm,
    bootstrap,
    series_select,
)
from .models import (
    OPEN_STATUSES,
    Customer,
    FollowUp,
    FollowUpComment,
    Grade,
    Lead,
    LeadStatus,
    LostReason,
    LostRequest,
    Source,
)
from .phones import normalize_phone
from .selectors import (
    LEAD_ROW_FIELDS,
    OWNER_ROW_FIELDS,
    SOURCE_CHOICES_KEY,
    display_phone,
    lead_grade_counts,
    lead_owners,
    lead_rows,
    lead_settings,
    pending_requests_for,
    pool_claims_today,
    pool_leads,
    suggested_duplicates,
    url_for_pk,
)
from .widgets import cached_model_choices, fast_choice_widgets

PAGE_SIZE = 50
# Boolean filters also accept 1/0, as in the links of notifications (/leads/list/?overdue=1).
BOOLEAN_PARAMS = {"open", "overdue", "in_pool", "is_fleet", "with_dcc", "uncommented"}
NOT_FILTERS = {"after", "page", "tab", "csrfmiddlewaretoken"}


# --- helpers ---------------------------------------------------------------------------------


def add_service_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError on the form: on its field when the form has it, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def error_texts(exc: ValidationError) -> list[str]:
    return [str(message) for message in exc.messages]


def filter_query(params: QueryDict) -> QueryDict:
    """The list filters of a request: paging keys dropped, 1/0 spelled as the filters expect."""
    query = params.copy()
    for key in NOT_FILTERS:
        query.pop(key, None)
    for key in BOOLEAN_PARAMS & set(query):
        query.setlist(key, [{"1": "true", "0": "false"}.get(v, v) for v in query.getlist(key)])
    return query


def filters_for_audit(query: QueryDict) -> dict[str, object]:
    return {key: values[0] if len(values) == 1 else values for key, values in query.lists() if any(values)}


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def encode_cursor(value: dt.datetime | None, pk: int) -> str:
    """A keyset position as text: microseconds since 1970 (or ``n`` for empty) and the id."""
    micros = "n" if value is None else str((value - _EPOCH) // dt.timedelta(microseconds=1))
    return f"{micros}_{pk}"


def decode_cursor(raw: str | None) -> tuple[dt.datetime | None, int] | None:
    if not raw or "_" not in raw:
        return None
    micros, _sep, pk = raw.partition("_")
    try:
        value = None if micros == "n" else _EPOCH + dt.timedelta(microseconds=int(micros))
        return value, int(pk)
    except (ValueError, OverflowError):
        return None


def keyset_page(queryset: QuerySet, field: str, cursor: str | None, *, descending: bool = False, size: int = PAGE_SIZE):
    """One page ordered by (``field``, id), empty values last, and the cursor of the next page.

    Keyset paging costs the same on page 1 and page 1,000 and needs no COUNT(*) over the store.
    """
    if descending:
        queryset = queryset.order_by(F(field).desc(nulls_last=True), "-id")
    else:
        queryset = queryset.order_by(F(field).asc(nulls_last=True), "id")
    position = decode_cursor(cursor)
    if position is None:
        rows = list(queryset[: size + 1])
    else:
        value, pk = position
        from_, id_at_most = ("lte", "gte") if descending else ("gte", "lte")
        id_after = "lt" if descending else "gt"
        if value is None:
            rows = list(queryset.filter(**{f"{field}__isnull": True, f"id__{id_after}": pk})[: size + 1])
        else:
            # The rows after the cursor that have a value, as one range of the (field, id) index read in
            # order (an OR with the empty ones would make the database filter every row before the
            # cursor); then, when the page is not full yet, the rows without a value.
            rows = list(
                queryset.filter(**{f"{field}__{from_}": value}).exclude(**{field: value, f"id__{id_at_most}": pk})[
                    : size + 1
                ]
            )
            if len(rows) <= size:
                rows += list(queryset.filter(**{f"{field}__isnull": True})[: size + 1 - len(rows)])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        if isinstance(last, dict):  # a .values() queryset
            next_cursor = encode_cursor(last[field], last["id"])
        else:
            next_cursor = encode_cursor(getattr(last, field), last.pk)
    return rows, next_cursor


def team_member_ids(user: User, store) -> set[int]:
    return set(user.supervised_teams.filter(store=store).values_list("members__id", flat=True)) - {None}


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _parse_ids(values: Iterable[str]) -> list[int]:
    ids: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                raise Http404
            if int(part) not in ids:
                ids.append(int(part))
    return ids


# --- Lead list -------------------------------------------------------------------------------


class ManagedLeadsMixin(StorePermissionRequiredMixin):
    """Leads the user may reassign in the current store: the supervisor's team, the manager's store."""

    permission_required = "leads.reassign"

    def managed_leads(self) -> QuerySet[Lead]:
        return Lead.objects.visible_to(self.request.user, "leads.reassign").filter(store=self.request.store)

    def owner_choices(self) -> QuerySet[User]:
        """Who leads may go to: anyone who owns leads in the store, or, for a supervisor, the team."""
        owners = lead_owners(self.request.store)
        if "leads.view_all" not in self.request.perms:
            owners = owners.filter(
                pk__in=team_member_ids(self.request.user, self.request.store) | {self.request.user.pk}
            )
        return owners

    def lead_filterset(self, query: QueryDict) -> LeadFilterSet:
        """The list's FilterSet; the page, the "load more" rows and the Excel file all use this one.

        Merged leads only point at the lead they went into: shown only when asked for by status.
        """
        leads = self.managed_leads()
        if LeadStatus.MERGED not in query.getlist("status"):
            leads = leads.exclude(status=LeadStatus.MERGED)
        return LeadFilterSet(query, queryset=leads, store=self.request.store)


class LeadListView(ManagedLeadsMixin, ListView):
    """客户信息列表: the team's or the store's leads, filtered, with bulk actions and Excel export."""

    model = Lead
    template_name = "leads/manage/lead_list.html"
    partial_template_name = "leads/manage/_lead_rows.html"
    action = ""  # the bulk action whose form failed, on a re-shown list

    def get_filterset(self) -> LeadFilterSet:
        if not hasattr(self, "_filterset"):
            self.query = filter_query(self.request.GET)
            self._filterset = self.lead_filterset(self.query)
            form = bootstrap(self._filterset.form)
            for name in ("created_after", "created_before"):
                form.fields[name].widget.input_type = "date"
            for name in ("grade", "status"):
                form.fields[name].widget.attrs["size"] = 3
            series_select(form)
            cached_model_choices(form.fields["source"], SOURCE_CHOICES_KEY)
            cached_model_choices(form.fields["owner"], f"leads:choices:owner-filter:{self.request.store.pk}")
            fast_choice_widgets(form)
        return self._filterset

    def get_queryset(self):
        return self.get_filterset().qs

    def get_template_names(self):
        if self.request.htmx and self.request.GET.get("after"):
            return [self.partial_template_name]
        return [self.template_name]

    def bulk_forms(self, failed=None) -> dict:
        """The three action forms of the list; the one that failed is bound, the others keep its input."""
        data = failed.data if failed is not None else None
        initial = {key: data.get(key) for key in ("to_user", "reason", "company_name", "note")} if data else {}
        leads = self.managed_leads()
        forms = {
            "reassign": BulkReassignForm(leads=leads, owners=self.owner_choices(), initial=initial),
            "fleet": BulkFleetForm(leads=leads, initial=initial),
            "dcc": BulkDccForm(leads=leads, initial=initial),
        }
        if failed is not None:
            forms[self.action] = failed
        # Who leads may go to: the store's owners, or a supervisor's own team (cached per person).
        scope = "store" if "leads.view_all" in self.request.perms else f"user-{self.request.user.pk}"
        cached_model_choices(
            forms["reassign"].fields["to_user"], f"leads:choices:lead-owners:{self.request.store.pk}:{scope}"
        )
        fast_choice_widgets(forms["reassign"])
        return forms

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = self.get_filterset()
        failed = kwargs.get("failed_form")
        selected = set(failed.data.getlist("leads")) if failed is not None else set()
        query = self.query.copy()
        perms = self.request.perms
        can_reassign = "leads.reassign" in perms
        rows, next_cursor = keyset_page(
            self.object_list.values(*LEAD_ROW_FIELDS, *OWNER_ROW_FIELDS),
            "next_follow_up_at",
            self.request.GET.get("after"),
        )
        user = self.request.user
        rows = lead_rows(rows, user=user, today_start=day_start(timezone.localdate()))
        reopen_url = url_for_pk("leads:lead_reopen")
        for row in rows:
            row["checked"] = str(row["id"]) in selected
            row["reopen_url"] = reopen_url(row["id"]) if row["status"] == LeadStatus.LOST and can_reassign else ""
        context.update(
            filter=filterset,
            rows=rows,
            selected=selected,
            next_cursor=next_cursor,
            query=query.urlencode(),
            next_url=f"?{urlencode([*query.lists(), ('after', next_cursor)], doseq=True)}" if next_cursor else "",
            is_later_page=bool(self.request.GET.get("after")),
            can_reassign=can_reassign,
            can_fleet="leads.fleet" in perms,
            can_dcc="leads.hand_to_dcc" in perms,
            can_export=LeadListExporter.is_allowed(user, perms),
            bulk_failed=failed is not None,
            status_lost=query.getlist("status") == [LeadStatus.LOST],
            **self.bulk_forms(failed),
        )
        if not context["is_later_page"]:
            grade_query = query.copy()
            grade_query.pop("grade", None)
            scope = "store" if "leads.view_all" in perms else f"user-{user.pk}"
            filters = hashlib.sha256(urlencode(sorted(grade_query.lists()), doseq=True).encode()).hexdigest()[:32]
            counts = lead_grade_counts(
                self._grade_free_queryset(),
                cache_key=f"leads:grade-counts:{self.request.store.pk}:{scope}:{filters}",
            )
            context["grade_counts"] = [
                (
                    grade,
                    counts[grade.value],
                    f"?{urlencode([*grade_query.lists(), ('grade', grade.value)], doseq=True)}",
                )
                for grade in Grade
                if counts[grade.value] or grade.value in query.getlist("grade")
            ]
            context["open_count"] = sum(counts.values())
            context["all_grades_url"] = f"?{grade_query.urlencode()}"
        context["forms"] = {k: context[k] for k in ("reassign", "fleet", "dcc")}
        return context

    def _grade_free_queryset(self) -> QuerySet[Lead]:
        """The filtered leads without the grade filter, so each grade chip shows its own count."""
        filterset = self.get_filterset()
        filterset.is_valid()  # the cleaned data below needs the form validated
        leads = filterset.queryset.all()
        for name, value in filterset.form.cleaned_data.items():
            if name != "grade":
                leads = filterset.filters[name].filter(leads, value)
        return leads


class LeadBulkActionView(LeadListView):
    """POST from the list's bulk panel; on an error the list is shown again with the input kept."""

    http_method_names = ["post"]
    form_class: type = BulkReassignForm

    def get_form(self):
        return self.form_class(data=self.request.POST, **self.form_kwargs())

    def form_kwargs(self) -> dict:
        return {"leads": self.managed_leads()}

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_valid():
            try:
                text, level = self.perform(form)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.add_message(request, level, text)
                return HttpResponseRedirect(self.list_url())
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(failed_form=form))

    def list_url(self) -> str:
        query = filter_query(self.request.GET).urlencode()
        return reverse("leads:lead_list") + (f"?{query}" if query else "")

    def perform(self, form) -> tuple[str, int]:
        raise NotImplementedError


class LeadBulkReassignView(LeadBulkActionView):
    action = "reassign"

    def form_kwargs(self):
        return {**super().form_kwargs(), "owners": self.owner_choices()}

    def perform(self, form):
        leads = list(form.cleaned_data["leads"])
        to_user = form.cleaned_data["to_user"]
        moved = services.lead_reassign(
            actor=self.request.user, leads=leads, to_user=to_user, reason=form.cleaned_data["reason"]
        )
        text = ngettext("%(count)d lead given to %(user)s.", "%(count)d leads given to %(user)s.", moved) % {
            "count": moved,
            "user": to_user,
        }
        if moved < len(leads):
            text += " " + _("%(count)d already belonged to them.") % {"count": len(leads) - moved}
        return text, messages.SUCCESS


class LeadBulkFleetView(LeadBulkActionView):
    permission_required = "leads.fleet"
    action = "fleet"
    form_class = BulkFleetForm

    def perform(self, form):
        upgraded = skipped = 0
        for lead in form.cleaned_data["leads"].select_related("customer"):
            if lead.is_fleet or lead.status not in OPEN_STATUSES:
                skipped += 1
                continue
            services.lead_upgrade_fleet(
                actor=self.request.user, lead=lead, company_name=form.cleaned_data["company_name"].strip()
            )
            upgraded += 1
        text = ngettext("%(count)d lead upgraded to fleet.", "%(count)d leads upgraded to fleet.", upgraded) % {
            "count": upgraded
        }
        if skipped:
            text += " " + _("%(count)d skipped: already fleet or closed.") % {"count": skipped}
        return text, messages.SUCCESS if upgraded else messages.WARNING


class LeadBulkDccView(LeadBulkActionView):
    permission_required = "leads.hand_to_dcc"
    action = "dcc"
    form_class = BulkDccForm

    def perform(self, form):
        leads = list(form.cleaned_data["leads"].select_related("customer"))
        handed = services.lead_hand_to_dcc(actor=self.request.user, leads=leads, note=form.cleaned_data["note"])
        text = ngettext("%(count)d lead handed to the DCC.", "%(count)d leads handed to the DCC.", handed) % {
            "count": handed
        }
        if handed < len(leads):
            text += " " + _("%(count)d skipped: already with the DCC or closed.") % {"count": len(leads) - handed}
        return text, messages.SUCCESS if handed else messages.WARNING


class LeadExportView(ManagedLeadsMixin, TemplateView):
    """The filtered lead list as .xlsx: per-user export grant plus the list permission; audited."""

    model = Lead
    http_method_names = ["post"]
    exporter_class = LeadListExporter

    def has_permission(self) -> bool:
        return super().has_permission() and self.exporter_class.is_allowed(self.request.user, self.request.perms)

    def post(self, request, *args, **kwargs):
        query = filter_query(request.GET)
        exporter = self.exporter_class(user=request.user, queryset=self.lead_filterset(query).qs)
        return xlsx_download(
            exporter, action="leads.export", store=request.store, changes={"filters": filters_for_audit(query)}
        )


class LeadReopenView(ManagedLeadsMixin, FormView):
    """战败激活: an approved-lost lead goes back to following, to its owner or someone else."""

    model = Lead
    form_class = LeadReopenForm
    template_name = "leads/manage/lead_reopen.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated or not self.has_permission():
            return super().dispatch(request, *args, **kwargs)
        self.lead = get_object_or_404(self.managed_leads().select_related("customer", "owner"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["owners"] = self.owner_choices()
        return kwargs

    def get_initial(self):
        if self.lead.owner_id and self.owner_choices().filter(pk=self.lead.owner_id).exists():
            return {"to_user": self.lead.owner_id}
        return {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["lead"] = self.lead
        context["phone"] = display_phone(self.request.user, self.lead)
        context["last_request"] = (
            self.lead.lost_requests.filter(status=LostRequest.Status.APPROVED).select_related("reason").last()
        )
        return context

    def form_valid(self, form):
        try:
            services.lead_reopen(
                actor=self.request.user,
                lead=self.lead,
                to_user=form.cleaned_data["to_user"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(name)s is being followed again, by %(user)s.")
            % {"name": self.lead.customer.name, "user": form.cleaned_data["to_user"]},
        )
        return redirect(safe_next(self.request, reverse("leads:lead_list") + "?status=lost"))


# --- Approvals -----------------------------------------------------------------------------------


class ApprovalListView(StorePermissionRequiredMixin, ListView):
    """Lost and invalid requests waiting for this user, and the ones decided (with decision time)."""

    permission_required = "leads.approve_lost"
    model = LostRequest
    template_name = "leads/manage/approvals.html"
    paginate_by = PAGE_SIZE

    @property
    def tab(self) -> str:
        return "decided" if self.request.GET.get("tab") == "decided" else "pending"

    def get_queryset(self):
        user, store = self.request.user, self.request.store
        if self.tab == "pending":
            return (
                pending_requests_for(user)
                .filter(store=store)
                .annotate(follow_up_count=Count("lead__follow_ups"))
                .prefetch_related(
                    Prefetch(
                        "lead__follow_ups",
                        queryset=FollowUp.objects.select_related("author").order_by("-created_at", "-id")[:3],
                        to_attr="recent_follow_ups",
                    )
                )
                .order_by("requested_at", "id")
            )
        return (
            LostRequest.objects.filter(
                store=store,
                lead__in=Lead.objects.visible_to(user, "leads.approve_lost"),
                status__in=[LostRequest.Status.APPROVED, LostRequest.Status.REJECTED],
            )
            .select_related("lead__customer", "lead__owner", "reason", "requested_by", "decided_by")
            .order_by("-decided_at", "-id")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        bound = kwargs.get("bound_forms", {})
        requests = list(context["object_list"])
        for request in requests:
            request.form = bound.get(request.pk) or DecisionForm(prefix=f"r{request.pk}")
            if request.decided_at:
                request.decision_took = timesince(request.requested_at, request.decided_at)
            request.can_reopen = (
                request.status == LostRequest.Status.APPROVED
                and request.kind == LostReason.Kind.LOST
                and request.lead.status == LeadStatus.LOST
                and "leads.reassign" in self.request.perms
            )
        context.update(requests=requests, tab=self.tab)
        return context


class ApprovalDecideView(ApprovalListView):
    """Approve or reject one request; htmx swaps the card, a plain POST redirects back."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        lost_request = get_object_or_404(
            LostRequest.objects.filter(
                store=request.store, lead__in=Lead.objects.visible_to(request.user, "leads.approve_lost")
            ).select_related("lead__customer", "lead__owner", "reason", "requested_by"),
            pk=kwargs["pk"],
        )
        form = DecisionForm(request.POST, prefix=f"r{lost_request.pk}")
        if form.is_valid():
            comment = form.cleaned_data["comment"]
            try:
                if form.cleaned_data["decision"] == DecisionForm.APPROVE:
                    services.lost_request_approve(actor=request.user, request=lost_request, comment=comment)
                    text = _("Approved: %(name)s is closed.") % {"name": lost_request.lead.customer.name}
                else:
                    services.lost_request_reject(actor=request.user, request=lost_request, comment=comment)
                    text = _("Rejected: %(name)s goes back to %(user)s with a task.") % {
                        "name": lost_request.lead.customer.name,
                        "user": lost_request.lead.owner or lost_request.requested_by,
                    }
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if request.htmx:
                    lost_request.refresh_from_db()
                    lost_request.decision_took = timesince(lost_request.requested_at, lost_request.decided_at)
                    return self.response_class(
                        request=request,
                        template=["leads/manage/_approval_done.html"],
                        context={"req": lost_request, "text": text},
                    )
                messages.success(request, text)
                return redirect("leads:approvals")
        if request.htmx:
            lost_request.form = form
            return self.response_class(
                request=request, template=["leads/manage/_approval_card.html"], context={"req": lost_request}
            )
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(bound_forms={lost_request.pk: form}))


# --- Merge -------------------------------------------------------------------------------------


def customer_search(store, q: str, limit: int = 30) -> QuerySet[Customer]:
    """Active customers of the store by name, full phone or the last digits of a phone."""
    q = q.strip()
    customers = Customer.objects.filter(store=store).active()
    if not q:
        return customers.none()
    condition = Q(name__icontains=q) | Q(wechat=q)
    try:
        condition |= Q(phone=normalize_phone(q))
    except ValidationError:
        digits = "".join(ch for ch in q if ch.isdigit())
        if len(digits) >= 4:
            condition |= Q(phone__endswith=digits) | Q(phone2__endswith=digits)
    return customers.filter(condition).order_by("name", "id")[:limit]


def _customer_facts(user: User, customers: list[Customer]) -> None:
    """What a manager needs to pick duplicates: masked phone, leads, fleet and order flags."""
    leads = Lead.objects.filter(customer__in=customers).select_related("owner").order_by("-created_at")
    per_customer: dict[int, list[Lead]] = {}
    for lead in leads:
        per_customer.setdefault(lead.customer_id, []).append(lead)
    for customer in customers:
        customer.lead_list = per_customer.get(customer.pk, [])
        customer.phone_display = display_phone(user, customer) if customer.phone else ""
        customer.has_order = any(
            lead.status in (LeadStatus.ORDERED, LeadStatus.DELIVERED) for lead in customer.lead_list
        )


class MergeSuggestionsView(StorePermissionRequiredMixin, TemplateView):
    """合并: suggested duplicates (same name and similar phone, same WeChat) and a search to pick more."""

    permission_required = "leads.merge"
    model = Customer
    template_name = "leads/manage/merge_suggestions.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        seen, pairs = set(), []
        for pair in suggested_duplicates(self.request.store):
            key = frozenset({pair.first.pk, pair.second.pk})
            if key not in seen:
                seen.add(key)
                pairs.append(pair)
        customers = {c.pk: c for pair in pairs for c in (pair.first, pair.second)}
        _customer_facts(self.request.user, list(customers.values()))
        search = bootstrap(CustomerSearchForm(self.request.GET or None))
        results = []
        if search.is_bound and search.is_valid():
            results = list(customer_search(self.request.store, search.cleaned_data["q"]))
            _customer_facts(self.request.user, results)
        context.update(
            pairs=[(pair, customers[pair.first.pk], customers[pair.second.pk]) for pair in pairs],
            search=search,
            results=results,
        )
        return context


class MergePickView(StorePermissionRequiredMixin, TemplateView):
    """Choose the surviving customer and, field by field, the values it keeps; then merge."""

    permission_required = "leads.merge"
    model = Customer
    template_name = "leads/manage/merge_pick.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated or not self.has_permission():
            return super().dispatch(request, *args, **kwargs)
        ids = _parse_ids(request.GET.getlist("ids"))
        if len(ids) < 2:
            messages.warning(request, _("Choose at least two customers to merge."))
            return redirect("leads:merge_suggestions")
        found = {c.pk: c for c in Customer.objects.filter(store=request.store, pk__in=ids).active()}
        if len(found) != len(ids):
            raise Http404
        self.customers = [found[pk] for pk in ids]
        _customer_facts(request.user, self.customers)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = kwargs.get("form") or MergeForm(customers=self.customers)
        rows = []
        for name in services.MERGEABLE_FIELDS:
            bound = form[f"value_{name}"]
            cells = []
            for option, customer in zip(bound, self.customers, strict=True):
                value = customer.phone_display if name == "phone" else getattr(customer, name)
                if name == "phone2" and value:
                    value = display_phone(self.request.user, customer, value)
                if isinstance(value, bool):
                    value = _("Yes") if value else _("No")
                cells.append((option, value))
            rows.append((bound, cells))
        context.update(
            form=form,
            customers=self.customers,
            survivor_options=list(zip(form["survivor"], self.customers, strict=True)),
            rows=rows,
            blocked=[c for c in self.customers if c.is_fleet or c.has_order],
        )
        return context

    def post(self, request, *args, **kwargs):
        form = MergeForm(request.POST, customers=self.customers)
        if form.is_valid():
            survivor_id, absorbed_ids, values = form.merge_arguments()
            by_id = {c.pk: c for c in self.customers}
            try:
                survivor = services.customer_merge(
                    actor=request.user,
                    survivor=by_id[survivor_id],
                    absorbed=[by_id[pk] for pk in absorbed_ids],
                    values=values,
                )
            except ValidationError as exc:
                for text in error_texts(exc):
                    messages.error(request, text)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d customer merged into %(name)s.",
                        "%(count)d customers merged into %(name)s.",
                        len(absorbed_ids),
                    )
                    % {"count": len(absorbed_ids), "name": survivor.name},
                )
                return redirect("leads:merge_suggestions")
        return self.render_to_response(self.get_context_data(form=form))


# --- Follow-up records -----------------------------------------------------------------------------


class FollowUpListView(StorePermissionRequiredMixin, ListView):
    """跟进活动: follow-ups on the leads the user oversees, by consultant and date, with comments."""

    permission_required = "leads.comment"
    model = FollowUp
    template_name = "leads/manage/followup_list.html"
    partial_template_name = "leads/manage/_followup_rows.html"

    def scoped_follow_ups(self) -> QuerySet[FollowUp]:
        leads = Lead.objects.visible_to(self.request.user, "leads.comment").filter(store=self.request.store)
        return FollowUp.objects.filter(store=self.request.store, lead__in=leads)

    def get_filterset(self) -> FollowUpFilterSet:
        if not hasattr(self, "_filterset"):
            self.query = filter_query(self.request.GET)
            filterset = FollowUpFilterSet(self.query, queryset=self.scoped_follow_ups())
            authors = lead_owners(self.request.store)
            if "leads.view_all" not in self.request.perms:
                authors = authors.filter(
                    pk__in=team_member_ids(self.request.user, self.request.store) | {self.request.user.pk}
                )
            filterset.filters["author"].queryset = authors
            form = bootstrap(filterset.form)
            for name in ("date_from", "date_to"):
                form.fields[name].widget.input_type = "date"
            self._filterset = filterset
        return self._filterset

    def get_queryset(self):
        return self.get_filterset().qs

    def get_template_names(self):
        if self.request.htmx and self.request.GET.get("after"):
            return [self.partial_template_name]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows, next_cursor = keyset_page(
            self.object_list.select_related("lead__customer", "author").prefetch_related(
                Prefetch("comments", queryset=FollowUpComment.objects.select_related("author"))
            ),
            "created_at",
            self.request.GET.get("after"),
            descending=True,
        )
        bound = kwargs.get("bound_forms", {})
        for fu in rows:
            fu.comment_form = bound.get(fu.pk) or FollowUpCommentForm(prefix=f"c{fu.pk}")
        context.update(
            filter=self.get_filterset(),
            rows=rows,
            next_url=f"?{urlencode([*self.query.lists(), ('after', next_cursor)], doseq=True)}" if next_cursor else "",
            is_later_page=bool(self.request.GET.get("after")),
            query=self.query.urlencode(),
            here=self.request.get_full_path(),
        )
        return context


class FollowUpCommentView(FollowUpListView):
    """批复: a supervisor's or manager's comment on one follow-up; the consultant is notified."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        follow_up = get_object_or_404(
            self.scoped_follow_ups().select_related("lead__customer", "author"), pk=kwargs["pk"]
        )
        form = FollowUpCommentForm(request.POST, prefix=f"c{follow_up.pk}")
        if form.is_valid():
            try:
                services.followup_comment_add(actor=request.user, follow_up=follow_up, body=form.cleaned_data["body"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if request.htmx:
                    follow_up.comment_form = FollowUpCommentForm(prefix=f"c{follow_up.pk}")
                    return self._comments(follow_up, saved=True)
                messages.success(request, _("Comment sent to %(user)s.") % {"user": follow_up.author})
                return redirect(safe_next(request, reverse("leads:followup_list")))
        if request.htmx:
            follow_up.comment_form = form
            return self._comments(follow_up)
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(bound_forms={follow_up.pk: form}))

    def _comments(self, follow_up, saved=False):
        return self.response_class(
            request=self.request,
            template=["leads/manage/_followup_comments.html"],
            context={
                "fu": follow_up,
                "comments": follow_up.comments.select_related("author"),
                "saved": saved,
                "here": safe_next(self.request, reverse("leads:followup_list")),
            },
        )


# --- Shared pool -------------------------------------------------------------------------------------


class PoolView(StorePermissionRequiredMixin, ListView):
    """公海: the store's unowned leads, longest-waiting first; claim one within the daily cap."""

    permission_required = "leads.claim_pool"
    model = Lead
    template_name = "leads/manage/pool.html"
    partial_template_name = "leads/manage/_pool_rows.html"

    def get_filterset(self) -> LeadFilterSet:
        if not hasattr(self, "_filterset"):
            self.query = filter_query(self.request.GET)
            self._filterset = LeadFilterSet(self.query, queryset=pool_leads(self.request.store))
            bootstrap(self._filterset.form)
            self._filterset.form.fields["grade"].widget.attrs["size"] = 3
            series_select(self._filterset.form)
        return self._filterset

    def get_queryset(self):
        return self.get_filterset().qs

    def get_template_names(self):
        if self.request.htmx and self.request.GET.get("after"):
            return [self.partial_template_name]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows, next_cursor = keyset_page(
            self.object_list.select_related("customer", "source__parent", "series"),
            "in_pool_since",
            self.request.GET.get("after"),
        )
        for lead in rows:
            lead.phone_display = display_phone(self.request.user, lead)
        cap = lead_settings(self.request.store).pool_claim_daily_cap
        claimed = pool_claims_today(self.request.user)
        context.update(
            filter=self.get_filterset(),
            rows=rows,
            next_url=f"?{urlencode([*self.query.lists(), ('after', next_cursor)], doseq=True)}" if next_cursor else "",
            is_later_page=bool(self.request.GET.get("after")),
            cap=cap,
            claimed_today=claimed,
            remaining=max(cap - claimed, 0),
            query=self.query.urlencode(),
            filter_fields=["q", "grade", "source", "series"],
            here=self.request.get_full_path(),
        )
        return context


class PoolClaimView(StorePermissionRequiredMixin, TemplateView):
    permission_required = "leads.claim_pool"
    model = Lead
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        lead = get_object_or_404(Lead.objects.filter(store=request.store).select_related("customer"), pk=kwargs["pk"])
        try:
            services.pool_claim(actor=request.user, lead=lead)
        except ValidationError as exc:
            for text in error_texts(exc):
                messages.error(request, text)
        else:
            messages.success(
                request, _("%(name)s is yours now: a follow-up task is due today.") % {"name": lead.customer.name}
            )
        return redirect(safe_next(request, reverse("leads:pool")))


# --- Settings ------------------------------------------------------------------------------------------


class LeadSettingsView(StorePermissionRequiredMixin, FormView):
    """The store's follow-up cadence per grade, alert and pool limits, and online-lead assignment."""

    permission_required = "leads.manage_settings"
    form_class = LeadSettingsForm
    template_name = "leads/manage/settings.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = lead_settings(self.request.store)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        context["cadence_fields"] = [form[name] for name in form.Meta.fields if name.startswith("cadence_")]
        context["other_fields"] = [form[name] for name in form.Meta.fields if not name.startswith("cadence_")]
        return context

    def form_valid(self, form):
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.lead_settings_update(actor=self.request.user, store=self.request.store, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Lead settings saved."))
        return redirect("leads:settings")


class SettingsListMixin(StorePermissionRequiredMixin):
    # Sources and reasons are shared by every store of the installation: only administrators edit them.
    permission_required = "leads.manage_sources"


class SourceListView(SettingsListMixin, ListView):
    model = Source
    template_name = "leads/manage/source_list.html"
    context_object_name = "sources"

    def get_queryset(self):
        return (
            Source.objects.filter(parent__isnull=True)
            .prefetch_related(Prefetch("children", queryset=Source.objects.order_by("sort_order", "code")))
            .order_by("sort_order", "code")
        )


class LostReasonListView(SettingsListMixin, ListView):
    model = LostReason
    template_name = "leads/manage/reason_list.html"
    context_object_name = "reasons"


class SettingsObjectFormView(SettingsListMixin, FormView):
    """Create (no ``pk``) or edit a shared list entry through its service function."""

    model: type = Source
    list_url_name = ""
    saved_text = ""

    def get_object(self):
        if not hasattr(self, "_object"):
            self._object = get_object_or_404(self.model, pk=self.kwargs["pk"]) if "pk" in self.kwargs else None
        return self._object

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.get_object()
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.get_object()
        return context

    def save(self, data):
        raise NotImplementedError

    def form_valid(self, form):
        data = {name: form.cleaned_data[name] for name in form.Meta.fields if not form.fields[name].disabled}
        try:
            saved = self.save(data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, self.saved_text % {"name": saved.name})
        return redirect(self.list_url_name)


class SourceFormView(SettingsObjectFormView):
    model = Source
    form_class = SourceForm
    template_name = "leads/manage/source_form.html"
    list_url_name = "leads:settings_sources"

    @property
    def saved_text(self):
        return _("Source %(name)s saved.")

    def save(self, data):
        return services.source_save(actor=self.request.user, store=self.request.store, source=self.get_object(), **data)


class LostReasonFormView(SettingsObjectFormView):
    model = LostReason
    form_class = LostReasonForm
    template_name = "leads/manage/reason_form.html"
    list_url_name = "leads:settings_reasons"

    @property
    def saved_text(self):
        return _("Reason %(name)s saved.")

    def save(self, data):
        return services.lost_reason_save(
            actor=self.request.user, store=self.request.store, reason=self.get_object(), **data
        )
