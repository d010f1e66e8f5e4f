"""VIN validation per ISO 3779 / GB 16735 with real VINs, and the model-year range."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from catalog.validators import (
    VINValidator,
    decode_model_year,
    normalize_vin,
    validate_model_year,
    validate_vin,
    vin_check_digit,
)

# Real VINs with valid check digits.
VALID_VINS = [
    "1M8GDM9AXKP042788",  # the textbook example (check digit X)
    "1HGCM82633A004352",  # Honda Accord, USA
    "WBSPM9C52BE209978",  # BMW M3, Germany
    "WAULFAFR6DA001366",  # Audi A5, Germany
    "LFV2A11K8F4192886",  # FAW-Volkswagen, China (L = China)
    "LRBFX2SA0JD026226",  # SAIC-GM Buick Envision, China
    "LRW3E7FSXPC660715",  # Tesla Shanghai, China (check digit X)
    "LRW3E7EK5TC770390",  # Tesla Shanghai, 2026 model year
    "LMVHEKFD6EA029484",  # Haima, China
]

# Well-formed but with a wrong check digit: (VIN, the digit that was expected).
WRONG_CHECK_DIGIT = [
    ("LSVAU033512345678", "6"),  # SAIC-Volkswagen-style sample: position 9 is 5, must be 6
    ("LFV2A21K8C3000001", "4"),
    ("LRW3E7FA0MC000002", "1"),
    ("1M8GDM9A1KP042788", "X"),  # the textbook VIN with its X mistyped as 1
]


def messages_of(exc_info) -> list[str]:
    return exc_info.value.messages


def codes_of(exc_info) -> set[str]:
    return {error.code for error in exc_info.value.error_list}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize("vin", VALID_VINS)
def test_real_vins_are_valid(vin):
    validate_vin(vin)
    assert vin_check_digit(vin) == vin[8]


@pytest.mark.parametrize(("vin", "expected"), WRONG_CHECK_DIGIT)
def test_wrong_check_digit_names_the_expected_one(vin, expected):
    with pytest.raises(ValidationError) as exc_info:
        validate_vin(vin)
    assert codes_of(exc_info) == {"vin_check_digit"}
    (message,) = messages_of(exc_info)
    assert f'is "{vin[8]}", but "{expected}" was expected' in message
    assert "9th character" in message


def test_check_digit_remainder_ten_is_x():
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"
    assert vin_check_digit("LRW3E7FSXPC660715") == "X"


def test_lowercase_and_surrounding_spaces_are_accepted():
    validate_vin("  lfv2a11k8f4192886 ")
    assert normalize_vin("  lfv2a11k8f4192886 ") == "LFV2A11K8F4192886"


def test_full_width_characters_typed_with_a_chinese_ime_are_folded():
    assert normalize_vin("ＬＦＶ２Ａ１１Ｋ８Ｆ４１９２８８６") == "LFV2A11K8F4192886"
    validate_vin("ＬＦＶ２Ａ１１Ｋ８Ｆ４１９２８８６")


@pytest.mark.parametrize(("value", "count"), [("LFV2A11K8F419288", 16), ("LFV2A11K8F41928861", 18), ("", 0)])
def test_wrong_length_says_how_many_characters_were_given(value, count):
    with pytest.raises(ValidationError) as exc_info:
        validate_vin(value)
    assert codes_of(exc_info) == {"vin_length"}
    assert messages_of(exc_info) == [f"A VIN has exactly 17 characters, but {count} characters were given."]


def test_wrong_length_singular():
    with pytest.raises(ValidationError) as exc_info:
        validate_vin("L")
    assert messages_of(exc_info) == ["A VIN has exactly 17 characters, but 1 character was given."]


def test_forbidden_letters_are_named():
    with pytest.raises(ValidationError) as exc_info:
        validate_vin("LFV2A11K8F41O2886")  # O typed for 0... and I for 1 below
    assert codes_of(exc_info) == {"vin_forbidden_letter"}
    assert "contains O." in messages_of(exc_info)[0]

    with pytest.raises(ValidationError) as exc_info:
        validate_vin("LFVQA11K8FI192886")
    assert "I, O or Q" in messages_of(exc_info)[0]
    assert messages_of(exc_info)[0].endswith("but this one contains I, Q.")


def test_invalid_characters_are_quoted():
    with pytest.raises(ValidationError) as exc_info:
        validate_vin("LFV2A11K8F-19 886")
    assert codes_of(exc_info) == {"vin_invalid_character"}
    assert messages_of(exc_info) == [
        'A VIN may contain only the digits 0–9 and the letters A–Z, but this one contains "-", " ".'
    ]


def test_several_problems_are_reported_together_and_skip_the_check_digit():
    with pytest.raises(ValidationError) as exc_info:
        validate_vin("LFV2A11K8F4I*")
    assert codes_of(exc_info) == {"vin_length", "vin_forbidden_letter", "vin_invalid_character"}
    assert len(messages_of(exc_info)) == 3


def test_messages_are_translatable():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc_info:
        validate_vin("LSVAU033512345678")
    assert exc_info.value.messages  # rendered in the active language, whatever the catalog holds


def test_check_digit_can_be_skipped_for_markets_without_one():
    VINValidator(check_digit=False)("LSVAU033512345678")
    with pytest.raises(ValidationError):
        VINValidator(check_digit=False)("LSVAU03351234567")


def test_validator_is_deconstructible_and_comparable():
    path, args, kwargs = VINValidator().deconstruct()
    assert path == "catalog.validators.VINValidator"
    assert VINValidator() == validate_vin
    assert VINValidator(check_digit=False) != validate_vin


@pytest.mark.parametrize(
    ("vin", "year"),
    [
        ("LRW3E7EK5TC770390", 2026),
        ("LRW3E7FSXPC660715", 2023),
        ("LRBFX2SA0JD026226", 2018),
        ("LFV2A11K8F4192886", 2015),
        ("1M8GDM9AXKP042788", 2019),  # K: 1989 or 2019; the latest reading is given
    ],
)
def test_model_year_from_position_ten(vin, year):
    assert decode_model_year(vin, today=dt.date(2026, 6, 1)) == year


def test_model_year_codes_wrap_after_thirty_years():
    assert decode_model_year("LFV2A11K8A4192886", today=dt.date(2026, 6, 1)) == 2010
    assert decode_model_year("LFV2A11K8A4192886", today=dt.date(2040, 1, 1)) == 2040
    assert decode_model_year("LFV2A11K8Y4192886", today=dt.date(2026, 6, 1)) == 2000
    assert decode_model_year("LFV2A11K8U4192886") is None  # U codes no year
    assert decode_model_year("SHORT") is None


def test_model_year_range():
    validate_model_year(2025)
    validate_model_year(1980)
    validate_model_year(dt.date.today().year + 2)
    with pytest.raises(ValidationError) as exc_info:
        validate_model_year(1979)
    assert "1979" in exc_info.value.messages[0]
    with pytest.raises(ValidationError):
        validate_model_year(dt.date.today().year + 3)
