"""The Chinese catalogue covers every user-visible string in the code, with nothing fuzzy."""

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _entries(text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr-or-plurals, fuzzy) for each entry of a .po file, header excluded."""
    entries = []
    for block in re.split(r"\n\s*\n", text):
        if "msgid" not in block or block.lstrip().startswith("#~"):
            continue
        fuzzy = bool(re.search(r"^#,.*\bfuzzy\b", block, re.M))
        parts = re.split(r"^(msgid|msgid_plural|msgstr(?:\[\d\])?)\s+", block, flags=re.M)
        fields: dict[str, str] = {}
        for key, value in zip(parts[1::2], parts[2::2], strict=True):
            fields[key] = "".join(re.findall(r'"(.*)"', value))
        msgid = fields.get("msgid", "")
        if not msgid:
            continue  # the header
        translations = [v for k, v in fields.items() if k.startswith("msgstr")]
        entries.append((msgid, "|".join(translations) if all(translations) else "", fuzzy))
    return entries


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_every_string_in_the_code_is_translated(tmp_path, settings):
    target = tmp_path / "zh_Hans" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(PO, target / "django.po")
    settings.LOCALE_PATHS = [tmp_path]
    call_command(
        "makemessages",
        locale=["zh_Hans"],
        ignore_patterns=[".venv/*", "node_modules/*", "tests/*", "bench/*", "var/*", "staticfiles/*"],
        no_location=True,
        no_obsolete=True,
        verbosity=0,
    )
    missing = [msgid for msgid, msgstr, fuzzy in _entries((target / "django.po").read_text()) if not msgstr or fuzzy]
    assert not missing, f"{len(missing)} strings lack a Chinese translation, e.g. {missing[:10]}"


def test_catalogue_has_no_untranslated_or_fuzzy_entries():
    bad = [msgid for msgid, msgstr, fuzzy in _entries(PO.read_text()) if not msgstr or fuzzy]
    assert not bad, f"untranslated or fuzzy: {bad[:10]}"
