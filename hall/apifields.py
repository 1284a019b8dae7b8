"""Field types shared by the apps' API schemas, each answering a citizen with a message they can act on."""

import datetime as dt
import re
from typing import Annotated

import phonenumbers
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import AfterValidator, BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

from hall.apikit import NOT_DATE
from hall.models import Hall
from hall.privacy import validate_id_number

NOT_MOBILE = _("Enter a mobile number that can receive text messages, for example 13800138000.")

MAX_ID = 2**63 - 1  # a bigint primary key; larger numbers would make the database raise
HALL_SLUG_LENGTH = Hall._meta.get_field("slug").max_length
ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _invalid(message) -> PydanticCustomError:
    return PydanticCustomError("ck_invalid", str(message).replace("{", "(").replace("}", ")"))


def _mobile(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        raise _invalid(NOT_MOBILE) from None
    mobile = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in mobile:
        raise _invalid(NOT_MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _id_number(value: str) -> str:
    try:
        return validate_id_number(value, today=timezone.localdate())
    except DjangoValidationError as error:
        raise _invalid(error.messages[0]) from None


def _iso_date(value):
    if isinstance(value, str) and ISO_DATE_RE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _invalid(NOT_DATE)


# Field types shared by the apps' schemas; each answers a citizen with a message they can act on.
Mobile = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30), AfterValidator(_mobile)
]
IdNumber = Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(_id_number)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
HallSlug = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=HALL_SLUG_LENGTH)]
