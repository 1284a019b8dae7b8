"""Hostile input to every consultation form: never a 5xx, errors in Chinese, nothing half written."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consultations.models import CallBack, CallBackEvent, Consultation, Result

CJK = re.compile(r"[\u3400-\u9fff]")
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NASTY = [
    "",
    " ",
    "\x00",
    "abc\x00",
    "１３８００１３８０００",
    "\u202e13800138000",
    "<script>x</script>",
    "%(x)s",
    "9" * 40,
    "-1",
    "中" * 300,
    "A" * 5000,
    "https://evil.example/",
    "//evil.example/",
]
hostile = st.one_of(st.sampled_from(NASTY), st.text(max_size=20))


def field(valid):
    return st.one_of(st.just(valid), hostile, st.none())


def post_data(values: dict) -> dict:
    return {name: value for name, value in values.items() if value is not None}


def assert_sound_answer(response):
    assert response.status_code in (200, 302, 404), response.status_code
    if response.status_code == 200:
        page = response.content.decode()
        assert CJK.search(page)
        form = response.context.get("form")
        if form is not None and form.is_bound:
            for errors in form.errors.values():
                assert all(CJK.search(str(message)) for message in errors), form.errors
    for consultation in Consultation.objects.all():
        has_call_back = CallBack.objects.filter(consultation=consultation).exists()
        assert has_call_back == (consultation.result == Result.CALL_BACK)
    for call_back in CallBack.objects.all():
        assert CallBackEvent.objects.filter(call_back=call_back, from_state="").count() == 1


@pytest.fixture
def chinese_client(clerk):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(clerk)
    return client


def test_hostile_consultation_form(hall, service, chinese_client):
    url = reverse("consultations:log", args=[hall.slug])

    @FUZZ
    @given(
        channel=field("phone"),
        service_=field(str(service.pk)),
        topic=field("迁入材料"),
        result=field("call_back"),
        mobile=field("13800138000"),
        name=field("张三"),
        next_=field("/console/"),
    )
    def post(channel, service_, topic, result, mobile, name, next_):
        values = {
            "channel": channel,
            "service": service_,
            "topic": topic,
            "result": result,
            "mobile": mobile,
            "name": name,
            "next": next_,
        }
        assert_sound_answer(chinese_client.post(url, post_data(values)))

    post()


@pytest.mark.parametrize("action", ["attempt", "unreachable", "reassign", "close", "reveal"])
def test_hostile_call_back_actions(hall, call_back, supervisor, chinese_client, action):
    url = reverse(f"consultations:{action}", args=[hall.slug, call_back.pk])

    @FUZZ
    @given(result=field("no_answer"), owner=field(str(supervisor.pk)))
    def post(result, owner):
        response = chinese_client.post(url, post_data({"result": result, "owner": owner}), follow=True)
        assert_sound_answer(response)

    post()
