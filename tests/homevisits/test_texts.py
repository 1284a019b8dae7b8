"""Every home visit message stays within three SMS parts in both languages (the Chinese from
locale/fragments/visits.po), rendered with long but realistic values; and keeps its placeholders."""

import re
from pathlib import Path

import polib
import pytest
from django.utils import translation

from homevisits import texts
from notifications import messages
from notifications.timing import segments

FRAGMENT = polib.pofile(str(Path(__file__).resolve().parents[2] / "locale" / "fragments" / "visits.po"))
with translation.override(None):
    OURS = sorted(
        str(t)
        for t in (
            texts.REQUESTED,
            texts.SCHEDULED,
            texts.DECLINED,
            texts.CANCELLED,
            texts.DONE,
            texts.MATERIALS_MISSING,
        )
    )
URL = "https://yuyue.example.gov.cn/v/" + "x" * 32 + "/"
EN = {
    "hall": "Wangchuan County Public Security Bureau Household Registration Hall",
    "service": "Resident ID card: first application",
    "date": "2026-11-24",
    "start": "09:30",
    "end": "11:30",
    "url": URL,
    "reason": messages.short("The person's address is outside the area this hall serves", 40),
    "missing": messages.short("Household register booklet; Resident ID card; proof of guardianship", 60),
}
ZH = {
    **EN,
    "hall": "望川县公安局户政服务大厅",
    "service": "居民身份证首次申领",
    "reason": messages.short("上门地址不在本大厅服务范围内，请联系当地派出所户政窗口办理，谢谢理解", 40),
    "missing": messages.short("居民户口簿；居民身份证；监护关系证明；委托书原件及受托人身份证", 60),
}


@pytest.mark.parametrize("msgid", OURS, ids=lambda m: m[:50])
def test_message_takes_at_most_three_parts_in_both_languages(msgid):
    entry = FRAGMENT.find(msgid)

    assert set(re.findall(r"%\((\w+)\)s", entry.msgstr)) == set(re.findall(r"%\((\w+)\)s", msgid))
    assert max(segments(msgid % EN), segments(entry.msgstr % ZH)) <= messages.MAX_SEGMENTS
