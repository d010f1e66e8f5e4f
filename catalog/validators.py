"""VIN checks per ISO 3779 / GB 16735, and the model-year range the catalog accepts.

``validate_vin`` is an ordinary Django validator, usable on model fields, form fields and DRF
serializer fields alike; every message says exactly what is wrong so a clerk can fix a typo.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

VIN_LENGTH = 17
CHECK_DIGIT_POSITION = 9  # 1-based, as the standards count
FORBIDDEN_LETTERS = "IOQ"
VIN_ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")

# ISO 3779 / GB 16735 transliteration of letters to numbers (digits stand for themselves).
TRANSLITERATION = {
    **{str(digit): digit for digit in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)

# Position 10: the model year, in a 30-year cycle (no I, O, Q, U, Z and no 0).
YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"
YEAR_CYCLE_START = 1980

MIN_MODEL_YEAR = 1980


def normalize_vin(value) -> str:
    """The VIN as it should be stored: full-width characters folded to ASCII, no outer spaces, upper case."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip().upper()


def vin_check_digit(vin: str) -> str:
    """The check digit (``0``–``9`` or ``X``) a 17-character VIN of valid characters must carry at position 9."""
    total = sum(TRANSLITERATION[char] * weight for char, weight in zip(vin, WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def decode_model_year(vin: str, *, today: dt.date | None = None) -> int | None:
    """The model year coded at position 10: the latest year of its 30-year cycle not after next year.

    The code repeats every 30 years (``K`` is 1989 and 2019), so the most recent reading is the useful
    one for vehicles a dealership sells or services. ``None`` when the character codes no year.
    """
    vin = normalize_vin(vin)
    if len(vin) < 10 or vin[9] not in YEAR_CODES:
        return None
    latest = (today or dt.date.today()).year + 1
    year = YEAR_CYCLE_START + YEAR_CODES.index(vin[9])
    while year + 30 <= latest:
        year += 30
    return year


def _quoted(chars) -> str:
    """Characters listed so that a space or a dash stays visible: ``" ", "-"``."""
    return ", ".join(f'"{char}"' for char in chars)


@deconstructible
class VINValidator:
    """Check a VIN: 17 characters, digits and letters without I, O and Q, and the check digit at position 9.

    ``check_digit=False`` skips the last check, for the rare market whose VINs carry none.
    """

    messages = {
        "vin_length": ngettext_lazy(
            "A VIN has exactly 17 characters, but %(count)d character was given.",
            "A VIN has exactly 17 characters, but %(count)d characters were given.",
            "count",
        ),
        "vin_forbidden_letter": _(
            "A VIN never contains the letters I, O or Q (they look like 1 and 0), but this one contains %(letters)s."
        ),
        "vin_invalid_character": _(
            "A VIN may contain only the digits 0–9 and the letters A–Z, but this one contains %(characters)s."
        ),
        "vin_check_digit": _(
            'The check digit (the 9th character) is "%(given)s", but "%(expected)s" was expected: '
            "please check the VIN for a typo."
        ),
    }

    def __init__(self, check_digit: bool = True):
        self.check_digit = check_digit

    def __call__(self, value) -> None:
        vin = normalize_vin(value)
        errors = []
        if len(vin) != VIN_LENGTH:
            errors.append(ValidationError(self.messages["vin_length"], code="vin_length", params={"count": len(vin)}))
        forbidden = sorted({char for char in vin if char in FORBIDDEN_LETTERS})
        if forbidden:
            errors.append(
                ValidationError(
                    self.messages["vin_forbidden_letter"],
                    code="vin_forbidden_letter",
                    params={"letters": ", ".join(forbidden)},
                )
            )
        invalid = []
        for char in vin:
            if char not in VIN_ALPHABET and char not in FORBIDDEN_LETTERS and char not in invalid:
                invalid.append(char)
        if invalid:
            errors.append(
                ValidationError(
                    self.messages["vin_invalid_character"],
                    code="vin_invalid_character",
                    params={"characters": _quoted(invalid)},
                )
            )
        if errors:
            raise ValidationError(errors)
        if self.check_digit:
            expected = vin_check_digit(vin)
            given = vin[CHECK_DIGIT_POSITION - 1]
            if given != expected:
                raise ValidationError(
                    self.messages["vin_check_digit"],
                    code="vin_check_digit",
                    params={"given": given, "expected": expected},
                )

    def __eq__(self, other) -> bool:
        return isinstance(other, VINValidator) and self.check_digit == other.check_digit

    def __hash__(self) -> int:
        return hash((type(self), self.check_digit))


validate_vin = VINValidator()


def max_model_year(today: dt.date | None = None) -> int:
    """Manufacturers announce next year's models in the current year, never later ones."""
    return (today or dt.date.today()).year + 2


def validate_model_year(value) -> None:
    """A model year from 1980 up to two years ahead."""
    if value is None:
        return
    upper = max_model_year()
    if not MIN_MODEL_YEAR <= int(value) <= upper:
        raise ValidationError(
            _("The model year must be between %(min)d and %(max)d; %(year)s is outside that range."),
            code="model_year_range",
            params={"min": MIN_MODEL_YEAR, "max": upper, "year": value},
        )
