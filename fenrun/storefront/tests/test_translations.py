"""The zh-Hant catalogues of the shop pages are complete and compiled."""

import gettext
import re
from pathlib import Path

import pytest

FENRUN = Path(__file__).resolve().parents[2]
CATALOGUES = [
    FENRUN / "storefront/locale/zh_Hant/LC_MESSAGES/django.po",
    FENRUN / "accounts/locale/zh_Hant/LC_MESSAGES/django.po",
    FENRUN / "orders/locale/zh_Hant/LC_MESSAGES/django.po",
    FENRUN / "locale/zh_Hant/LC_MESSAGES/django.po",  # base.html, member/base.html, registration/
]


def entries(path: Path) -> list[dict]:
    result = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, current = {"fuzzy": "#, fuzzy" in block or ", fuzzy" in block}, None
        for line in block.splitlines():
            found = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if found:
                current = found.group(1)
                entry[current] = found.group(2)
            elif line.startswith('"') and current:
                entry[current] += line[1:-1]
        if entry.get("msgid"):
            result.append(entry)
    return result


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(FENRUN)))
def test_every_message_is_translated_and_compiled(path):
    messages = entries(path)
    assert messages
    untranslated = [
        e["msgid"] for e in messages if e["fuzzy"] or not (e.get("msgstr") or e.get("msgstr[0]"))
    ]
    assert untranslated == []
    with open(path.with_suffix(".mo"), "rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    for entry in messages:
        msgid = entry["msgid"].replace('\\"', '"').replace("\\n", "\n")
        if "msgid_plural" in entry:
            assert catalogue.ngettext(msgid, entry["msgid_plural"], 1) != msgid
        elif "msgctxt" in entry:
            assert catalogue.pgettext(entry["msgctxt"], msgid) != msgid, f"not compiled: {msgid}"
        else:
            assert catalogue.gettext(msgid) != msgid, f"not compiled: {msgid}"
