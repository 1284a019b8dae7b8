"""Each kind of SMS in one billed part where it can be: 70 characters in Chinese, 160 GSM-7 characters in
English, the link included, rendered with realistic values and a link as long as the demo's (SITE_URL and
a booking's 32-character token). What cannot, and why, is in docs/notifications.md; this test holds both.

The Chinese comes from locale/fragments/*.po (the compiled catalogue may lag behind the fragments)."""

import secrets
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from notifications.timing import segments

FRAGMENTS = Path(__file__).resolve().parents[2] / "locale" / "fragments"
SMS = [
    entry
    for fragment in sorted(FRAGMENTS.glob("*.po"))
    for entry in polib.pofile(str(fragment))
    if entry.msgid.startswith("[%(hall)s]")
]
URL = settings.SITE_URL + reverse("appointments:manage", args=[secrets.token_urlsafe(24)])
EN = {
    "hall": "North District Hall",
    "service": "ID card renewal",
    "date": "2026-12-07",
    "start": "09:00",
    "end": "09:30",
    "until": "10:30",
    "time": "10:15",
    "code": "ACDEFGHJ",
    "url": URL,
    "reason": "Power maintenance",
    "number": "A012",
    "ahead": 3,
    "counter": 12,
    "items": "Household register booklet",
    "missing": "Photo receipt",
    "reference": "P2026120700012",
    "courier": "SF Express",
    "tracking": "SF1234567890123",
    "phone": "0000-1234567",
    "hours": "Mon-Fri 08:30-17:30",
    "address": "1 Renmin Road, North District",
    "ref": 12,
    "when": "on Mon 7 Dec between 13:30 and 17:30",
    "level": "Public order brigade",
    "answer": "Your certificate can be issued; bring your ID card.",
}
ZH = {
    **EN,
    "hall": "北区户政大厅",
    "service": "居民身份证换领",
    "reason": "电力检修",
    "items": "户口簿",
    "missing": "照片回执",
    "courier": "顺丰速运",
    "hours": "周一至周五 08:30-17:30",
    "address": "北区人民路1号",
    "when": "于12月7日（周一）13:30至17:30之间",
    "level": "治安大队",
    "answer": "可以开具证明，请带身份证办理。",
}
# (parts in Chinese, parts in English) of the kinds that cannot take one part; why: docs/notifications.md.
LONGER = {
    "[%(hall)s] Reminder: your document for %(service)s is still waiting": (3, 3),
    "[%(hall)s] Your document for %(service)s is ready, pickup code": (3, 3),
}
LINK_PARTS_ZH = 2  # the link alone is 60-odd characters of the 70


def allowed(msgid: str) -> tuple[int, int]:
    for start, parts in LONGER.items():
        if msgid.startswith(start):
            return parts
    return (LINK_PARTS_ZH if "%(url)s" in msgid else 1), 1


def test_demo_link_is_as_long_as_a_real_one():
    assert len(URL) >= 60


@pytest.mark.parametrize("entry", SMS, ids=lambda e: e.msgid[11:50])
def test_sms_kind_takes_one_part_where_it_can_in_both_languages(entry):
    chinese, english = entry.msgstr % ZH, entry.msgid % EN

    assert segments(chinese) <= allowed(entry.msgid)[0]
    assert segments(english) <= allowed(entry.msgid)[1]


def test_booking_confirmation_fits_one_part_in_english_and_two_in_chinese():
    entry = next(e for e in SMS if e.msgid.startswith("[%(hall)s] Booked"))

    assert segments(entry.msgid % EN) == 1
    assert segments(entry.msgstr % ZH) == 2  # was 3: the hall's name and a 64-character link leave no room
