"""DCC API: call tasks, calls (and inbound calls), scripts, campaigns and figures.

Thin viewsets: an input serializer validates, a service acts, an output serializer answers.
Querysets are the caller's scope (``dcc.selectors``), so another store's object is a 404; a
service's refusal is a 403, its ValidationError a 400 with field messages.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import required_permission

from .. import selectors, services
from ..filters import CallFilterSet, CallTaskFilterSet
from ..models import CallScript
from ..selectors import MANAGE, VIEW_FIGURES, WORK_CALLS, store_ids_with_dcc_perm
from . import serializers as s


class HasDccPermission(BasePermission):
    """The view's DCC permission in some store (lists are narrowed), and for one object in its store.
    A version-2 store's sales manager holds the DCC manager's permissions there."""

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        code = required_permission(view)
        return code is None or bool(store_ids_with_dcc_perm(request.user, code))

    def has_object_permission(self, request, view, obj) -> bool:
        code = required_permission(view)
        store_id = getattr(obj, "store_id", None)
        return code is None or store_id is None or store_id in store_ids_with_dcc_perm(request.user, code)


def call_service(fn, **kwargs):
    """Run a service; its refusal becomes 403, its other ValidationErrors a 400 with field messages."""
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        if getattr(exc, "code", None) == "forbidden":
            raise PermissionDenied(" ".join(exc.messages)) from exc
        if hasattr(exc, "error_dict"):
            raise serializers.ValidationError(exc.message_dict) from exc
        raise serializers.ValidationError({"non_field_errors": exc.messages}) from exc


def store_for(request, store, code: str):
    if store.pk not in store_ids_with_dcc_perm(request.user, code):
        raise serializers.ValidationError({"store": [_("You do not have this right in that store.")]})
    return store


class CallTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Call tasks: an agent's own, every task of the stores a manager runs. ``POST {id}/calls/``
    records a call on the task; managers add tasks by hand and assign them."""

    serializer_class = s.CallTaskSerializer
    permission_classes = [HasDccPermission]
    required_permission = WORK_CALLS
    required_permissions = {"create": MANAGE, "assign": MANAGE}
    filterset_class = CallTaskFilterSet

    def get_queryset(self):
        qs = selectors.tasks_visible_to(self.request.user).select_related("lead__customer")
        store = self.request.query_params.get("store")
        if store and store.isdigit():
            qs = qs.filter(store_id=int(store))
        return qs

    @extend_schema(request=s.TaskAddSerializer, responses={201: s.CallTaskSerializer})
    def create(self, request, *args, **kwargs):
        data = s.TaskAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = data.validated_data["lead"]
        if lead.store_id not in store_ids_with_dcc_perm(request.user, MANAGE):
            raise serializers.ValidationError({"lead": [_("You do not run the DCC of this lead's store.")]})
        task = call_service(
            services.call_task_add,
            actor=request.user,
            lead=lead,
            agent=data.validated_data.get("agent"),
            due_at=data.validated_data.get("due_at"),
            note=data.validated_data.get("note") or "",
        )
        return Response(self.get_serializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CallInputSerializer, responses={201: s.CallSerializer})
    @action(detail=True, methods=["post"])
    def calls(self, request, pk=None, **kwargs):
        task = self.get_object()
        data = s.CallInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        call = call_service(services.call_record, actor=request.user, task=task, data=data.call_input())
        return Response(s.CallSerializer(call, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AssignSerializer, responses={200: s.CallTaskSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None, **kwargs):
        task = self.get_object()
        data = s.AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        call_service(
            services.call_tasks_assign,
            actor=request.user,
            store=task.store,
            tasks=[task],
            agent=data.validated_data["agent"],
            note=data.validated_data.get("note") or "",
        )
        task.refresh_from_db()
        return Response(self.get_serializer(task).data)


class CallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Calls: an agent's own, every call of the stores a manager runs. ``POST inbound/`` logs an
    inbound call (the customer and lead are found or created by phone)."""

    serializer_class = s.CallSerializer
    permission_classes = [HasDccPermission]
    required_permission = WORK_CALLS
    filterset_class = CallFilterSet

    def get_queryset(self):
        return selectors.calls_visible_to(self.request.user).select_related("lead__customer")

    @extend_schema(request=s.InboundInputSerializer, responses={201: s.CallSerializer})
    @action(detail=False, methods=["post"])
    def inbound(self, request, **kwargs):
        data = s.InboundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        store = store_for(request, values["store"], WORK_CALLS)
        inbound = services.InboundInput(
            phone=values["phone"],
            name=values["name"],
            source=values["source"],
            call=data.call_input(),
            gender=values.get("gender") or "",
            purchase_time=values.get("purchase_time") or "",
            consent_marketing=values.get("consent_marketing", False),
        )
        call = call_service(services.inbound_call_log, actor=request.user, store=store, data=inbound)
        return Response(self.get_serializer(call).data, status=status.HTTP_201_CREATED)


class CallScriptViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """The invitation script of each store the caller works the DCC in; managers replace its steps."""

    serializer_class = s.CallScriptSerializer
    permission_classes = [HasDccPermission]
    required_permission = WORK_CALLS
    required_permissions = {"update": MANAGE, "partial_update": MANAGE}

    def get_queryset(self):
        from accounts.models import Store

        store_ids = store_ids_with_dcc_perm(self.request.user, WORK_CALLS)
        for store in Store.objects.filter(pk__in=store_ids):
            selectors.script_for(store)  # every store has one to show
        return CallScript.objects.filter(store_id__in=store_ids).prefetch_related("steps")

    def update(self, request, *args, **kwargs):
        script = self.get_object()
        data = self.get_serializer(script, data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        steps = data.validated_data.get("steps")
        if steps is None:
            steps = [{"title": st.title, "guidance": st.guidance} for st in script.steps.all()]
        script = call_service(
            services.script_update,
            actor=request.user,
            store=script.store,
            name=data.validated_data.get("name", script.name),
            steps=[(step["title"], step.get("guidance", "")) for step in steps],
        )
        return Response(self.get_serializer(CallScript.objects.prefetch_related("steps").get(pk=script.pk)).data)


class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Campaigns of the stores the caller runs the DCC of. Create a draft, then ``send``: the
    messages are queued and sent by Celery; ``sent_count`` and ``progress_percent`` show progress."""

    serializer_class = s.CampaignSerializer
    permission_classes = [HasDccPermission]
    required_permission = MANAGE

    def get_queryset(self):
        return selectors.campaigns_visible_to(self.request.user)

    @extend_schema(request=s.CampaignInputSerializer, responses={201: s.CampaignSerializer})
    def create(self, request, *args, **kwargs):
        data = s.CampaignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        store = store_for(request, values.pop("store"), MANAGE)
        campaign = call_service(services.campaign_create, actor=request.user, store=store, **values)
        return Response(self.get_serializer(campaign).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.CampaignSerializer})
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None, **kwargs):
        campaign = call_service(services.campaign_queue, actor=request.user, campaign=self.get_object())
        campaign.refresh_from_db()
        return Response(self.get_serializer(campaign).data)

    @extend_schema(request=None, responses={200: s.CampaignSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None, **kwargs):
        campaign = call_service(services.campaign_cancel, actor=request.user, campaign=self.get_object())
        return Response(self.get_serializer(campaign).data)


class FiguresView(APIView):
    """The DCC figures of one store and period (the same selectors as the figures page)."""

    permission_classes = [HasDccPermission]
    required_permission = VIEW_FIGURES

    @extend_schema(parameters=[s.PeriodSerializer], responses={200: dict})
    def get(self, request):
        data = s.PeriodSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        store = data.validated_data["store"]
        if store.pk not in store_ids_with_dcc_perm(request.user, VIEW_FIGURES):
            raise PermissionDenied(_("You may not see this store's DCC figures."))
        f = selectors.dcc_figures(store, data.validated_data["date_from"], data.validated_data["date_to"])
        return Response(
            {
                "store": store.pk,
                "date_from": f.first,
                "date_to": f.last,
                "calls": f.totals.calls,
                "connected": f.totals.connected,
                "connect_rate": f.totals.connect_rate,
                "invitations": f.invitations,
                "invitation_appointments": f.arrival.appointments,
                "invitation_arrivals": f.arrival.arrived,
                "invitation_arrival_rate": f.arrival.rate,
                "first_call_sla": {
                    "due": f.sla.due,
                    "met": f.sla.met,
                    "late": f.sla.late,
                    "missed_open": f.sla.missed_open,
                    "compliance": f.sla.compliance,
                },
                "campaigns": {
                    "campaigns": f.campaigns.campaigns,
                    "matched": f.campaigns.matched,
                    "excluded": f.campaigns.excluded,
                    "sent": f.campaigns.sent,
                    "failed": f.campaigns.failed,
                    "reach": f.campaigns.reach,
                },
                "agents": [
                    {
                        "agent": a.agent.pk,
                        "name": a.agent.display_name,
                        "calls": a.calls,
                        "outbound": a.outbound,
                        "inbound": a.inbound,
                        "connected": a.connected,
                        "connect_rate": a.connect_rate,
                        "invitations": a.invitations,
                        "talk_seconds": a.talk_seconds,
                    }
                    for a in f.agents
                ],
                "sales_by_month": [
                    {
                        "month": m.month.strftime("%Y-%m"),
                        "orders": m.orders,
                        "deliveries": m.deliveries,
                        "direct_sales": m.direct_sales,
                    }
                    for m in f.sales
                ],
            }
        )
