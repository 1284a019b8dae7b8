"""One base of the apps' refusals (hall.errors.DomainError): the JSON API answers each app's in one handler
with its status, code, message and field; a form shows one at its field, or above the form."""

import json

import pytest
from django import forms
from django.test import RequestFactory

from appointments.services import BookingError
from consultations.services import ConsultationError
from hall.api_v1 import api, domain_error
from hall.devices import DeviceError
from hall.errors import DomainError
from homevisits.services import VisitError
from postal.services import PostalError
from queueing.services import QueueError
from reports.services import RatingError

APP_ERRORS = [BookingError, QueueError, PostalError, VisitError, ConsultationError, RatingError, DeviceError]


class PhoneForm(forms.Form):
    phone = forms.CharField()


@pytest.mark.parametrize("error_class", APP_ERRORS, ids=lambda c: c.__name__)
def test_the_api_answers_every_apps_refusal_in_one_handler(error_class):
    assert issubclass(error_class, DomainError)
    assert api._lookup_exception_handler(error_class("x", "Refused.")) is domain_error


@pytest.mark.parametrize(
    ("refusal", "status", "fields"),
    [
        (BookingError("not_allowed", "Not for you.", "phone"), 403, {"phone": "Not for you."}),
        (BookingError("slot_full", "Full."), 409, {}),
        (QueueError("not_found", "No such booking."), 404, {}),
        (PostalError("bad_state", "Already sent.", "state"), 409, {"state": "Already sent."}),
    ],
)
def test_a_refusal_becomes_the_apis_error_body(refusal, status, fields):
    response = domain_error(RequestFactory().get("/api/v1/"), refusal)
    body = json.loads(response.content)
    assert (response.status_code, body) == (
        status,
        {"error": refusal.code, "message": refusal.message, "fields": fields},
    )


def test_a_refusal_shows_at_its_field_or_above_the_form():
    form = PhoneForm({"phone": "138"})
    assert form.is_valid()
    VisitError("bad_phone", "Not a mobile number.", "phone").add_to(form)
    PostalError("closed", "The hall is closed.", "no_such_field").add_to(form)
    assert form.errors["phone"] == ["Not a mobile number."]
    assert form.non_field_errors() == ["The hall is closed."]


def test_a_queue_refusal_keeps_the_ticket_to_reprint():
    refusal = QueueError("duplicate_ticket", "You already have a ticket.", ticket="A001")
    assert (refusal.code, refusal.message, refusal.field, refusal.ticket) == (
        "duplicate_ticket",
        "You already have a ticket.",
        None,
        "A001",
    )
