"""Outsiders never get in: every URL of the URLconf, discovered rather than listed.

(a) An anonymous visitor is sent to the sign-in page by every staff page and refused (401/403)
    by every API endpoint, before any object is looked up.
(b) A user of another store (store B, every role) asking for an object of store A by its URL gets
    403 or 404, and lists do not show it.

The URLs come from walking the URLconf at collection time, so a page or endpoint added by a later
change is covered without touching this file. What a change *does* have to add here:

* a factory in ``OUTSIDER_FACTORIES`` for every store-scoped model its views expose (the test
  fails with "add a factory for <model> to OUTSIDER_FACTORIES" until it does);
* for a view that takes an object id but does not say which model (a plain ``View`` using
  ``get_object_or_404``), an entry in ``ROUTE_MODELS``; for a parameter that is not an object id
  (a year, a report code), an entry in ``NON_OBJECT_ROUTES``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from urllib.parse import urlparse

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.forms import BaseModelForm
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RegexPattern, RoutePattern
from django.views.static import serve

from accounts.models import (
    AuditLog,
    Holiday,
    Membership,
    Notification,
    NotificationDelivery,
    OpeningHours,
    Role,
    Store,
    Team,
    User,
)
from accounts.permissions import ALL_ROLES
from tests.factories import make_member

# --- What is deliberately left out, and why -------------------------------------------------

# Reached by anonymous visitors on purpose, so "anonymous is refused" does not apply.
EXCLUDED_NAMES = {
    # The sign-in page itself.
    "accounts:login": "the sign-in page must open without a session",
    # Signing out without a session is harmless (Django's LogoutView only accepts POST and
    # redirects to the sign-in page); there is nothing to protect.
    "accounts:logout": "signing out needs no session",
    # The language choice must work on the sign-in page, before anyone has signed in.
    "accounts:set_language": "language switch is offered on the sign-in page",
    # Where API clients authenticate: anonymous by definition (covered in test_api_core.py).
    "api-token": "the token endpoint is how an API client signs in",
}
# Django's own admin has its own sign-in page (/django-admin/login/) and its own permission
# checks (is_staff), tested by Django itself.
EXCLUDED_NAMESPACES = {"admin"}
# Static and media files are public assets (served only with DEBUG; whitenoise serves static files
# from the middleware, outside the URLconf).
EXCLUDED_CALLBACKS = {serve}
EXCLUDED_PREFIXES = tuple(p.lstrip("/") for p in (settings.STATIC_URL, settings.MEDIA_URL) if p)

# --- Which model a route exposes, where the view does not say -------------------------------

# Route name → model label, for views whose class carries no model (a plain View that looks the
# object up itself). Overrides what is found on the view class.
ROUTE_MODELS: dict[str, str] = {
    "accounts:notification_read": "accounts.Notification",
}

# Routes whose parameters are not object ids (e.g. a calendar month): route name → reason.
NON_OBJECT_ROUTES: dict[str, str] = {}

# Route name → {parameter: attribute path on the object}, where the naming conventions below
# (``pk``/``<model>_pk``, REST-style parents such as ``stores/<int:pk>/holidays/…``) guess wrong.
ROUTE_PARAMS: dict[str, dict[str, str]] = {}

# Parameter values for anonymous requests and for parameters that do not name the object.
# Anything else gets the first of SAMPLE_VALUES that its regex accepts.
PARAM_SAMPLES = {"format": "json", "pk": "1", "id": "1", "identifier": "daily_work"}
SAMPLE_VALUES = ["1", "sample", "json", ".json", "2025-01-01", "2025", "00000000-0000-4000-8000-000000000001", "a/b"]
# Parameters that never name an object.
NON_OBJECT_PARAMS = {"format", "identifier"}  # identifier: a report, not a row


# --- Objects of store A, one per store-scoped model -----------------------------------------


def _user_in(store: Store) -> User:
    return make_member(store, "consultant", username=f"target_{store.code}_{User.objects.count()}")


def _notification_in(store: Store) -> Notification:
    return Notification.objects.create(recipient=_user_in(store), store=store, title="OUTSIDER-PROBE 门店通知")


def _lead_in(store: Store):
    from tests.leads.factories import make_lead

    return make_lead(store, _user_in(store))


def _followup_in(store: Store):
    from leads import services as lead_services
    from leads.models import FollowUp

    lead = _lead_in(store)
    return lead_services.followup_log(
        actor=lead.owner,
        lead=lead,
        channel=FollowUp.Channel.PHONE,
        content="OUTSIDER-PROBE 电话回访",
        result=FollowUp.Result.CONTACTED,
        grade="B",
    )


def _task_in(store: Store):
    from leads.models import Task

    return Task.objects.filter(lead=_followup_in(store).lead).latest("pk")


def _appointment_in(store: Store):
    from django.utils import timezone

    from leads import services as lead_services

    lead = _lead_in(store)
    return lead_services.appointment_create(
        actor=lead.owner, lead=lead, scheduled_at=timezone.now() + dt.timedelta(days=2), receiver=lead.owner
    )


def _lost_request_in(store: Store):
    from leads import services as lead_services
    from leads.models import LostReason

    lead = _lead_in(store)
    reason = LostReason.objects.filter(kind=LostReason.Kind.LOST).first()
    return lead_services.lost_request_create(
        actor=lead.owner, lead=lead, kind=LostReason.Kind.LOST, reason=reason, competitor_brand="比亚迪"
    )


def _import_batch_in(store: Store):
    from leads.models import ImportBatch, Source

    # Finished, so its pages need no uploaded file.
    return ImportBatch.objects.create(
        store=store,
        created_by=_user_in(store),
        original_name="outsider.xlsx",
        source=Source.objects.first(),
        status=ImportBatch.Status.DONE,
    )


def _trim():
    from decimal import Decimal

    from catalog.models import Brand, Series, Trim, VehicleModel

    brand, _created = Brand.objects.get_or_create(code="outsider", defaults={"name": "探针"})
    series, _created = Series.objects.get_or_create(brand=brand, name="探针一号")
    model, _created = VehicleModel.objects.get_or_create(series=series, name="探针 2026款", model_year=2026)
    trim, _created = Trim.objects.get_or_create(model=model, name="标准版", defaults={"guide_price": Decimal("99900")})
    return trim


def _vin(serial: int) -> str:
    from catalog.validators import vin_check_digit

    body = f"LSVAU033XN2{serial:06d}"
    return body[:8] + vin_check_digit(body[:8] + "0" + body[9:]) + body[9:]


def _demo_vehicle_in(store: Store):
    from showroom.models import DemoVehicle

    return DemoVehicle.objects.create(store=store, trim=_trim(), plate=f"沪A·{store.pk:05d}", vin=_vin(store.pk))


def _visit_in(store: Store):
    from django.utils import timezone

    from showroom.models import Visit

    lead = _lead_in(store)
    return Visit.objects.create(
        store=store,
        customer=lead.customer,
        lead=lead,
        visitor_name="OUTSIDER-PROBE",
        phone=lead.customer.phone,
        arrived_at=timezone.now() - dt.timedelta(minutes=30),
        consultant=lead.owner,
        registered_by=lead.owner,
    )


def _test_drive_in(store: Store):
    from django.utils import timezone

    from showroom.models import TestDrive

    lead = _lead_in(store)
    return TestDrive.objects.create(
        store=store,
        lead=lead,
        vehicle=_demo_vehicle_in(store),
        consultant=lead.owner,
        route="OUTSIDER-PROBE 环线",
        started_at=timezone.now() - dt.timedelta(minutes=20),
    )


def _order_in(store: Store):
    from decimal import Decimal

    from showroom.models import Order

    lead = _lead_in(store)
    return Order.objects.create(
        store=store,
        number=f"OUT{store.pk:05d}",
        lead=lead,
        customer=lead.customer,
        seller=lead.owner,
        trim=_trim(),
        price=Decimal("99900"),
    )


def _rotation_entry_in(store: Store):
    from showroom.models import RotationEntry

    return RotationEntry.objects.create(store=store, consultant=_user_in(store))


def _dcc_manager_in(store: Store) -> User:
    return make_member(store, "dcc_manager", username=f"dccm_{store.code}_{User.objects.count()}")


def _dcc_agent_profile_in(store: Store):
    from dcc.selectors import agent_profile

    return agent_profile(store, make_member(store, "dcc_agent", username=f"dcca_{store.code}_{User.objects.count()}"))


def _dcc_call_task_in(store: Store):
    from dcc import services as dcc_services

    profile = _dcc_agent_profile_in(store)
    return dcc_services.call_task_add(actor=_dcc_manager_in(store), lead=_lead_in(store), agent=profile.user)


def _dcc_call_in(store: Store):
    from dcc import services as dcc_services

    task = _dcc_call_task_in(store)
    return dcc_services.call_record(
        actor=task.agent, task=task, data=dcc_services.CallInput(outcome="no_answer", note="OUTSIDER-PROBE")
    )


def _dcc_template_in(store: Store):
    from dcc import services as dcc_services

    return dcc_services.template_save(
        actor=_dcc_manager_in(store), store=store, kind="campaign", channel="sms", name="OUTSIDER-PROBE", body="{name}"
    )


def _dcc_campaign_in(store: Store):
    from dcc import services as dcc_services

    return dcc_services.campaign_create(
        actor=_dcc_manager_in(store), store=store, name="OUTSIDER-PROBE", kind="sms", body="您好 {name}"
    )


def _dcc_script_in(store: Store):
    from dcc.selectors import script_for

    return script_for(store)


def _complaint_in(store: Store):
    from complaints import services as complaint_services

    order = _order_in(store)
    agent = make_member(store, "cs_agent", username=f"csa_{store.code}_{User.objects.count()}")
    return complaint_services.complaint_register(
        actor=agent,
        store=store,
        customer=order.customer,
        order=order,
        category="other",
        touchpoint="delivery",
        facts="OUTSIDER-PROBE 投诉",
    )


def _callback_in(store: Store):
    from complaints.models import Callback

    order = _order_in(store)
    return Callback.objects.create(
        store=store,
        order=order,
        customer=order.customer,
        assignee=order.seller,
        kind="same_day",
        due_date=dt.date.today(),
    )


def _service_reminder_in(store: Store):
    from complaints.models import ServiceReminder

    order = _order_in(store)
    return ServiceReminder.objects.create(
        store=store, customer=order.customer, order=order, kind="insurance", due_date=dt.date.today()
    )


def _enquiry_in(store: Store):
    from complaints import services as complaint_services

    agent = make_member(store, "cs_agent", username=f"csq_{store.code}_{User.objects.count()}")
    return complaint_services.enquiry_log(actor=agent, store=store, caller_name="OUTSIDER-PROBE", summary="问路")


def _export_job_in(store: Store):
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from reports.models import ExportJob

    owner = make_member(store, "sales_manager", username=f"exp_{store.code}_{User.objects.count()}", can_export=True)
    job = ExportJob(
        store=store,
        user=owner,
        report="daily_work",
        status=ExportJob.Status.DONE,
        description="OUTSIDER-PROBE",
        filename="probe.xlsx",
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    job.file.save("probe.xlsx", ContentFile(b"PK"), save=False)
    job.save()
    return job


def _report_file_in(store: Store):
    from django.core.files.base import ContentFile

    from reports.models import ReportFile

    # Someone in the store who may download it: the report center and the export grant.
    make_member(store, "sales_manager", username=f"rc_{store.code}_{User.objects.count()}", can_export=True)
    day = dt.date(2026, 11, 3)
    row = ReportFile(store=store, report="daily_work", period="day", day=day, first=day, rows=1)
    row.file.save("probe.xlsx", ContentFile(b"PK"), save=False)
    row.save()
    return row


def _scorecard_in(store: Store):
    from complaints import services as complaint_services

    # A customer-service manager with the export grant, so that someone in the store reaches the export.
    manager = make_member(store, "cs_manager", username=f"csm_{store.code}_{User.objects.count()}", can_export=True)
    return complaint_services.scorecard_build(actor=manager, store=store, month=dt.date(2026, 3, 1))


def _sales_target_in(store: Store):
    from reports.models import SalesTarget

    return SalesTarget.objects.create(
        store=store,
        month=dt.date(2026, 11, 1),
        units=8,
        set_by=make_member(store, "gm", username=f"gm_{store.code}_{User.objects.count()}"),
    )


def _settings_of(model_label: str):
    def make(store: Store):
        return apps.get_model(model_label).objects.get_or_create(store=store)[0]

    return make


# model label → function(store) returning one object of that model belonging to ``store``.
# Users belong to a store through their membership, so they are here although they have no store
# column. Models without a store (the vehicle catalog, permissions, dealer groups — store A and B
# share one group) are not store-scoped and are skipped by the store check.
OUTSIDER_FACTORIES: dict[str, Callable[[Store], models.Model]] = {
    "accounts.Store": lambda store: store,
    "accounts.User": _user_in,
    "accounts.Membership": lambda store: Membership.objects.get(user=_user_in(store), store=store),
    "accounts.Role": lambda store: Role.objects.create(store=store, code="consultant", name="本店销售顾问"),
    "accounts.Team": lambda store: Team.objects.create(store=store, name="OUTSIDER-PROBE 一组"),
    "accounts.OpeningHours": lambda store: OpeningHours.objects.create(
        store=store, weekday=0, opens_at=dt.time(9), closes_at=dt.time(18)
    ),
    "accounts.Holiday": lambda store: Holiday.objects.create(store=store, date=dt.date(2030, 10, 1), name="国庆"),
    "accounts.AuditLog": lambda store: AuditLog.objects.create(
        store=store, action="outsider.probe", object_type="accounts.store", object_id=str(store.pk)
    ),
    "accounts.Notification": _notification_in,
    "accounts.NotificationDelivery": lambda store: NotificationDelivery.objects.create(
        notification=_notification_in(store), channel="email", status=NotificationDelivery.Status.SENT
    ),
    # leads: made through the leads services, as the leads tests do
    "leads.Customer": lambda store: _lead_in(store).customer,
    "leads.Lead": _lead_in,
    "leads.FollowUp": _followup_in,
    "leads.Task": _task_in,
    "leads.Appointment": _appointment_in,
    "leads.LostRequest": _lost_request_in,
    "leads.ImportBatch": _import_batch_in,
    "leads.LeadSettings": _settings_of("leads.LeadSettings"),
    # showroom
    "showroom.Visit": _visit_in,
    "showroom.TestDrive": _test_drive_in,
    "showroom.Order": _order_in,
    "showroom.DemoVehicle": _demo_vehicle_in,
    "showroom.RotationEntry": _rotation_entry_in,
    "showroom.ShowroomSettings": _settings_of("showroom.ShowroomSettings"),
    # dcc: made through the DCC services
    "dcc.CallTask": _dcc_call_task_in,
    "dcc.Call": _dcc_call_in,
    "dcc.AgentProfile": _dcc_agent_profile_in,
    "dcc.MessageTemplate": _dcc_template_in,
    "dcc.Campaign": _dcc_campaign_in,
    "dcc.CallScript": _dcc_script_in,
    "dcc.DccSettings": _settings_of("dcc.DccSettings"),
    # complaints: made through the customer-service services
    "complaints.Complaint": _complaint_in,
    "complaints.ComplaintSettings": _settings_of("complaints.ComplaintSettings"),
    "complaints.CallbackSettings": _settings_of("complaints.CallbackSettings"),
    "complaints.Callback": _callback_in,
    "complaints.ServiceReminder": _service_reminder_in,
    "complaints.Enquiry": _enquiry_in,
    "complaints.Scorecard": _scorecard_in,
    # reports
    "reports.ExportJob": _export_job_in,
    "reports.ReportFile": _report_file_in,
    "reports.SalesTarget": _sales_target_in,
}


def store_scoped_models() -> set[type[models.Model]]:
    """Store, every model with a foreign key to it, and (transitively) models pointing at those."""
    scoped: set[type[models.Model]] = {Store, User}
    changed = True
    while changed:
        changed = False
        for model in apps.get_models():
            if model in scoped:
                continue
            for f in model._meta.get_fields():
                # User is scoped through memberships, not by a column: a model pointing at a user
                # (e.g. an API token) is not thereby a store's record.
                points_at_scoped = f.concrete and f.related_model in scoped and f.related_model is not User
                if (f.many_to_one or f.one_to_one) and points_at_scoped:
                    scoped.add(model)
                    changed = True
                    break
    return scoped


# --- URL discovery --------------------------------------------------------------------------


@dataclass
class Param:
    name: str
    regex: str
    segment: str = ""  # the path segment before it: "stores" in stores/<int:pk>/


@dataclass
class Route:
    pieces: list  # the pattern objects from the root to the endpoint
    name: str | None  # namespaced, e.g. "accounts:notification_read"
    namespaces: list[str]
    callback: Callable
    params: list[Param] = field(default_factory=list)
    sample_path: str = ""
    model: type[models.Model] | None = None

    @property
    def is_api(self) -> bool:
        return self.sample_path.startswith("/api/")

    @property
    def object_params(self) -> list[Param]:
        return [p for p in self.params if p.name not in NON_OBJECT_PARAMS]

    @property
    def view_class(self):
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)

    def __str__(self) -> str:
        return f"{self.sample_path} ({self.name or self.callback.__qualname__})"


_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _regex_pieces(regex: str) -> list[tuple[str, Param | None]]:
    """Split a URL regex into literal parts and named groups."""
    out: list[tuple[str, Param | None]] = []
    literal = ""
    i = 0
    while i < len(regex):
        if regex.startswith("(?P<", i):
            name_end = regex.index(">", i)
            name = regex[i + 4 : name_end]
            depth, j, in_class = 1, name_end + 1, False
            while depth:
                ch = regex[j]
                if ch == "\\":
                    j += 2
                    continue
                if in_class:
                    in_class = ch != "]"
                elif ch == "[":
                    in_class = True
                elif ch == "(":
                    depth += 1
                elif ch == ")":
                    depth -= 1
                j += 1
            out.append((literal, None))
            out.append(("", Param(name, regex[name_end + 1 : j - 1])))
            literal = ""
            i = j
        else:
            literal += regex[i]
            i += 1
    out.append((literal, None))
    return out


def _clean_literal(text: str, where: str) -> str:
    text = text.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    text = text.replace("/?", "/")
    text = re.sub(r"\\(.)", r"\1", text)
    if re.search(r"[()\[\]{}*+?|^$]", text):
        raise AssertionError(f"cannot turn the URL regex {where!r} into a path: extend _clean_literal")
    return text


def _piece_parts(piece) -> list[tuple[str, Param | None]]:
    """A pattern object as literal text and parameters."""
    if isinstance(piece, RoutePattern):
        route = str(piece)
        parts: list[tuple[str, Param | None]] = []
        pos = 0
        for m in _ROUTE_PARAM.finditer(route):
            parts.append((route[pos : m.start()], None))
            parts.append(("", Param(m["name"], piece.converters[m["name"]].regex)))
            pos = m.end()
        parts.append((route[pos:], None))
        return parts
    if isinstance(piece, RegexPattern):
        return [
            (_clean_literal(text, piece._regex), param) if param is None else (text, param)
            for text, param in _regex_pieces(piece._regex)
        ]
    # LocalePrefixPattern and the like: their text as it stands.
    return [(str(piece), None)]


def sample_value(param: Param) -> str:
    candidates = [PARAM_SAMPLES[param.name]] if param.name in PARAM_SAMPLES else []
    for value in candidates + SAMPLE_VALUES:
        if re.fullmatch(param.regex, value):
            return value
    raise AssertionError(f"no sample value fits parameter {param.name} ({param.regex}): add one to PARAM_SAMPLES")


def build_path(route: Route, values: dict[str, object] | None = None) -> str:
    values = values or {}
    path = ""
    for piece in route.pieces:
        for text, param in _piece_parts(piece):
            if param is None:
                path += text
            else:
                path += str(values[param.name]) if param.name in values else sample_value(param)
    return "/" + path


def _walk(patterns, pieces: list, namespaces: list[str]) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in EXCLUDED_NAMESPACES:
                continue
            ns = namespaces + [entry.namespace] if entry.namespace else namespaces
            yield from _walk(entry.url_patterns, pieces + [entry.pattern], ns)
        elif isinstance(entry, URLPattern):
            name = ":".join(namespaces + [entry.name]) if entry.name else None
            yield Route(pieces + [entry.pattern], name, namespaces, entry.callback)


DISCOVERY_PROBLEMS: list[str] = []


def route_parts(route: Route) -> list[tuple[str, Param | None]]:
    """The whole route as literal text and parameters, each parameter knowing the segment before it."""
    parts = [part for piece in route.pieces for part in _piece_parts(piece)]
    text = ""
    for literal, param in parts:
        if param is None:
            text += literal
        else:
            param.segment = text.rstrip("/").rsplit("/", 1)[-1]
            text += "<>"
    return parts


def discover_routes() -> list[Route]:
    routes = []
    for route in _walk(get_resolver().url_patterns, [], []):
        if route.name in EXCLUDED_NAMES or route.callback in EXCLUDED_CALLBACKS:
            continue
        route.params = [param for _text, param in route_parts(route) if param]
        route.sample_path = build_path(route)
        if EXCLUDED_PREFIXES and route.sample_path.lstrip("/").startswith(EXCLUDED_PREFIXES):
            continue
        match = resolve(route.sample_path)
        if match.func is not route.callback:
            if not route.object_params:
                # Shadowed by an earlier pattern for the very same URL (e.g. each app's DRF router
                # adds an API root at /api/v1/): unreachable, and the pattern that wins is checked.
                continue
            DISCOVERY_PROBLEMS.append(
                f"{route.sample_path} resolves to {match.route!r}, not to the pattern it was built from "
                f"({route.name or route.callback.__qualname__}): add a better sample to PARAM_SAMPLES"
            )
            continue
        routes.append(route)
    return routes


# --- Which model a view exposes -------------------------------------------------------------


def _probe_queryset_model(route: Route) -> type[models.Model] | None:
    """Last resort: build the view (never dispatch it) and ask ``get_queryset()`` for its model.

    Querysets are lazy: with a probe user that belongs nowhere this touches no database.
    """
    cls = route.view_class
    if cls is None or not hasattr(cls, "get_queryset"):
        return None
    probe = User(pk=-1, username="probe")
    probe.__dict__["_grants"] = {}
    request = RequestFactory().get(route.sample_path)
    request.user = probe
    request.store, request.perms, request.roles = None, frozenset(), frozenset()
    request.session = {}
    try:
        view = cls(**getattr(route.callback, "initkwargs", {}))
        kwargs = {p.name: sample_value(p) for p in route.params}
        if hasattr(cls, "initialize_request"):  # DRF
            from rest_framework.request import Request

            drf_request = Request(request)
            drf_request.user = probe
            view.request, view.args, view.kwargs, view.format_kwarg = drf_request, (), kwargs, None
            actions = getattr(route.callback, "actions", None) or {}
            view.action = actions.get("get") or next(iter(actions.values()), None)
        else:
            view.setup(request, **kwargs)
        return view.get_queryset().model
    except Exception:  # noqa: BLE001 - a view that cannot be probed simply exposes no model
        return None


def project_models() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models()
        if str(settings.BASE_DIR) in m._meta.app_config.path and ".venv" not in m._meta.app_config.path
    ]


def model_named_by_segment(segment: str, candidates=None) -> type[models.Model] | None:
    """The model a REST-style path segment names: "stores" → Store, "holidays" → Holiday."""
    word = segment.lower().replace("-", "").replace("_", "")
    if not word:
        return None
    for model in candidates or project_models():
        name = model._meta.model_name
        plurals = {name, name + "s", name + "es", name[:-1] + "ies" if name.endswith("y") else name + "s"}
        plurals.add(str(model._meta.verbose_name_plural).lower().replace(" ", ""))
        if word in plurals:
            return model
    return None


def _object_param(route: Route, model: type[models.Model]) -> Param | None:
    """Which parameter is the object's own id (the others name parents, or are not ids)."""
    params = route.object_params
    for param in params:
        if param.name in (f"{model._meta.model_name}_pk", f"{model._meta.model_name}_id"):
            return param
    lookup = getattr(route.view_class, "lookup_url_kwarg", None) or getattr(route.view_class, "lookup_field", None)
    for param in params:
        if param.name in (lookup, "pk", "id", "slug"):
            return param
    return params[-1] if params else None


def exposed_model(route: Route) -> type[models.Model] | None:
    """The model whose objects the route shows or changes.

    In this order: ROUTE_MODELS; the view class (``model``, ``queryset``, a DRF ``serializer_class``
    or a ``ModelForm``, then a lazy ``get_queryset()``); last, for a URL with an object id, the
    REST-style naming of the URL (``…/holidays/<int:holiday_pk>/`` or ``stores/<int:pk>/``).
    """
    if route.name in ROUTE_MODELS:
        return apps.get_model(ROUTE_MODELS[route.name])
    nested = _model_named_by_param(route.object_params[-1]) if route.object_params else None
    if nested is not None:
        # users/<int:pk>/roles/<int:membership_pk>/revoke/ acts on the membership, whatever the
        # view's own model (the user, for a DRF action on the users viewset).
        return nested
    cls = route.view_class
    if cls is not None:
        model = getattr(cls, "model", None)
        if isinstance(model, type) and issubclass(model, models.Model):
            return model
        queryset = getattr(cls, "queryset", None)
        if queryset is not None and hasattr(queryset, "model"):
            return queryset.model
        serializer_class = getattr(cls, "serializer_class", None)
        serializer_model = getattr(getattr(serializer_class, "Meta", None), "model", None)
        if serializer_model is not None:
            return serializer_model
        form_class = getattr(cls, "form_class", None)
        if isinstance(form_class, type) and issubclass(form_class, BaseModelForm) and form_class._meta.model:
            return form_class._meta.model
        model = _probe_queryset_model(route)
        if model is not None:
            return model
    if route.object_params and route.name not in NON_OBJECT_ROUTES:
        return model_named_by_segment(route.object_params[-1].segment)
    return None


def _model_named_by_param(param: Param) -> type[models.Model] | None:
    """``holiday_pk`` → Holiday."""
    for suffix in ("_pk", "_id"):
        if param.name.endswith(suffix):
            return model_named_by_segment(param.name.removesuffix(suffix))
    return None


ROUTES = discover_routes()
for _route in ROUTES:
    _route.model = exposed_model(_route)
MODEL_ROUTES = [r for r in ROUTES if r.model is not None]
STORE_SCOPED = store_scoped_models()
# Routes of models that belong to no store (the shared vehicle catalog, dealer groups, permissions)
# have no "other store" to hide from: they are left out of the store checks.
OBJECT_ROUTES = [r for r in MODEL_ROUTES if r.object_params and r.model in STORE_SCOPED]
LIST_ROUTES = [r for r in MODEL_ROUTES if not r.object_params and r.model in STORE_SCOPED]


def _ids(routes):
    return [r.sample_path for r in routes]


# --- Housekeeping: the discovery itself works ------------------------------------------------


def test_discovery_finds_the_known_urls():
    paths = {r.sample_path for r in ROUTES}
    for expected in ("/workbench/", "/notifications/1/read/", "/api/v1/me/", "/api/v1/stores/1/", "/api/schema/"):
        assert expected in paths, f"{expected} not discovered; found {sorted(paths)}"
    assert not any(p.startswith("/django-admin/") for p in paths)
    assert "/login/" not in paths


def test_every_url_could_be_built():
    assert not DISCOVERY_PROBLEMS, "\n".join(DISCOVERY_PROBLEMS)


def test_exclusions_name_existing_urls():
    """An exclusion whose URL was renamed would silently stop meaning anything."""
    for name in EXCLUDED_NAMES:
        reverse(name)
    for name in [*ROUTE_MODELS, *NON_OBJECT_ROUTES]:
        assert any(r.name == name for r in ROUTES), f"{name} is listed in test_outsiders.py but no longer exists"


def test_every_object_url_says_which_model_it_exposes():
    """A URL with an object id must be checked against outsiders, so its model must be known."""
    unknown = [str(r) for r in ROUTES if r.object_params and r.model is None and r.name not in NON_OBJECT_ROUTES]
    assert not unknown, (
        "These URLs take an object id but their view names no model (model/queryset/serializer_class/"
        "form_class): set one on the view, or add the route to ROUTE_MODELS (or NON_OBJECT_ROUTES "
        f"with a reason) in tests/test_outsiders.py: {unknown}"
    )


def test_every_exposed_store_scoped_model_has_an_outsider_factory():
    missing = sorted({r.model._meta.label for r in MODEL_ROUTES if r.model in STORE_SCOPED} - set(OUTSIDER_FACTORIES))
    assert not missing, "".join(
        f"add a factory for {label} to OUTSIDER_FACTORIES in tests/test_outsiders.py\n" for label in missing
    )


# --- (a) anonymous ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=_ids(ROUTES))
def test_anonymous_is_sent_to_sign_in_or_refused(client, route):
    login_path = reverse("accounts:login")
    if route.is_api:
        for method in ("get", "post"):
            response = getattr(client, method)(route.sample_path)
            assert response.status_code in (401, 403), f"anonymous {method.upper()} {route}: {response.status_code}"
        return
    response = client.get(route.sample_path)
    if response.status_code == 405:
        # A POST-only page may refuse GET before checking the session; then POST must redirect.
        response = client.post(route.sample_path)
    assert response.status_code == 302, f"anonymous {route}: {response.status_code}, expected a redirect to sign-in"
    assert urlparse(response.url).path == login_path, f"anonymous {route} redirected to {response.url}"


# --- (b) another store ------------------------------------------------------------------------


# Store B's users who would have access in their own store: the roles that manage things, and one
# user holding every role at once (every permission any role has in store B).
OUTSIDER_ROLES = ["admin", "gm", "sales_manager"]


@pytest.fixture
def outsiders(other_store, other_users):
    everything = make_member(other_store, "consultant", username="b_every_role")
    for code in ALL_ROLES:
        Membership.objects.get_or_create(
            user=everything, store=other_store, role=Role.objects.get(store=None, code=code)
        )
    return {**{role: other_users[role] for role in OUTSIDER_ROLES}, "every role": everything}


def _object_for(model, store):
    label = model._meta.label
    if label not in OUTSIDER_FACTORIES:
        pytest.fail(f"add a factory for {label} to OUTSIDER_FACTORIES in tests/test_outsiders.py", pytrace=False)
    obj = OUTSIDER_FACTORIES[label](store)
    assert isinstance(obj, model), f"OUTSIDER_FACTORIES[{label!r}] returned {type(obj).__name__}"
    return obj


def _parent_field(model, parent_model):
    for f in model._meta.get_fields():
        if (f.many_to_one or f.one_to_one) and f.concrete and f.related_model is parent_model:
            return f
    return None


def _param_value(route: Route, param: Param, obj) -> object:
    """The value naming ``obj`` (or its parent, in a nested URL) in a URL parameter."""
    model = type(obj)
    if param.name in ROUTE_PARAMS.get(route.name, {}):
        return attrgetter(ROUTE_PARAMS[route.name][param.name])(obj)
    if param.name in NON_OBJECT_PARAMS:
        return sample_value(param)
    for suffix in ("_pk", "_id"):
        if param.name.endswith(suffix):
            base = param.name.removesuffix(suffix)
            if base == model._meta.model_name:
                return obj.pk
            if _parent_field(model, model_named_by_segment(base)) is not None or hasattr(obj, f"{base}_id"):
                return getattr(obj, f"{base}_id")
    named = model_named_by_segment(param.segment)
    if named is not None and named is not model:
        parent = _parent_field(model, named)
        if parent is not None:  # e.g. the store in stores/<int:pk>/holidays/add/
            return getattr(obj, parent.attname)
    cls = route.view_class
    if param is _object_param(route, model):
        if param.name == getattr(cls, "slug_url_kwarg", None):
            return getattr(obj, cls.slug_field)
        return getattr(obj, getattr(cls, "lookup_field", None) or "pk")
    if hasattr(obj, param.name):
        return getattr(obj, param.name)
    return sample_value(param)


METHODS = ["get", "post", "put", "patch", "delete"]


def allowed_methods(route: Route) -> list[str]:
    """The HTTP methods the route's view answers (a function view: try GET and POST)."""
    actions = getattr(route.callback, "actions", None)
    if actions:  # a DRF viewset route: {method: action}
        return [m for m in METHODS if m in actions]
    cls = route.view_class
    if cls is None:
        return ["get", "post"]
    return [m for m in METHODS if hasattr(cls, m)]


def _call(client, method: str, path: str):
    if method == "get":
        return client.get(path)
    # No data: a view that looked the object up before validating would answer 400 or 200.
    return getattr(client, method)(path, data="{}", content_type="application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=_ids(OBJECT_ROUTES))
def test_other_store_cannot_open_an_object_by_its_url(route, store, users, outsiders, client_for):
    obj = _object_for(route.model, store)
    path = build_path(route, {p.name: _param_value(route, p, obj) for p in route.params})
    assert resolve(path).func is route.callback

    methods = allowed_methods(route)
    own = _object_param(route, route.model)
    missing_path = build_path(
        route, {p.name: "2147483646" if p is own else _param_value(route, p, obj) for p in route.params}
    )
    for role, outsider in outsiders.items():
        client = client_for(outsider)
        answered = []
        for method in methods:
            response = _call(client, method, path)
            if response.status_code == 405:
                continue  # a method the view does not take after all (e.g. http_method_names)
            answered.append(method)
            if response.status_code == 400 and _call(client, method, missing_path).status_code == 400:
                # The view rejects the empty input before looking the object up: a missing object
                # gets the same answer, so nothing about store A's object is revealed.
                continue
            assert response.status_code in (403, 404), (
                f"{role} of store B got {response.status_code} for {method.upper()} {path} "
                f"({route}), an object of store A: expected 403 or 404"
            )
        assert answered, f"{route} answered 405 to every method ({methods})"

    # The check above proves nothing if the URL names no real object: someone in store A must
    # reach it. (Run last: a POST may change the object.)
    insiders = User.objects.filter(memberships__store=store).distinct()
    reached = {}
    for insider in insiders:
        client = client_for(insider)
        statuses = [_call(client, method, path).status_code for method in methods]
        reached[insider.username] = statuses
        if any(status not in (403, 404, 405) for status in statuses):
            break
    else:
        pytest.fail(
            f"no user of store A reaches {path} ({route}) either ({reached}): the URL parameters do not name "
            "the object — give the route an entry in ROUTE_MODELS or fix _param_value"
        )


def _detail_paths_of(obj) -> list[str]:
    paths = []
    for route in OBJECT_ROUTES:
        if isinstance(obj, route.model):
            path = build_path(route, {p.name: _param_value(route, p, obj) for p in route.params})
            if path.endswith("/"):
                paths.append(path)
    return paths


@pytest.mark.django_db
@pytest.mark.parametrize("route", LIST_ROUTES, ids=_ids(LIST_ROUTES))
def test_other_store_lists_do_not_show_the_object(route, store, users, outsiders, client_for):
    obj = _object_for(route.model, store)
    detail_paths = _detail_paths_of(obj)
    for role, outsider in outsiders.items():
        response = client_for(outsider).get(route.sample_path)
        if response.status_code != 200:
            assert response.status_code in (302, 403, 404, 405), f"{role}: {route} answered {response.status_code}"
            continue
        if response.get("Content-Type", "").startswith("application/json"):
            data = json.loads(response.content)
            rows = data.get("results", data) if isinstance(data, dict) else data
            if isinstance(rows, list):
                ids = {row.get("id") for row in rows if isinstance(row, dict)}
                assert obj.pk not in ids, f"{role} of store B sees {obj!r} of store A in {route}"
        else:
            html = response.content.decode()
            for detail in detail_paths:
                assert detail not in html, f"{role} of store B sees a link to {detail} (store A) in {route}"
