"""Chinese phone numbers: normalise what people type, validate it, mask it for display.

Mobile numbers are stored as 11 digits ("13812345678"); landlines with their area code as
"021-58881234" (an extension as "021-58881234-801"). One customer per normalised number per store.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area codes: 010, 02x (3 digits) or 0xxx (4 digits); local numbers 7 or 8 digits.
_LANDLINE = re.compile(r"^(0(?:10|2\d|[3-9]\d{2}))([2-9]\d{6,7})$")
_SEPARATORS = re.compile(r"[\s\-\(\)（）\.·]")


def normalize_phone(raw: str) -> str:
    """Return the stored form of ``raw`` or raise ValidationError with a clear message."""
    value = (raw or "").strip()
    if not value:
        raise ValidationError(_("Please enter a phone number."), code="required")
    value = value.translate(str.maketrans("０１２３４５６７８９＋－", "0123456789+-"))
    compact = _SEPARATORS.sub("", value).lower()
    for prefix in ("+86", "0086"):
        if compact.startswith(prefix):
            compact = compact[len(prefix) :]
            break
    else:
        if len(compact) == 13 and compact.startswith("86") and compact[2] == "1":
            compact = compact[2:]
    if _MOBILE.match(compact):
        return compact
    landline = _match_landline(value, compact)
    if landline is not None:
        area, local, extension = landline
        return f"{area}-{local}" + (f"-{extension}" if extension else "")
    if compact.isdigit() and compact.startswith("1") and len(compact) == 11:
        raise ValidationError(
            _("“%(value)s” is not a mobile number: Chinese mobile numbers start with 13 to 19."),
            code="invalid_mobile",
            params={"value": raw},
        )
    if compact.isdigit() and compact.startswith("1"):
        raise ValidationError(
            _("A mobile number has 11 digits starting with 13–19; “%(value)s” has %(count)d digits."),
            code="invalid_mobile",
            params={"value": raw, "count": len(compact)},
        )
    if compact.isdigit() and not compact.startswith("0") and 7 <= len(compact) <= 8:
        raise ValidationError(
            _("Please add the area code to the landline number, e.g. 021-58881234."), code="missing_area_code"
        )
    raise ValidationError(
        _("“%(value)s” is not a valid phone number. Enter an 11-digit mobile number or a landline with its area code."),
        code="invalid",
        params={"value": raw},
    )


def _match_landline(value: str, compact: str) -> tuple[str, str, str] | None:
    """(area code, local number, extension) of a landline, or None."""
    plain = _LANDLINE.match(compact)
    if plain:
        return plain.group(1), plain.group(2), ""
    # With separators the parts say where the area code ends and an extension starts.
    parts = [p for p in re.split(r"[\s\-\(\)（）#]|转|ext", value.strip().lower()) if p]
    if len(parts) in (2, 3) and all(p.isdigit() for p in parts):
        match = _LANDLINE.match(parts[0] + parts[1])
        if match and match.group(1) == parts[0] and (len(parts) == 2 or len(parts[2]) <= 6):
            return match.group(1), match.group(2), parts[2] if len(parts) == 3 else ""
    return None


def is_valid_phone(raw: str) -> bool:
    try:
        normalize_phone(raw)
    except ValidationError:
        return False
    return True


def mask_phone(phone: str) -> str:
    """138****1234 for mobiles, 021-****1234 for landlines; empty stays empty."""
    if not phone:
        return ""
    if _MOBILE.match(phone):
        return f"{phone[:3]}****{phone[-4:]}"
    if "-" in phone:
        area, rest = phone.split("-", 1)
        local = rest.split("-")[0]
        return f"{area}-{'*' * (len(local) - 4)}{local[-4:]}"
    return "*" * max(len(phone) - 4, 0) + phone[-4:]
