"""kill -9 at the worst moment: a real worker process (`manage.py shell` running delivery.deliver for one row,
on the test's PostgreSQL database) sends to a loopback stand-in gateway, which holds its answer; the test
kills the worker while the gateway holds, then sweeps past NOTIFY_SENDING_TIMEOUT. The gateway is asked
before anything is sent again, so the citizen gets the message exactly once."""

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from notifications import delivery, sweeper
from notifications.models import Kind, Notification, State
from tests.notifications.fakegateway import AFTER_TAKING, BEFORE_TAKING, aliyun_settings, tencent_settings
from tests.notifications.test_faults import database_url

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {"aliyun": aliyun_settings(0), "tencent": tencent_settings(0)}


def worker_env(provider: str, settings) -> dict:
    gateway = {name: str(getattr(settings, name)) for name in SETTINGS[provider]}
    templates = ",".join(f"{kind}={code}" for kind, code in settings.SMS_TEMPLATES.items())
    return {
        **os.environ,
        **gateway,
        "SMS_TEMPLATES": templates,
        "DATABASE_URL": database_url(),
        "DATABASE_POOL": "off",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def worker(settings, tmp_path):
    """Starts one process that delivers one row, and kills it (kill -9, its whole session) on request."""
    started = []

    def start(provider: str, notification: Notification) -> subprocess.Popen:
        code = f"from notifications import delivery; delivery.deliver({notification.pk})"
        log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env=worker_env(provider, settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        kill(process)
        log.close()


def kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def confirmation(hall) -> Notification:
    return Notification.objects.create(
        hall=hall,
        kind=Kind.BOOKING_CONFIRMED,
        subject_type="booking",
        subject_id=1,
        phone="+8613800138000",
        text="【北区户政大厅】您已预约",
    )


def killed_while_the_gateway_holds(gateway, worker, provider, notification) -> tuple[str, int]:
    process = worker(provider, notification)
    assert gateway.held.wait(30), "the worker never reached the gateway"
    kill(process)  # kill -9 while the gateway holds its answer
    gateway.release.set()
    notification.refresh_from_db()
    return notification.state, notification.attempts


def past_the_timeout(notification, settings, extra=0) -> dt.datetime:
    return notification.claimed_at + dt.timedelta(seconds=settings.NOTIFY_SENDING_TIMEOUT + extra + 1)


@pytest.mark.parametrize(("provider", "gateway_id"), [("aliyun", ""), ("tencent", "serial-1")])
def test_worker_killed_after_the_gateway_took_it_message_sent_once(
    request, service, worker, settings, provider, gateway_id
):
    gateway = request.getfixturevalue(provider)
    notification = confirmation(service.hall)
    gateway.hold = AFTER_TAKING

    stuck = killed_while_the_gateway_holds(gateway, worker, provider, notification)
    swept_at = past_the_timeout(notification, settings)
    recovered = sweeper.recover_stale(swept_at)
    again = delivery.deliver(notification.pk, now=swept_at)

    notification.refresh_from_db()
    assert (stuck, recovered, again) == ((State.SENDING, 1), 1, None)
    assert gateway.references() == [notification.idempotency_key.hex]  # the gateway took it once
    assert (notification.state, notification.gateway_id, notification.attempts) == (
        State.SENT,
        gateway_id,  # Alibaba's QuerySendDetails names no BizId: the OutId is the reference
        1,
    )
    assert notification.last_error == sweeper.FOUND_TAKEN


def test_worker_killed_before_alibaba_took_it_sent_again_once(aliyun, service, worker, settings):
    notification = confirmation(service.hall)
    aliyun.hold = BEFORE_TAKING

    stuck = killed_while_the_gateway_holds(aliyun, worker, "aliyun", notification)
    swept_at = past_the_timeout(notification, settings)
    recovered = sweeper.recover_stale(swept_at)
    outcome = delivery.deliver(notification.pk, now=swept_at)  # the send job the sweep enqueues

    notification.refresh_from_db()
    assert (stuck, recovered, outcome) == ((State.SENDING, 1), 1, State.SENT)
    assert aliyun.references() == [notification.idempotency_key.hex]
    assert (notification.state, notification.gateway_id, notification.attempts) == (State.SENT, "biz-1", 2)


def test_worker_killed_before_tencent_took_it_sent_again_after_the_patience(
    tencent, service, worker, settings
):
    notification = confirmation(service.hall)
    tencent.hold = BEFORE_TAKING

    stuck = killed_while_the_gateway_holds(tencent, worker, "tencent", notification)
    # Tencent lists delivery reports only: no report may be a report not yet come back, so it waits.
    early = sweeper.recover_stale(past_the_timeout(notification, settings))
    waiting = Notification.objects.get(pk=notification.pk).state
    swept_at = past_the_timeout(notification, settings, extra=settings.NOTIFY_LOOKUP_PATIENCE)
    recovered = sweeper.recover_stale(swept_at)
    outcome = delivery.deliver(notification.pk, now=swept_at)

    notification.refresh_from_db()
    assert (stuck, early, waiting) == ((State.SENDING, 1), 0, State.SENDING)
    assert (recovered, outcome) == (1, State.SENT)
    assert tencent.references() == [notification.idempotency_key.hex]
    assert (notification.state, notification.gateway_id, notification.attempts) == (
        State.SENT,
        "serial-1",
        2,
    )
