import datetime as dt

from consultations import housekeeping, services
from consultations.models import AttemptResult, CallBack
from tests.consultations.conftest import FRIDAY, log_call_back

ANSWERED = FRIDAY + dt.timedelta(days=3)


def test_erases_mobile_and_name_of_call_backs_finished_before_the_retention_period(hall, clerk):
    old, recent, still_open = (
        log_call_back(hall, clerk),
        log_call_back(hall, clerk),
        log_call_back(hall, clerk),
    )
    services.record_attempt(call_back=old, user=clerk, result=AttemptResult.ANSWERED, now=ANSWERED)
    services.record_attempt(
        call_back=recent, user=clerk, result=AttemptResult.ANSWERED, now=ANSWERED + dt.timedelta(days=2)
    )

    erased = housekeeping.erase_expired_personal_data(now=ANSWERED + dt.timedelta(days=91))

    assert erased == 1
    rows = CallBack.objects.order_by("pk").values_list("pk", "mobile", "name", "state")
    assert list(rows) == [
        (old.pk, "", "", "done"),
        (recent.pk, "+8613800138000", "张三丰", "done"),
        (still_open.pk, "+8613800138000", "张三丰", "open"),
    ]
    assert old.consultation.topic == "迁入需要什么材料"
    assert housekeeping.erase_expired_personal_data(now=ANSWERED + dt.timedelta(days=91)) == 0
