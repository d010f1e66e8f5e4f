"""Forms of the administration pages. They validate and keep what was typed; services do the writes."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import services
from .filters import MANAGE_USERS, grantable_role_codes, managed_group_ids
from .models import DealerGroup, Holiday, OpeningHours, Permission, Role, Store, Team, User
from .selectors import store_users_with_role


class BootstrapMixin:
    """Give every widget the Bootstrap 5 class it needs, and mark the fields with errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def bootstrap(form: forms.BaseForm) -> forms.BaseForm:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)):
            css = "form-check-input"
        elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
            css = "form-select"
        else:
            css = "form-control"
        classes = widget.attrs.get("class", "").split()
        if css not in classes:
            widget.attrs["class"] = " ".join([*classes, css])
    return form


# --- stores -------------------------------------------------------------------------------


class StoreForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Store
        fields = ["code", "name", "address", "phone"]
        help_texts = {"code": _("Short unique code of letters, digits and dashes, e.g. sh-pudong.")}


class StoreCreateForm(StoreForm):
    copy_hours = forms.BooleanField(
        label=_("Start with the opening hours of the current store"), required=False, initial=True
    )


_TIME = r"(\d{1,2})[:：.](\d{2})"
_INTERVAL = re.compile(rf"^\s*{_TIME}\s*(?:-|–|—|~|～|至|to)\s*{_TIME}\s*$")


def parse_intervals(text: str) -> list[tuple[dt.time, dt.time]]:
    """``"08:30-12:00, 13:30-18:00"`` → [(08:30, 12:00), (13:30, 18:00)]; empty text: closed."""
    intervals = []
    for part in re.split(r"[,，;；\n]+", text.strip()):
        if not part.strip():
            continue
        match = _INTERVAL.match(part)
        if not match:
            raise ValidationError(
                _("“%(part)s” is not a time range. Write it like 08:30-12:00."), params={"part": part.strip()}
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            intervals.append((dt.time(h1, m1), dt.time(h2, m2)))
        except ValueError:
            raise ValidationError(_("“%(part)s” is not a valid time of day."), params={"part": part.strip()}) from None
    return sorted(intervals)


class OpeningHoursForm(BootstrapMixin, forms.Form):
    """One line per weekday: its opening intervals, e.g. ``08:30-12:00, 13:30-18:00``; empty = closed."""

    def __init__(self, *args, store: Store, **kwargs):
        current: dict[int, list[str]] = {}
        for row in store.opening_hours.all():
            current.setdefault(row.weekday, []).append(f"{row.opens_at:%H:%M}-{row.closes_at:%H:%M}")
        saved = {self.field_name(day): ", ".join(current.get(day, [])) for day in range(7)}
        kwargs["initial"] = {**saved, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        for day, label in OpeningHours.Weekday.choices:
            self.fields[self.field_name(day)] = forms.CharField(
                label=label,
                required=False,
                widget=forms.TextInput(attrs={"placeholder": _("closed"), "class": "form-control"}),
            )

    @staticmethod
    def field_name(day: int) -> str:
        return OpeningHours.Weekday(day).name.lower()

    def clean(self):
        cleaned = super().clean()
        self.hours: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for day in range(7):
            name = self.field_name(day)
            if name not in cleaned:
                continue
            try:
                intervals = parse_intervals(cleaned[name])
            except ValidationError as exc:
                self.add_error(name, exc)
                continue
            problems = services.opening_hours_problems(day, intervals)
            if problems:
                self.add_error(name, problems)
            elif intervals:
                self.hours[day] = intervals
        return cleaned

    def weekday_fields(self):
        return [self[self.field_name(day)] for day in range(7)]


class HolidayForm(BootstrapMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    name = forms.CharField(label=_("Name"), max_length=60, widget=forms.TextInput(attrs={"placeholder": "春节"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=Holiday.Kind.choices, initial=Holiday.Kind.CLOSED)
    works_as_weekday = forms.TypedChoiceField(
        label=_("Opens with the hours of"),
        choices=[("", "—"), *OpeningHours.Weekday.choices],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Only for a make-up working day (调休): which weekday's hours apply."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Holiday.Kind.WORKDAY and cleaned.get("works_as_weekday") is None:
            self.add_error("works_as_weekday", _("Say which weekday's hours this make-up working day opens with."))
        if cleaned.get("kind") == Holiday.Kind.CLOSED:
            cleaned["works_as_weekday"] = None
        return cleaned


class HolidayRangeForm(BootstrapMixin, forms.Form):
    start = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    name = forms.CharField(label=_("Name"), max_length=60, widget=forms.TextInput(attrs={"placeholder": "春节"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The last day must not be before the first day."))
            elif (end - start).days + 1 > services.HOLIDAY_RANGE_MAX_DAYS:
                self.add_error(
                    "end",
                    _("At most %(max)d days at a time.") % {"max": services.HOLIDAY_RANGE_MAX_DAYS},
                )
        return cleaned


# --- users --------------------------------------------------------------------------------

PROFILE_FIELDS = [
    "username",
    "full_name",
    "phone",
    "email",
    "language",
    "can_export",
    "can_see_full_phone",
    "notify_by_email",
]

GROUP_PREFIX = "group:"


class RoleGrantFieldsMixin:
    """A place (one of the administrator's stores, or a whole dealer group) and a role code.

    The role is chosen by code and resolved in the chosen store, so a store's own version of a
    role is the one granted there.
    """

    grant_required = True

    def add_grant_fields(self, actor: User, current_store: Store | None):
        stores = Store.objects.filter(id__in=actor.store_ids_with_perm(MANAGE_USERS)).order_by("name")
        groups = DealerGroup.objects.filter(id__in=managed_group_ids(actor, MANAGE_USERS)).order_by("name")
        place_choices = [("", "—")] if not self.grant_required else []
        place_choices += [(str(s.pk), s.name) for s in stores]
        place_choices += [
            (f"{GROUP_PREFIX}{g.pk}", _("Whole dealer group: %(group)s") % {"group": g.name}) for g in groups
        ]
        self.fields["store"] = forms.ChoiceField(
            label=_("Store"),
            choices=place_choices,
            required=self.grant_required,
            initial=str(current_store.pk) if current_store else "",
            help_text=_("A group-wide role applies in every store of the dealer group."),
        )
        self.fields["role"] = forms.ChoiceField(
            label=_("Role"),
            choices=[("", "—"), *grantable_role_codes(stores)],
            required=self.grant_required,
        )
        self._grant_stores = {str(s.pk): s for s in stores}
        self._grant_groups = {f"{GROUP_PREFIX}{g.pk}": g for g in groups}

    def clean_grant(self, cleaned):
        """Set ``grant_role``, ``grant_store`` and ``grant_group`` (all None when nothing is granted)."""
        self.grant_role = self.grant_store = self.grant_group = None
        place, code = cleaned.get("store"), cleaned.get("role")
        if not code:
            # Without a role nothing is granted; a preselected store alone means nothing.
            if self.grant_required and "role" not in self.errors:
                self.add_error("role", _("Choose a role."))
            return
        if not place:
            if "store" not in self.errors:
                self.add_error("store", _("Choose where the role applies."))
            return
        if place in self._grant_groups:
            self.grant_group = self._grant_groups[place]
            self.grant_role = Role.objects.filter(store=None, code=code).first()
        else:
            self.grant_store = self._grant_stores[place]
            self.grant_role = Role.objects.available_in(self.grant_store).filter(code=code).first()
        if self.grant_role is None:
            self.add_error("role", _("This role is not available there."))


class UserCreateForm(RoleGrantFieldsMixin, BootstrapMixin, forms.ModelForm):
    grant_required = False

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = User
        fields = PROFILE_FIELDS

    def __init__(self, *args, actor: User, current_store: Store | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_grant_fields(actor, current_store)
        bootstrap(self)

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ. Please type the same password twice."))
        elif password1:
            candidate = User(
                username=cleaned.get("username", ""),
                full_name=cleaned.get("full_name", ""),
                email=cleaned.get("email", ""),
            )
            try:
                password_validation.validate_password(password1, candidate)
            except ValidationError as exc:
                self.add_error("password1", exc)
        self.clean_grant(cleaned)
        return cleaned


class UserEditForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = PROFILE_FIELDS


class UserPasswordForm(BootstrapMixin, forms.Form):
    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ. Please type the same password twice."))
        elif password1:
            try:
                password_validation.validate_password(password1, self.user)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class MembershipGrantForm(RoleGrantFieldsMixin, BootstrapMixin, forms.Form):
    def __init__(self, *args, actor: User, current_store: Store | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_grant_fields(actor, current_store)
        bootstrap(self)

    def clean(self):
        cleaned = super().clean()
        self.clean_grant(cleaned)
        return cleaned


# --- teams --------------------------------------------------------------------------------


class TeamForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    supervisor = forms.ModelChoiceField(
        label=_("Sales supervisor"), queryset=User.objects.none(), required=False, empty_label="—"
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Consultants"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, store: Store, team: Team | None = None, **kwargs):
        if team is not None:
            saved = {"name": team.name, "supervisor": team.supervisor_id, "members": list(team.members.all())}
            kwargs["initial"] = {**saved, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        self.store, self.team = store, team
        supervisors = store_users_with_role(store, "sales_supervisor")
        consultants = store_users_with_role(store, "consultant")
        if team is not None:
            # Current members stay listed even if their role changed, so saving never drops them silently.
            consultants = User.objects.filter(
                Q(pk__in=consultants.values("pk")) | Q(pk__in=team.members.values("pk"))
            ).order_by("full_name", "username")
        self.fields["supervisor"].queryset = supervisors
        self.fields["members"].queryset = consultants
        self.fields["members"].label_from_instance = lambda u: f"{u.display_name} ({u.username})"
        self.fields["supervisor"].label_from_instance = lambda u: f"{u.display_name} ({u.username})"

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        duplicate = Team.objects.filter(store=self.store, name=name)
        if self.team is not None:
            duplicate = duplicate.exclude(pk=self.team.pk)
        if duplicate.exists():
            raise ValidationError(_("This store already has a team with that name."))
        return name


# --- roles --------------------------------------------------------------------------------


class RoleForm(BootstrapMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=60, required=False, help_text=_("Leave empty to use the standard name.")
    )
    landing_url = forms.ChoiceField(label=_("Landing page"), required=False)
    permissions = forms.ModelMultipleChoiceField(
        label=_("Permissions"),
        queryset=Permission.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, role: Role, landing_choices: list[tuple[str, str]], **kwargs):
        saved = {"name": role.name, "landing_url": role.landing_url, "permissions": list(role.permissions.all())}
        kwargs["initial"] = {**saved, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        choices = [("", _("Standard for this role")), *landing_choices]
        if role.landing_url and role.landing_url not in dict(landing_choices):
            choices.append((role.landing_url, role.landing_url))
        self.fields["landing_url"].choices = choices

    def permission_groups(self) -> list[tuple[str, list]]:
        """The permission checkboxes grouped by app prefix (``leads.…``, ``accounts.…``)."""
        groups: dict[str, list] = {}
        for widget in self["permissions"]:
            permission = widget.data["value"].instance
            groups.setdefault(permission.code.split(".")[0], []).append((widget, permission))
        return sorted(groups.items())
