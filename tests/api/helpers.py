"""Requests and expectations shared by the API tests."""

import datetime as dt
import json

from django.utils import translation

from tests.makers import make_id_number

PHONE = "13800138000"


def booking_body(at, n=1, phone=PHONE, **fields) -> dict:
    """A valid request to book the slot `at`; `fields` replace or add values."""
    body = {
        "hall": at.hall.slug,
        "service": at.service.code,
        "slot": at.pk,
        "name": "张三丰",
        "phone": phone,
        "id_number": make_id_number(n),
    }
    body.update(fields)
    return body


def post(client, url, body, language="zh-hans", **headers):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(url, data, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language, **headers)


def get(client, url, language="zh-hans", **params):
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE=language)


def in_language(language: str, message) -> str:
    """A message as the API renders it in that language (the project catalog may not be compiled yet)."""
    with translation.override(language):
        return str(message)


def local_iso(day: dt.date, hour: int, minute: int = 0) -> str:
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00+08:00"
