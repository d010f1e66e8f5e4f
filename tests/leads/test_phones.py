"""Phone numbers: every spelling people type comes out as one stored form, or a clear message."""

import pytest
from django.core.exceptions import ValidationError

from leads.phones import is_valid_phone, mask_phone, normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        " 13812345678 ",
        "138 1234 5678",
        "138-1234-5678",
        "(138)1234-5678",
        "+8613812345678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "008613812345678",
        "0086 138 1234 5678",
        "8613812345678",
        "86 138 1234 5678",
        "１３８１２３４５６７８",  # full-width digits from a Chinese input method
        "＋８６　１３８－１２３４－５６７８",  # full-width plus, ideographic space and dashes
    ],
)
def test_mobile_spellings_normalise_to_eleven_digits(raw):
    assert normalize_phone(raw) == "13812345678"


@pytest.mark.parametrize("prefix", ["13", "14", "15", "16", "17", "18", "19"])
def test_every_mobile_prefix_from_13_to_19_is_accepted(prefix):
    assert normalize_phone(f"{prefix}912345678") == f"{prefix}912345678"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("021-58881234", "021-58881234"),
        ("021 5888 1234", "021-58881234"),
        ("02158881234", "021-58881234"),
        ("(021)58881234", "021-58881234"),
        ("（021）58881234", "021-58881234"),
        ("０２１－５８８８１２３４", "021-58881234"),
        ("010-88886666", "010-88886666"),
        ("0571-88765432", "0571-88765432"),
        ("0571 8876543", "0571-8876543"),  # seven-digit local number
        ("+86 021 5888 1234", "021-58881234"),
        # Extensions (分机) keep their digits after a second dash.
        ("021-58881234-801", "021-58881234-801"),
        ("021-58881234转801", "021-58881234-801"),
        ("021 58881234 ext 801", "021-58881234-801"),
        ("021-58881234#8", "021-58881234-8"),
    ],
)
def test_landlines_keep_area_code_and_extension(raw, stored):
    assert normalize_phone(raw) == stored


def _error(raw):
    with pytest.raises(ValidationError) as exc:
        normalize_phone(raw)
    error = exc.value
    return error.code, error.message % (error.params or {})


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_empty_asks_for_a_number(raw):
    code, message = _error(raw)
    assert code == "required"


@pytest.mark.parametrize("raw", ["1381234567", "138 1234 567", "138123456789", "138"])
def test_short_or_long_mobile_says_how_many_digits(raw):
    code, message = _error(raw)
    assert code == "invalid_mobile"
    digits = sum(ch.isdigit() for ch in raw)
    assert str(digits) in message and "11" in message


@pytest.mark.parametrize("raw", ["12812345678", "11012345678", "10086123456"])
def test_mobile_with_a_bad_prefix_says_13_to_19(raw):
    code, message = _error(raw)
    assert code == "invalid_mobile"
    assert "13" in message and "19" in message


@pytest.mark.parametrize("raw", ["58881234", "5888 1234", "8876543"])
def test_landline_without_area_code_asks_for_it(raw):
    code, message = _error(raw)
    assert code == "missing_area_code"
    assert "021-58881234" in message  # the message shows how to write it


@pytest.mark.parametrize("raw", ["abc", "0215888", "021-1234567", "+1 415 555 0100", "00000000000"])
def test_anything_else_is_refused_with_the_value_quoted(raw):
    code, message = _error(raw)
    assert code == "invalid"
    assert raw in message


def test_is_valid_phone():
    assert is_valid_phone("+86 138 1234 5678")
    assert is_valid_phone("0571-88765432")
    assert not is_valid_phone("1381234567")
    assert not is_valid_phone("")


@pytest.mark.parametrize(
    ("stored", "masked"),
    [
        ("13812345678", "138****5678"),
        ("021-58881234", "021-****1234"),
        ("0571-8876543", "0571-***6543"),
        ("021-58881234-801", "021-****1234"),  # the extension is not shown either
        ("", ""),
    ],
)
def test_masking_hides_the_middle(stored, masked):
    assert mask_phone(stored) == masked


def test_masked_mobile_never_shows_the_middle_digits():
    masked = mask_phone(normalize_phone("+86 139 8765 4321"))
    assert masked == "139****4321"
    assert "8765" not in masked
