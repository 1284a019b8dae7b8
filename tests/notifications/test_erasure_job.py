"""The nightly erasure job runs every app's erasure of personal data (settings.PERSONAL_DATA_ERASERS)."""

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from notifications import jobs

RAN = []


def erase_a():
    RAN.append("a")
    return 2


def erase_broken():
    RAN.append("broken")
    raise ValueError("disk full")


def erase_b():
    RAN.append("b")
    return 3


def test_every_app_that_keeps_personal_data_is_erased_nightly():
    apps = {path.split(".")[0] for path in settings.PERSONAL_DATA_ERASERS}
    assert apps == {"hall", "appointments", "homevisits", "postal", "consultations", "reports", "webhooks"}
    assert all(callable(import_string(path)) for path in settings.PERSONAL_DATA_ERASERS)


# __wrapped__: the job without its connection handling, which cannot run inside a test's transaction.
@pytest.mark.django_db
def test_erasure_job_reports_what_each_app_erased(settings):
    RAN.clear()
    settings.PERSONAL_DATA_ERASERS = [f"{__name__}.erase_a", f"{__name__}.erase_b"]

    assert jobs.erase_personal_data.__wrapped__() == {f"{__name__}.erase_a": 2, f"{__name__}.erase_b": 3}


@pytest.mark.django_db
def test_one_app_failing_does_not_stop_the_others_but_fails_the_job(settings):
    RAN.clear()
    settings.PERSONAL_DATA_ERASERS = [f"{__name__}.{name}" for name in ("erase_a", "erase_broken", "erase_b")]

    with pytest.raises(RuntimeError, match="erase_broken"):
        jobs.erase_personal_data.__wrapped__()

    assert RAN == ["a", "broken", "b"]


@pytest.mark.django_db
def test_the_configured_erasers_run_on_an_empty_database():
    assert jobs.erase_personal_data.__wrapped__() == dict.fromkeys(settings.PERSONAL_DATA_ERASERS, 0)
