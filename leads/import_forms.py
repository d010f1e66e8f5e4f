"""Forms of the lead import: the upload (file, source, who gets the leads) and the column mapping."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Store, User

from .importing import FIELDS, MAX_UPLOAD_BYTES, ImportFileError, file_kind
from .models import Source
from .selectors import lead_owners


class ImportUploadForm(forms.Form):
    ASSIGNMENTS = [
        ("owner", _("All to one consultant")),
        ("round_robin", _("Round robin among the consultants")),
        ("dcc", _("To the DCC queue (no owner yet)")),
    ]

    file = forms.FileField(
        label=_("File"),
        help_text=_("Excel (.xlsx) or CSV (UTF-8 or GBK), one lead per row, a header row on top. Up to 50 MB."),
    )
    source = forms.ModelChoiceField(
        label=_("Source"),
        queryset=Source.objects.none(),
        help_text=_("Where the whole list came from, e.g. 外购名单 or 外展."),
    )
    assignment = forms.ChoiceField(label=_("Assign the new leads"), choices=ASSIGNMENTS, widget=forms.RadioSelect)
    owner = forms.ModelChoiceField(label=_("Consultant"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = Source.objects.filter(is_active=True).select_related("parent")
        self.fields["owner"].queryset = lead_owners(store)
        self.fields["assignment"].initial = "round_robin"
        for name, field in self.fields.items():
            if name != "assignment":
                field.widget.attrs.setdefault("class", "form-select" if name in ("source", "owner") else "form-control")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            file_kind(upload.name)
        except ImportFileError as exc:
            raise forms.ValidationError(exc.messages)
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        return upload

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("assignment") == "owner" and not cleaned.get("owner"):
            self.add_error("owner", _("Choose the consultant who gets the leads."))
        return cleaned


class ImportMappingForm(forms.Form):
    """One select per field: which column of the file holds it (or none)."""

    def __init__(self, *args, headers: list[str], columns: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not imported —"))] + [(str(i), f"{h}") for i, h in enumerate(headers)]
        for spec in FIELDS:
            self.fields[spec.key] = forms.TypedChoiceField(
                label=spec.label,
                choices=choices,
                required=False,
                coerce=int,
                empty_value=None,
                initial=str(columns[spec.key]) if spec.key in columns else "",
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )

    def clean(self):
        cleaned = super().clean()
        used: dict[int, str] = {}
        for key, index in list(cleaned.items()):
            if index is None:
                continue
            if index in used:
                self.add_error(key, _("This column is already used for another field."))
                continue
            used[index] = key
        if cleaned.get("name") is None and cleaned.get("phone") is None:
            raise forms.ValidationError(_("Choose the column with the name or the one with the phone number."))
        return cleaned
