"""Sales orders (销售订单): new order for a lead or a walk-in buyer, the list, confirm, cancel,
deliver, the printable confirmation; and the small htmx helpers of the order form (vehicle picker,
VIN check, buyer look-up).

Orders are looked up through ``orders_visible_to`` in the current store: a consultant reaches their
own, a manager the store's, another store's order is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from catalog.models import Brand, Series, Trim, VehicleModel
from catalog.validators import decode_model_year, normalize_vin, validate_vin
from leads.models import Customer, Lead
from leads.phones import normalize_phone
from leads.selectors import customers_visible_to, display_phone
from leads.services import customer_find_by_phone

from . import selectors, services
from .filters import OrderFilterSet, style_form
from .forms import BuyerForm, OrderCancelForm, OrderDeliverForm, OrderForm
from .models import Order
from .views import ShowroomPageMixin, add_service_errors


def _int(value) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() else None


def picker_context(
    *, brand_id=None, series_id=None, model_id=None, trim_id=None, changed: str = "", field_name: str = "trim"
) -> dict:
    """The brand → series → model → trim selects for one choice; a chosen trim fills in its parents.

    ``changed`` names the select the user just changed: the levels below it start over.
    """
    brand_id, series_id, model_id, trim_id = (_int(v) for v in (brand_id, series_id, model_id, trim_id))
    levels = ["brand", "series", "model", "trim"]
    if changed in levels:
        below = levels[levels.index(changed) + 1 :]
        brand_id = brand_id if "brand" not in below else None
        series_id = series_id if "series" not in below else None
        model_id = model_id if "model" not in below else None
        trim_id = trim_id if "trim" not in below else None
    trim = Trim.objects.with_tree().filter(pk=trim_id).first() if trim_id else None
    if trim is not None:
        model_id, series_id, brand_id = trim.model_id, trim.model.series_id, trim.model.series.brand_id
    elif model_id:
        model = VehicleModel.objects.select_related("series").filter(pk=model_id).first()
        if model is not None:
            series_id, brand_id = model.series_id, model.series.brand_id
    elif series_id:
        series = Series.objects.filter(pk=series_id).first()
        brand_id = series.brand_id if series else None
    focus = levels[levels.index(changed) + 1] if changed in levels[:-1] else ""
    return {
        "brands": Brand.objects.filter(series__is_active=True).distinct().order_by("name"),
        "series_list": Series.objects.filter(brand_id=brand_id, is_active=True).order_by("name") if brand_id else [],
        "models": VehicleModel.objects.filter(series_id=series_id).order_by("-model_year", "name") if series_id else [],
        "trims": Trim.objects.filter(model_id=model_id, is_active=True).order_by("guide_price", "name")
        if model_id
        else [],
        "brand_id": brand_id,
        "series_id": series_id,
        "model_id": model_id,
        "trim_id": trim.pk if trim else None,
        "trim": trim,
        "focus": focus,
        "field_name": field_name,
    }


def picker_from(data, changed: str = "", field_name: str = "trim") -> dict:
    return picker_context(
        brand_id=data.get("pick_brand"),
        series_id=data.get("pick_series"),
        model_id=data.get("pick_model"),
        trim_id=data.get(field_name),
        changed=changed,
        field_name=field_name,
    )


class VehiclePickerView(ShowroomPageMixin, View):
    """The chained selects, re-rendered when one of them changes (htmx)."""

    model = Trim
    permission_required = "showroom.sell"
    permission_any = ("showroom.manage_demo_cars",)

    def get(self, request, *args, **kwargs):
        field_name = request.GET.get("field", "trim")
        if field_name not in ("trim",):
            field_name = "trim"
        context = picker_from(request.GET, request.GET.get("changed", ""), field_name)
        return render(request, "showroom/_vehicle_picker.html", {"picker": context})


class VinCheckView(ShowroomPageMixin, View):
    """Checks a typed VIN (length, letters, check digit) and, when the store knows the car, offers
    its trim to the picker."""

    model = Order
    permission_required = "showroom.sell"
    permission_any = ("showroom.manage_demo_cars", "showroom.deliver")

    def get(self, request, *args, **kwargs):
        vin = normalize_vin(request.GET.get("vin", ""))
        context: dict = {"vin": vin}
        if vin:
            try:
                validate_vin(vin)
            except ValidationError as exc:
                context["error"] = " ".join(exc.messages)
            else:
                context["year"] = decode_model_year(vin)
                taken = selectors.vin_in_use(request.store, vin, exclude_order_id=_int(request.GET.get("order")))
                context["taken"] = taken
                if not _int(request.GET.get("trim")) and request.GET.get("picker"):
                    trim = selectors.known_vin_trim(request.store, vin)
                    if trim is not None:
                        context["known_trim"] = trim
                        context["picker"] = picker_context(trim_id=trim.pk)
        return render(request, "showroom/_vin_check.html", context)


def describe_buyer(request, customer: Customer | None) -> dict:
    """What the seller learns about the number typed for a walk-in buyer."""
    if customer is None:
        return {"customer": None}
    lead = customer.leads.open().select_related("owner").first()
    visible = customers_visible_to(request.user, request.store).filter(pk=customer.pk).exists()
    mine = lead is None or Lead.objects.visible_to(request.user, "leads.work").filter(pk=lead.pk).exists()
    return {"customer": customer, "lead": lead, "visible": visible, "can_order": mine}


class BuyerLookupView(ShowroomPageMixin, View):
    """The htmx look-up under the buyer's phone: a known customer's profile fills the form."""

    model = Customer
    permission_required = "showroom.sell"

    def get(self, request, *args, **kwargs):
        raw = request.GET.get("buyer-phone", "").strip()
        context: dict = {"raw": raw}
        if raw:
            try:
                phone = normalize_phone(raw)
            except ValidationError as exc:
                context["error"] = " ".join(exc.messages)
            else:
                customer = Customer.objects.filter(store=request.store, phone=phone, merged_into__isnull=True).first()
                context.update(describe_buyer(request, customer))
                if customer is not None and context["visible"]:
                    context["profile_form"] = BuyerForm(instance=customer, initial={"phone": raw})
        return render(request, "showroom/_buyer_lookup.html", context)


# --- New order -------------------------------------------------------------------------------------


class OrderCreateView(ShowroomPageMixin, TemplateView):
    """新建订单: for a lead (``?lead=<id>``, from the customer page) or for a walk-in buyer found or
    created by phone, whose profile is edited in the same step."""

    model = Order
    permission_required = "showroom.sell"
    template_name = "showroom/order_form.html"

    def get_lead(self) -> Lead | None:
        lead_id = _int(self.request.GET.get("lead") or self.request.POST.get("lead"))
        if lead_id is None:
            return None
        workable = Lead.objects.visible_to(self.request.user, "leads.work").filter(store=self.request.store)
        return get_object_or_404(workable.select_related("customer", "owner", "series__brand"), pk=lead_id)

    def context(self, lead, form, buyer_form=None, changed="", **extra) -> dict:
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        picker = picker_from(data, changed)
        if lead is not None and not picker["brand_id"] and lead.series_id:
            picker = picker_context(series_id=lead.series_id)
        context = {"lead": lead, "form": form, "buyer_form": buyer_form, "picker": picker, **extra}
        if lead is not None:
            context["phone"] = display_phone(self.request.user, lead)
        return context

    def build_forms(self, lead, data=None) -> tuple[OrderForm, BuyerForm | None]:
        form = OrderForm(data, store=self.request.store)
        form.fields["vin"].widget.attrs.update(
            {
                "hx-get": reverse("showroom:vin_check"),
                "hx-trigger": "input changed delay:400ms, blur",
                "hx-target": "#vin-check",
                "hx-include": "[name='trim']",
                "hx-vals": '{"picker": "1"}',
                "hx-sync": "this:replace",
            }
        )
        if lead is not None:
            form.fields["vin"].widget.attrs["autofocus"] = True
            return form, None
        buyer_form = BuyerForm(data)
        buyer_form.fields["phone"].widget.attrs.update(
            {
                "hx-get": reverse("showroom:buyer_lookup"),
                "hx-trigger": "input changed delay:400ms, blur",
                "hx-target": "#buyer-check",
                "hx-sync": "this:replace",
            }
        )
        return form, buyer_form

    def get(self, request, *args, **kwargs):
        lead = self.get_lead()
        form, buyer_form = self.build_forms(lead)
        return render(request, self.template_name, self.context(lead, form, buyer_form))

    def post(self, request, *args, **kwargs):
        lead = self.get_lead()
        form, buyer_form = self.build_forms(lead, request.POST)
        buyer_info: dict = {}
        valid = form.is_valid() & (buyer_form is None or buyer_form.is_valid())
        if buyer_form is not None and buyer_form.is_valid():
            existing = customer_find_by_phone(request.store, buyer_form.cleaned_data["phone"])
            buyer_info = describe_buyer(request, existing)
            if existing is not None and not buyer_info["can_order"]:
                owner = buyer_info["lead"].owner
                buyer_form.add_error(
                    "phone",
                    _(
                        "This number belongs to %(name)s, whose open lead is owned by %(owner)s: "
                        "ask them or your manager to place the order."
                    )
                    % {"name": existing.name, "owner": owner.display_name if owner else _("nobody yet")},
                )
                valid = False
        if valid:
            try:
                order = self.place(lead, form, buyer_form, buyer_info)
            except ValidationError as exc:
                if getattr(exc, "code", None) == "forbidden":
                    raise PermissionDenied from exc
                self.show_errors(exc, form, buyer_form)
            else:
                messages.success(request, _("Order %(number)s created as a draft.") % {"number": order.number})
                return redirect("showroom:order_detail", pk=order.pk)
        return render(request, self.template_name, self.context(lead, form, buyer_form, buyer=buyer_info))

    @staticmethod
    def show_errors(exc: ValidationError, form, buyer_form) -> None:
        """A service's errors next to their fields: the buyer's on the buyer form, the rest on the order."""
        if not hasattr(exc, "error_dict"):
            form.add_error(None, exc)
            return
        for field, errors in exc.error_dict.items():
            if buyer_form is not None and field in buyer_form.fields:
                buyer_form.add_error(field, errors)
            else:
                form.add_error(field if field in form.fields else None, errors)

    @transaction.atomic
    def place(self, lead, form, buyer_form, buyer_info) -> Order:
        """The buyer (when walk-in) and the order in one transaction: a refused order files nobody."""
        request = self.request
        if lead is None:
            data = buyer_form.cleaned_data
            profile = buyer_form.profile()
            if buyer_info.get("customer") is not None:
                # Fields left empty do not erase what the customer's file already holds.
                profile = {k: v for k, v in profile.items() if v not in ("", None)}
            _customer, lead = services.customer_for_walk_in_buyer(
                actor=request.user, store=request.store, name=data["name"], phone=data["phone"], **profile
            )
        return services.order_create(actor=request.user, lead=lead, **form.order_data())


# --- List, detail, actions -------------------------------------------------------------------------


class OrderScopeMixin(ShowroomPageMixin):
    model = Order

    def visible_orders(self):
        return selectors.orders_visible_to(self.request.user, self.request.store)

    def get_order(self, pk) -> Order:
        return get_object_or_404(
            self.visible_orders().select_related(
                "customer", "lead__owner", "seller", "trim__model__series__brand", "store"
            ),
            pk=pk,
        )


class OrderListView(OrderScopeMixin, ListView):
    """销售订单: search by order number, customer, VIN and status."""

    permission_required = "showroom.view_orders"
    template_name = "showroom/order_list.html"
    context_object_name = "orders"
    paginate_by = 50

    def get_queryset(self):
        query = self.request.GET.copy()
        query.pop("page", None)
        self.query = query
        self.filter = OrderFilterSet(query, queryset=self.visible_orders(), store=self.request.store)
        style_form(self.filter.form)
        self.filter.form.fields["q"].widget.attrs.update({"autofocus": True, "type": "search"})
        # Newest first by the date the range is on (created unless confirmed or delivered is chosen),
        # shown in the list's date column.
        date_field = self.filter.date_field
        orders = self.filter.qs.select_related("customer", "seller", "trim__model__series__brand")
        orders = orders.annotate(listed_at=F(date_field))
        if date_field == "created_at":  # never empty: the plain order the store's index serves
            return orders.order_by("-created_at", "-id")
        return orders.order_by(F(date_field).desc(nulls_last=True), "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            filter=self.filter,
            query=self.query.urlencode(),
            can_sell="showroom.sell" in self.request.perms,
            date_field=self.filter.date_field,
            date_label=capfirst(Order._meta.get_field(self.filter.date_field).verbose_name),
        )
        return context


def order_page_context(request, order: Order, **forms) -> dict:
    perms = request.perms
    deliver_form = forms.get("deliver_form") or OrderDeliverForm(initial={"vin": order.vin})
    deliver_form.fields["vin"].widget.attrs.update(
        {
            "hx-get": reverse("showroom:vin_check"),
            "hx-trigger": "input changed delay:400ms, blur",
            "hx-target": "#deliver-vin-check",
            "hx-vals": f'{{"order": "{order.pk}"}}',
            "hx-sync": "this:replace",
        }
    )
    return {
        "order": order,
        "phone": display_phone(request.user, order.lead),
        "can_sell": "showroom.sell" in perms,
        "can_deliver": "showroom.deliver" in perms,
        "cancel_form": forms.get("cancel_form") or OrderCancelForm(),
        "deliver_form": deliver_form,
        "open_panel": forms.get("open_panel", ""),
        "Status": Order.Status,
    }


class OrderDetailView(OrderScopeMixin, TemplateView):
    permission_required = "showroom.view_orders"
    template_name = "showroom/order_detail.html"

    def get(self, request, *args, **kwargs):
        order = self.get_order(kwargs["pk"])
        return render(request, self.template_name, order_page_context(request, order))


class OrderActionView(OrderScopeMixin, View):
    """Confirm, cancel or deliver: the service checks the transition; errors come back on the page."""

    permission_required = "showroom.sell"
    http_method_names = ["post"]
    form_class = None
    form_name = ""

    def post(self, request, *args, **kwargs):
        order = self.get_order(kwargs["pk"])
        form = self.form_class(request.POST) if self.form_class else None
        if form is None or form.is_valid():
            try:
                message = self.perform(order, form)
            except ValidationError as exc:
                if getattr(exc, "code", None) == "forbidden":
                    raise PermissionDenied from exc
                if form is None or not hasattr(exc, "error_dict"):
                    # A refused transition (e.g. delivering a draft) is a message on the order page.
                    messages.error(request, " ".join(exc.messages))
                    return redirect("showroom:order_detail", pk=order.pk)
                add_service_errors(form, exc)
            else:
                messages.success(request, message)
                return redirect("showroom:order_detail", pk=order.pk)
        context = order_page_context(request, order, **{self.form_name: form, "open_panel": self.form_name})
        return render(request, "showroom/order_detail.html", context)

    def perform(self, order, form) -> str:
        raise NotImplementedError


class OrderConfirmView(OrderActionView):
    def perform(self, order, form) -> str:
        order = services.order_confirm(actor=self.request.user, order=order)
        if order.is_first_visit_deal:
            return _("Order %(number)s confirmed: a first-visit deal.") % {"number": order.number}
        return _("Order %(number)s confirmed.") % {"number": order.number}


class OrderCancelView(OrderActionView):
    form_class = OrderCancelForm
    form_name = "cancel_form"

    def perform(self, order, form) -> str:
        services.order_cancel(actor=self.request.user, order=order, reason=form.cleaned_data["reason"])
        return _("Order %(number)s cancelled.") % {"number": order.number}


class OrderDeliverView(OrderActionView):
    permission_required = "showroom.deliver"
    form_class = OrderDeliverForm
    form_name = "deliver_form"

    def perform(self, order, form) -> str:
        services.order_deliver(actor=self.request.user, order=order, vin=form.cleaned_data["vin"])
        return _("Order %(number)s delivered: the car was handed over.") % {"number": order.number}


class OrderPrintView(OrderScopeMixin, TemplateView):
    """The order confirmation to print and sign (订单确认书)."""

    permission_required = "showroom.view_orders"
    template_name = "showroom/order_print.html"

    def get(self, request, *args, **kwargs):
        order = self.get_order(kwargs["pk"])
        return render(request, self.template_name, {"order": order, "phone": display_phone(request.user, order.lead)})
