"""The leads API: thin viewsets. An input serializer checks, a service acts, an output serializer answers.

Scoping is the pages' rule: leads through ``Lead.objects.visible_to`` (own, team's, or the whole
store's), customers when one of their leads is visible (``scoping.visible_customers``), and
everything else through its lead. What the caller may not see is a 404; what they see but may not
change is a 403 (``HasStorePermission`` per action, and the services' own "forbidden" checks).
Service ``ValidationError``s become 400 with field errors (``accounts.api.errors``).
"""

from __future__ import annotations

import tempfile

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import BooleanField, Case, Exists, OuterRef, Prefetch, Q, Subquery, Value, When
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from openpyxl import Workbook
from rest_framework import exceptions, generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import HasStorePermission
from accounts.models import Store
from accounts.services import audit_record

from .. import services
from ..filters import FollowUpFilterSet, LeadFilterSet
from ..models import Appointment, Customer, FollowUp, IngestRecord, Lead, LeadStatus, LostRequest, Task
from ..selectors import lead_owners
from .filters import CustomerFilterSet, LostRequestFilterSet, OutcomeFilterSet, TaskApiFilterSet
from .scoping import visible_customers
from .serializers import (
    AppointmentCancelInputSerializer,
    AppointmentCreateInputSerializer,
    AppointmentSerializer,
    BulkReassignInputSerializer,
    CustomerCreateInputSerializer,
    CustomerSerializer,
    CustomerUpdateInputSerializer,
    DecisionInputSerializer,
    FollowUpInputSerializer,
    FollowUpResultSerializer,
    FollowUpSerializer,
    IngestInputSerializer,
    IngestResultSerializer,
    LeadCreateInputSerializer,
    LeadSerializer,
    LeadUpdateInputSerializer,
    LostRequestCreateInputSerializer,
    LostRequestSerializer,
    MergeInputSerializer,
    OutcomeSerializer,
    ReassignInputSerializer,
    ReassignResultSerializer,
    TaskSerializer,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS = {
    400: OpenApiResponse(description="Invalid input: `errors` maps each field to its messages."),
    403: OpenApiResponse(description="You may not do this (permission or role)."),
    404: OpenApiResponse(description="Not found, or not visible to you."),
}


def call_service(service, **kwargs):
    """Run a service; its "you may not" becomes 403, its other ValidationErrors 400."""
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        if getattr(exc, "code", None) == "forbidden":
            raise exceptions.PermissionDenied(exc.messages[0])
        raise


def _valid(serializer_class, request, **kwargs):
    serializer = serializer_class(data=request.data, context={"request": request}, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class LeadsApiViewSet(viewsets.GenericViewSet):
    permission_classes = [HasStorePermission]
    lookup_value_regex = r"\d+"

    def answer(self, serializer_class, instance, status_code=status.HTTP_200_OK):
        return Response(serializer_class(instance, context=self.get_serializer_context()).data, status=status_code)


# --- Customers ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Customers you may see", description="Filter with `q` (name, phone or WeChat)."),
    retrieve=extend_schema(responses={200: CustomerSerializer, 404: ERRORS[404]}),
)
class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, LeadsApiViewSet):
    """Customers (客户): visible when one of their leads is, or with ``leads.view_all``."""

    queryset = Customer.objects.none()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    required_permissions = {"create": "leads.capture", "partial_update": "leads.work", "merge": "leads.merge"}

    def get_queryset(self):
        user = self.request.user
        return (
            visible_customers(user)
            .annotate(owned_by_caller=Exists(Lead.objects.filter(customer=OuterRef("pk"), owner_id=user.pk)))
            .prefetch_related(
                Prefetch("leads", queryset=Lead.objects.open().select_related("owner"), to_attr="open_leads")
            )
        )

    @extend_schema(
        request=CustomerCreateInputSerializer,
        responses={201: CustomerSerializer, 400: ERRORS[400], 403: ERRORS[403]},
        summary="Register a customer and their first lead",
        description="A phone number that already belongs to a customer of the store is a 400 on `phone` "
        "naming the customer and the owner of their open lead.",
    )
    def create(self, request):
        data = dict(_valid(CustomerCreateInputSerializer, request))
        store = data.pop("store", None) or _single_store(request.user, "leads.capture")
        owner = data.pop("owner", "default")
        if owner == "default":
            owner = request.user if request.user.has_store_perm(store, "leads.own") else None
        if owner is not None and not lead_owners(store).filter(pk=owner.pk).exists():
            raise exceptions.ValidationError({"owner": [_("This person cannot own leads in this store.")]})
        customer_keys = ["name", "phone", "gender", "wechat", "email", "address", "consent_marketing"]
        customer, _lead = call_service(
            services.customer_with_lead_create,
            actor=request.user,
            store=store,
            customer_data={key: data.pop(key) for key in customer_keys},
            lead_data=data,
            owner=owner,
        )
        return self.answer(CustomerSerializer, customer, status.HTTP_201_CREATED)

    @extend_schema(
        request=CustomerUpdateInputSerializer,
        responses={200: CustomerSerializer, **ERRORS},
        summary="Edit a customer's profile",
    )
    def partial_update(self, request, pk=None):
        customer = self.get_object()
        data = _valid(CustomerUpdateInputSerializer, request, partial=True)
        customer = call_service(services.customer_update, actor=request.user, customer=customer, **data)
        return self.answer(CustomerSerializer, customer)

    @extend_schema(
        request=MergeInputSerializer,
        responses={200: CustomerSerializer, 400: ERRORS[400], 403: ERRORS[403]},
        summary="Merge duplicate customers into one",
    )
    @action(detail=False, methods=["post"])
    def merge(self, request):
        data = _valid(MergeInputSerializer, request)
        survivor = call_service(
            services.customer_merge,
            actor=request.user,
            survivor=data["survivor"],
            absorbed=list(data["absorbed"]),
            values=data["values"],
        )
        return self.answer(CustomerSerializer, survivor)


def _single_store(user, permission: str) -> Store:
    store_ids = user.store_ids_with_perm(permission)
    if len(store_ids) != 1:
        raise exceptions.ValidationError({"store": [_("Say which store (its id).")]})
    return Store.objects.get(pk=store_ids[0])


# --- Leads ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Leads you may see (own, team's or the store's)"),
    retrieve=extend_schema(responses={200: LeadSerializer, 404: ERRORS[404]}),
)
class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, LeadsApiViewSet):
    """Leads (线索), filtered with the lead list's own filters."""

    queryset = Lead.objects.none()
    serializer_class = LeadSerializer
    filterset_class = LeadFilterSet
    required_permissions = {
        "create": "leads.capture",
        "partial_update": "leads.work",
        "follow_up": "leads.work",
        "reassign": "leads.reassign",
        "bulk_reassign": "leads.reassign",
    }

    def get_queryset(self):
        return Lead.objects.visible_to(self.request.user).select_related("customer", "owner", "source", "series__brand")

    @extend_schema(
        request=LeadCreateInputSerializer,
        responses={
            201: LeadSerializer,
            200: OpenApiResponse(LeadSerializer, description="The customer had an open lead: the enquiry joined it."),
            400: ERRORS[400],
            403: ERRORS[403],
        },
        summary="A new enquiry of a known customer",
    )
    def create(self, request):
        data = dict(_valid(LeadCreateInputSerializer, request))
        customer = data.pop("customer")
        owner = data.pop("owner", "default")
        if owner == "default":
            owner = request.user if request.user.has_store_perm(customer.store_id, "leads.own") else None
        if owner is not None and not lead_owners(customer.store).filter(pk=owner.pk).exists():
            raise exceptions.ValidationError({"owner": [_("This person cannot own leads in this store.")]})
        lead, created = call_service(
            services.lead_create,
            actor=request.user,
            customer=customer,
            owner=owner,
            source=data.pop("source"),
            grade=data.pop("grade", None),
            **data,
        )
        return self.answer(LeadSerializer, lead, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=LeadUpdateInputSerializer, responses={200: LeadSerializer, **ERRORS})
    def partial_update(self, request, pk=None):
        lead = self.get_object()
        data = _valid(LeadUpdateInputSerializer, request, partial=True)
        lead = call_service(services.lead_update, actor=request.user, lead=lead, **data)
        return self.answer(LeadSerializer, lead)

    @extend_schema(
        request=FollowUpInputSerializer,
        responses={201: FollowUpResultSerializer, **ERRORS},
        summary="Log a follow-up: result, regrade, next contact (becomes the next task)",
    )
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request, pk=None):
        lead = self.get_object()
        data = _valid(FollowUpInputSerializer, request)
        follow_up = call_service(services.followup_log, actor=request.user, lead=lead, **data)
        return self.answer(FollowUpResultSerializer, follow_up, status.HTTP_201_CREATED)

    @extend_schema(
        request=ReassignInputSerializer,
        responses={200: LeadSerializer, **ERRORS},
        summary="Give the lead to another owner, with a reason",
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        lead = self.get_object()
        data = _valid(ReassignInputSerializer, request)
        call_service(services.lead_reassign, actor=request.user, leads=[lead], **data)
        lead.refresh_from_db()
        return self.answer(LeadSerializer, lead)

    @extend_schema(
        request=BulkReassignInputSerializer,
        responses={200: ReassignResultSerializer, 400: ERRORS[400], 403: ERRORS[403]},
        summary="Give several leads to another owner",
        operation_id="v1_leads_bulk_reassign",
    )
    @action(detail=False, methods=["post"], url_path="reassign")
    def bulk_reassign(self, request):
        data = _valid(BulkReassignInputSerializer, request)
        moved = call_service(
            services.lead_reassign,
            actor=request.user,
            leads=list(data["leads"]),
            to_user=data["to_user"],
            reason=data["reason"],
        )
        return Response(ReassignResultSerializer({"moved": moved}).data)


# --- Follow-ups, tasks, appointments --------------------------------------------------------


@extend_schema_view(retrieve=extend_schema(responses={200: FollowUpSerializer, 404: ERRORS[404]}))
class FollowUpViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, LeadsApiViewSet):
    """Follow-ups (跟进) on the leads you may see. Log one with ``POST /leads/{id}/follow-up/``."""

    queryset = FollowUp.objects.none()
    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilterSet

    def get_queryset(self):
        leads = Lead.objects.visible_to(self.request.user)
        return FollowUp.objects.filter(lead__in=leads).select_related("author", "lead__customer")


@extend_schema_view(retrieve=extend_schema(responses={200: TaskSerializer, 404: ERRORS[404]}))
class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, LeadsApiViewSet):
    """Tasks (提醒) on the leads you may see, and tasks assigned to you. ``status=open&mine=true``
    is the consultant's to-do list; a follow-up through the API completes them."""

    queryset = Task.objects.none()
    serializer_class = TaskSerializer
    filterset_class = TaskApiFilterSet

    def get_queryset(self):
        user = self.request.user
        leads = Lead.objects.visible_to(user)
        return (
            Task.objects.filter(store_id__in=user.store_ids())
            .filter(Q(lead__in=leads) | Q(assignee_id=user.pk))
            .select_related("assignee", "lead__customer")
        )


@extend_schema_view(retrieve=extend_schema(responses={200: AppointmentSerializer, 404: ERRORS[404]}))
class AppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, LeadsApiViewSet):
    """Invitations (邀约) on the leads you may see, and the ones you receive."""

    queryset = Appointment.objects.none()
    serializer_class = AppointmentSerializer
    filterset_fields = ["status", "purpose", "lead", "receiver"]
    required_permissions = {"create": "leads.work", "cancel": "leads.work"}

    def get_queryset(self):
        user = self.request.user
        leads = Lead.objects.visible_to(user)
        return (
            Appointment.objects.filter(store_id__in=user.store_ids())
            .filter(Q(lead__in=leads) | Q(receiver_id=user.pk))
            .select_related("lead__customer", "receiver", "created_by")
        )

    @extend_schema(
        request=AppointmentCreateInputSerializer,
        responses={201: AppointmentSerializer, 400: ERRORS[400], 403: ERRORS[403]},
        summary="Invite the customer: the lead becomes invited, the receiver gets a task",
    )
    def create(self, request):
        data = dict(_valid(AppointmentCreateInputSerializer, request))
        lead = data.pop("lead")
        receiver = data.pop("receiver", None) or lead.owner or request.user
        appointment = call_service(
            services.appointment_create, actor=request.user, lead=lead, receiver=receiver, **data
        )
        return self.answer(AppointmentSerializer, appointment, status.HTTP_201_CREATED)

    @extend_schema(request=AppointmentCancelInputSerializer, responses={200: AppointmentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        appointment = self.get_object()
        data = _valid(AppointmentCancelInputSerializer, request)
        appointment = call_service(
            services.appointment_cancel, actor=request.user, appointment=appointment, reason=data["reason"]
        )
        return self.answer(AppointmentSerializer, appointment)


# --- Approvals ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Lost and invalid requests on the leads you may see"),
    retrieve=extend_schema(responses={200: LostRequestSerializer, 404: ERRORS[404]}),
)
class LostRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, LeadsApiViewSet):
    """Requests to close a lead as lost (申请战败) or invalid, and their approval. ``decidable=true``
    lists the ones waiting for your decision."""

    queryset = LostRequest.objects.none()
    serializer_class = LostRequestSerializer
    filterset_class = LostRequestFilterSet
    required_permissions = {"create": "leads.work", "approve": "leads.approve_lost", "reject": "leads.approve_lost"}

    def get_queryset(self):
        leads = Lead.objects.visible_to(self.request.user)
        return LostRequest.objects.filter(lead__in=leads).select_related(
            "lead__customer", "reason", "requested_by", "decided_by"
        )

    @extend_schema(
        request=LostRequestCreateInputSerializer,
        responses={201: LostRequestSerializer, 400: ERRORS[400], 403: ERRORS[403]},
        summary="Ask to close a lead as lost or invalid",
    )
    def create(self, request):
        data = _valid(LostRequestCreateInputSerializer, request)
        lost_request = call_service(services.lost_request_create, actor=request.user, **data)
        return self.answer(LostRequestSerializer, lost_request, status.HTTP_201_CREATED)

    @extend_schema(request=DecisionInputSerializer, responses={200: LostRequestSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        lost_request = self.get_object()
        data = _valid(DecisionInputSerializer, request)
        lost_request = call_service(
            services.lost_request_approve, actor=request.user, request=lost_request, comment=data["comment"]
        )
        return self.answer(LostRequestSerializer, lost_request)

    @extend_schema(request=DecisionInputSerializer, responses={200: LostRequestSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        lost_request = self.get_object()
        data = _valid(DecisionInputSerializer, request)
        lost_request = call_service(
            services.lost_request_reject, actor=request.user, request=lost_request, comment=data["comment"]
        )
        return self.answer(LostRequestSerializer, lost_request)


# --- Ingest ---------------------------------------------------------------------------------


class IngestView(APIView):
    """Leads from online platforms and the OEM (线上平台、厂家下发).

    The same idempotency key twice creates one lead and answers the same body (201 the first time
    when it opened a lead, 200 after). A phone that belongs to a customer with an open lead adds the
    enquiry to that lead (200, ``created: false``). New leads are assigned by the store's rule:
    round robin among consultants, or the DCC queue.
    """

    permission_classes = [HasStorePermission]
    required_permission = "leads.ingest"

    @extend_schema(
        request=IngestInputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, description="Your key for this lead."
            )
        ],
        responses={
            201: OpenApiResponse(IngestResultSerializer, description="A new lead was opened."),
            200: OpenApiResponse(
                IngestResultSerializer,
                description="This key was seen before (same body as then), or the enquiry joined an open lead.",
            ),
            400: ERRORS[400],
            403: ERRORS[403],
        },
        summary="Send a lead",
    )
    def post(self, request):
        serializer = IngestInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        store = data.pop("store")
        key = data.pop("idempotency_key")
        data["source"] = data.pop("platform")
        _lead, created = call_service(
            services.lead_ingest, actor=request.user, store=store, idempotency_key=key, data=data
        )
        record = IngestRecord.objects.get(store=store, idempotency_key=key)
        body = {
            "idempotency_key": key,
            "store": store.code,
            "lead": record.lead_id,
            "created": record.created_lead,
            "received_at": record.created_at,
        }
        return Response(
            IngestResultSerializer(body).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


def outcome_store_ids(user) -> list[int]:
    """Stores whose ingested leads' outcomes the caller may read: the integration account
    (``leads.ingest``) or whoever sees all the store's leads."""
    return sorted(set(user.store_ids_with_perm("leads.ingest")) | set(user.store_ids_with_perm("leads.view_all")))


class CanReadOutcomes(BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and outcome_store_ids(request.user))


def outcome_queryset(user):
    """Leads of the caller's stores with what became of them: visited, ordered, the lost reason."""
    lost_reason = (
        LostRequest.objects.filter(lead=OuterRef("pk"), status=LostRequest.Status.APPROVED)
        .order_by("-decided_at")
        .values("reason__name")[:1]
    )
    done = [LeadStatus.VISITED, LeadStatus.ORDERED, LeadStatus.DELIVERED]
    return (
        Lead.objects.filter(store_id__in=outcome_store_ids(user))
        .select_related("store", "source", "owner")
        .annotate(
            visited=Case(
                When(Q(first_visit_at__isnull=False) | Q(status__in=done), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            ordered=Case(
                When(status__in=[LeadStatus.ORDERED, LeadStatus.DELIVERED], then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            lost_reason=Subquery(lost_reason),
        )
        .order_by("-id")
    )


class IngestOutcomesView(generics.ListAPIView):
    """What became of the leads sent in: for the OEM's feedback (``source=oem``), since a time.

    Rows: the sender's ``external_id``, status, grade, owner, last follow-up, visited, ordered and
    the lost reason. The same as Excel: ``outcomes/export/`` (needs the export right).
    """

    permission_classes = [CanReadOutcomes]
    serializer_class = OutcomeSerializer
    filterset_class = OutcomeFilterSet
    queryset = Lead.objects.none()

    def get_queryset(self):
        return outcome_queryset(self.request.user)


class IngestOutcomesExportView(APIView):
    """The outcomes as an .xlsx file, with the same filters; for users allowed to export (audited)."""

    permission_classes = [CanReadOutcomes]

    @extend_schema(
        parameters=[
            OpenApiParameter("source", OpenApiTypes.STR, description="Source code, e.g. oem."),
            OpenApiParameter("store", OpenApiTypes.STR, description="Store code."),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Leads received at or after."),
            OpenApiParameter("changed_since", OpenApiTypes.DATETIME, description="Leads changed at or after."),
        ],
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="The outcomes workbook."),
            400: ERRORS[400],
            403: ERRORS[403],
        },
        summary="Outcomes of sent leads as Excel",
    )
    def get(self, request):
        if not request.user.can_export:
            raise exceptions.PermissionDenied(_("You may not export to Excel."))
        filterset = OutcomeFilterSet(request.query_params, queryset=outcome_queryset(request.user), request=request)
        if not filterset.is_valid():
            raise exceptions.ValidationError(filterset.errors)
        rows = filterset.qs
        handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
        count = write_outcomes(handle, rows)
        handle.seek(0)
        store_ids = outcome_store_ids(request.user)
        audit_record(
            actor=request.user,
            action="leads.ingest_outcomes.export",
            store=Store.objects.get(pk=store_ids[0]) if len(store_ids) == 1 else None,
            changes={"filters": dict(request.query_params.items()), "rows": count},
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return FileResponse(handle, as_attachment=True, filename=f"lead-outcomes-{stamp}.xlsx", content_type=XLSX)


def _local(value):
    """Excel has no time zones: Shanghai wall-clock time, without tzinfo."""
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def write_outcomes(handle, leads) -> int:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Outcomes"))
    sheet.append(
        [
            _("Sender's lead id"),
            _("Lead"),
            _("Store"),
            _("Source"),
            _("Campaign"),
            _("Status"),
            _("Grade"),
            _("Owner"),
            _("Last follow-up"),
            _("Visited"),
            _("Ordered"),
            _("Lost reason"),
            _("Received"),
        ]
    )
    count = 0
    for lead in leads.iterator(chunk_size=2000):
        sheet.append(
            [
                lead.external_id,
                lead.pk,
                lead.store.code,
                lead.source.code,
                lead.campaign,
                lead.get_status_display(),
                lead.grade,
                str(lead.owner) if lead.owner_id else "",
                _local(lead.last_follow_up_at),
                _("yes") if lead.visited else _("no"),
                _("yes") if lead.ordered else _("no"),
                lead.lost_reason or "",
                _local(lead.created_at),
            ]
        )
        count += 1
    workbook.save(handle)
    return count
