"""The text that confirms an online question fits one SMS part in Chinese and in English (the Chinese
from the compiled catalogue: the text is new with this fragment)."""

import datetime as dt

import pytest
from django.utils import translation

from consultations.messages import received_text
from consultations.models import CallBack
from hall.models import Hall
from notifications.timing import segments
from tests.consultations.conftest import SHANGHAI

HALL = Hall(
    slug="north",
    name_zh_hans="望川市公安局城关分局户政服务大厅",  # 16 characters: longer than most halls' names
    name_en="Chengguan Household Registration Hall",
    timezone="Asia/Shanghai",
)


def call_back(due: dt.datetime, deadline: dt.datetime) -> CallBack:
    return CallBack(pk=99999, hall=HALL, due_at=due, deadline=deadline)


SAME_DAY = call_back(
    dt.datetime(2026, 9, 30, 13, 30, tzinfo=SHANGHAI), dt.datetime(2026, 9, 30, 17, 30, tzinfo=SHANGHAI)
)
TWO_DAYS = call_back(  # CALLBACK_DEADLINE_WORKING_DAYS=2 over the National Day holidays
    dt.datetime(2026, 9, 30, 8, 30, tzinfo=SHANGHAI), dt.datetime(2026, 10, 9, 17, 30, tzinfo=SHANGHAI)
)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("when", [SAME_DAY, TWO_DAYS], ids=["same day", "two days"])
def test_received_text_fits_one_sms_part(language, when):
    with translation.override(language):
        text = received_text(when)

    assert segments(text) == 1, f"{len(text)} characters: {text}"


def test_received_text_in_chinese_reads_as_a_date_and_a_time():
    with translation.override("zh-hans"):
        text = received_text(SAME_DAY)

    assert text == (
        "【望川市公安局城关分局户政服务大厅】已收到您的咨询（编号99999），"
        "我们将于9月30日（周三）13:30至17:30之间给您回电。"
    )
