import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from appointments import services as booking_services
from appointments.closures import notify_closure
from appointments.models import BookingEvent
from notifications.models import Kind, Notification
from tests.notifications.helpers import MONDAY_9, TUESDAY, TZ, WEB, book, slots

pytestmark = pytest.mark.django_db
EVENING = dt.datetime(2026, 11, 23, 22, 0, tzinfo=TZ)


@pytest.fixture
def bookings(service):
    """Tuesday 08:30, 09:00 and 10:00 (cancelled)."""
    tuesday = slots(service)
    first = book(service, slot=tuesday[0], n=1, phone="13800138001", language="en")
    second = book(service, slot=tuesday[1], n=2, phone="13800138002")
    cancelled = book(service, slot=tuesday[3], n=3, phone="13800138003")
    booking_services.cancel_booking(booking=cancelled, actor=WEB, now=MONDAY_9)
    return first, second, cancelled


def closure_rows():
    return sorted(Notification.objects.filter(kind=Kind.CLOSURE).values_list("subject_id", "key"))


def test_whole_day_closure_tells_every_active_booking(service, bookings):
    first, second, _cancelled = bookings

    told = notify_closure(hall=service.hall, date=TUESDAY, reason="Power maintenance", now=MONDAY_9)

    assert told == 2
    assert closure_rows() == [(first.pk, "2026-11-24 -"), (second.pk, "2026-11-24 -")]
    assert Notification.objects.get(kind=Kind.CLOSURE, subject_id=first.pk).text == (
        f"[North District Hall] Closed 2026-11-24 (Power maintenance): please rebook {first.code}: "
        f"http://127.0.0.1:8000/booking/{first.manage_token}/"
    )
    assert list(BookingEvent.objects.filter(note__startswith="closure").values_list("booking", "note")) == [
        (first.pk, "closure 2026-11-24 -: Power maintenance"),
        (second.pk, "closure 2026-11-24 -: Power maintenance"),
    ]


def test_closure_of_some_hours_tells_only_those_booked_then(service, bookings):
    first, second, _cancelled = bookings

    told = notify_closure(
        hall=service.hall,
        date=TUESDAY,
        start=dt.time(9),
        end=dt.time(12),
        reason="Staff training",
        now=MONDAY_9,
    )

    assert (told, closure_rows()) == (1, [(second.pk, "2026-11-24 09:00:00-12:00:00")])


def test_saving_a_closure_again_tells_nobody_twice(service, bookings):
    notify_closure(hall=service.hall, date=TUESDAY, reason="Power maintenance", now=MONDAY_9)

    again = notify_closure(hall=service.hall, date=TUESDAY, reason="Power maintenance", now=MONDAY_9)

    assert (again, len(closure_rows()), BookingEvent.objects.filter(note__startswith="closure").count()) == (
        0,
        2,
        2,
    )


def test_closure_tomorrow_is_urgent_even_at_night(service, bookings):
    notify_closure(hall=service.hall, date=TUESDAY, reason="Flooding", now=EVENING)

    assert set(Notification.objects.filter(kind=Kind.CLOSURE).values_list("not_before", flat=True)) == {None}


def test_closure_later_in_the_week_waits_for_the_morning(service):
    friday = TUESDAY + dt.timedelta(days=3)
    book(service, slot=slots(service, date=friday)[0])

    notify_closure(hall=service.hall, date=friday, reason="Maintenance", now=EVENING)

    assert Notification.objects.get(kind=Kind.CLOSURE).not_before == dt.datetime(2026, 11, 24, 8, tzinfo=TZ)


def form_data(response) -> dict:
    """The POST data of an admin change form as the browser would send it unchanged."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
        forms += list(formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if value is not None and value is not False:
                data[form.add_prefix(name)] = getattr(value, "pk", value)
    return data


def save_closure_in_admin(client, service, date: str):
    admin = User.objects.create(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:hall_hall_change", args=[service.hall.pk])
    data = form_data(client.get(url))
    prefix = "closures"
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": str(total + 1),
            f"{prefix}-{total}-hall": str(service.hall.pk),
            f"{prefix}-{total}-date": date,
            f"{prefix}-{total}-reason_zh_hans": "电力检修",
            f"{prefix}-{total}-reason_en": "Power maintenance",
        }
    )
    response = client.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    return admin, [str(m) for m in response.context["messages"]]


def test_admin_saving_a_closure_tells_booked_citizens(service, bookings, client, monkeypatch):
    first, second, _cancelled = bookings
    # The admin only tells citizens of closures still to come: save it on the Monday before.
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_9)

    admin, messages = save_closure_in_admin(client, service, "2026-11-24")

    assert "Closure on 2026-11-24: 2 citizens with bookings will be told by SMS." in messages
    texts = dict(Notification.objects.filter(kind=Kind.CLOSURE).values_list("subject_id", "text"))
    assert "(Power maintenance)" in texts[first.pk]  # English citizen
    assert "电力检修" in texts[second.pk]  # Chinese citizen
    assert BookingEvent.objects.get(booking=first, note__startswith="closure").actor == admin


def test_admin_recording_a_past_closure_tells_nobody(service, bookings, client, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_9 + dt.timedelta(days=2))

    _admin, messages = save_closure_in_admin(client, service, "2026-11-24")

    assert not any(m.startswith("Closure on") for m in messages)
    assert not Notification.objects.filter(kind=Kind.CLOSURE).exists()
