"""Every SMS text in both languages stays short: the Chinese from locale/fragments/notifications.po (the
compiled catalogue may lag behind), rendered with long but realistic values."""

import re
from pathlib import Path

import polib
import pytest
from django.utils import translation

from notifications import messages
from notifications.timing import segments

FRAGMENT = Path(__file__).resolve().parents[2] / "locale" / "fragments" / "notifications.po"
CATALOGUE = polib.pofile(str(FRAGMENT))
SMS = [entry for entry in CATALOGUE if entry.msgid.startswith("[%(hall)s]")]
with translation.override(None):  # the msgids, whatever catalogue is compiled
    OURS = {
        str(t)
        for t in (
            messages.REMINDER_DAY_BEFORE,
            messages.REMINDER_SOON,
            messages.CLOSURE_DAY,
            messages.CLOSURE_HOURS,
            messages.RATING_REQUEST,
        )
    }
MAX_CHARS = 300  # well inside both gateways' limit for one long message
URL = "https://yuyue.example.gov.cn/booking/" + "x" * 32 + "/"
EN = {
    "hall": "North District Hall",
    "service": "ID card first application",
    "date": "2026-11-24",
    "start": "09:00",
    "end": "09:30",
    "code": "ACDEFGHJ",
    "url": URL,
    "reason": messages.short("Power maintenance in the whole building this morning"),
    "number": "A012",
    "ahead": 3,
    "counter": 12,
    "until": "10:30",
    "items": "Household register booklet; photo receipt",
}
ZH = {
    **EN,
    "hall": "北区户政大厅",
    "service": "居民身份证首次申领",
    "reason": messages.short("大楼全天电力检修，暂停对外办公，给您带来不便敬请谅解，谢谢配合"),
    "items": "户口簿；照片回执",
}


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)s", text))


def test_every_message_of_this_app_is_in_the_fragment():
    assert OURS - {entry.msgid for entry in SMS} == set()


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda e: e.msgid[:40])
def test_translation_keeps_the_placeholders(entry):
    translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]

    assert entry.translated()
    assert all(placeholders(t) == placeholders(entry.msgid) for t in translations)


@pytest.mark.parametrize("entry", SMS, ids=lambda e: e.msgid[:40])
def test_sms_within_gateway_limit_in_both_languages(entry):
    english, chinese = entry.msgid % EN, entry.msgstr % ZH

    assert (len(english) <= MAX_CHARS, len(chinese) <= MAX_CHARS) == (True, True)


@pytest.mark.parametrize("msgid", sorted(OURS), ids=lambda m: m[:40])
def test_our_messages_take_at_most_three_segments(msgid):
    entry = CATALOGUE.find(msgid)

    assert max(segments(msgid % EN), segments(entry.msgstr % ZH)) <= messages.MAX_SEGMENTS


def test_short_reason_cut_with_ascii_dots():
    assert messages.short("a  very\nlong reason " * 3, limit=20) == "a very long reaso..."
