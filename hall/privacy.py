"""Resident ID numbers (GB 11643), masking and keyed hashing of personal data."""

import datetime as dt
import hashlib
import hmac
import unicodedata

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

ID_WRONG_LENGTH = _("A resident ID number has 18 characters: 17 digits and a last digit or X.")
ID_WRONG_CHARACTERS = _("Use only digits, and X as the last character.")
ID_BAD_BIRTH_DATE = _("Characters 7 to 14 must be a real date of birth (YYYYMMDD).")
ID_BAD_CHECK_DIGIT = _("The last character does not match: please check the number on the card.")


def normalize_id_number(value: str) -> str:
    # NFKC: full-width digits and Ｘ, as Chinese input methods type them, become the ASCII ones, so that one
    # person has one hash however the number was typed.
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def check_digit(first17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str, *, today: dt.date | None = None) -> str:
    """Return the normalised number or raise ValidationError with a message a citizen can act on."""
    number = normalize_id_number(value)
    if len(number) != 18:
        raise ValidationError(ID_WRONG_LENGTH, code="id_length")
    if not (number.isascii() and number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")):
        raise ValidationError(ID_WRONG_CHARACTERS, code="id_characters")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(ID_BAD_BIRTH_DATE, code="id_birth_date") from None
    if birth.year < 1900 or (today and birth > today):
        raise ValidationError(ID_BAD_BIRTH_DATE, code="id_birth_date")
    if check_digit(number[:17]) != number[17]:
        raise ValidationError(ID_BAD_CHECK_DIGIT, code="id_check_digit")
    return number


def birth_date(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def mask_id_number(number: str) -> str:
    """110***********123X: the region's first three digits and the last four."""
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def hash_id_number(number: str) -> str:
    """A keyed hash, so that rules can match one person without keeping the number."""
    key = settings.ID_NUMBER_HMAC_KEY.encode()
    return hmac.new(key, normalize_id_number(number).encode(), hashlib.sha256).hexdigest()


def normalize_phone(phone) -> str:
    """E.164 (+8613800138000) for any form a mobile arrives in: a PhoneNumber, or text in region CN."""
    if isinstance(phone, str):
        try:
            phone = phonenumbers.parse(phone, "CN")
        except phonenumbers.NumberParseException:
            return phone.strip()
    return phonenumbers.format_number(phone, phonenumbers.PhoneNumberFormat.E164)


def hash_phone(phone) -> str:
    key = settings.ID_NUMBER_HMAC_KEY.encode()
    return hmac.new(key, b"phone:" + normalize_phone(phone).encode(), hashlib.sha256).hexdigest()


def mask_phone(phone) -> str:
    """138****5678 for a Chinese mobile; other numbers keep their first three and last four digits."""
    digits = str(getattr(phone, "national_number", "") or "") or "".join(c for c in str(phone) if c.isdigit())
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str) -> str:
    """张*丰 / 李* / J*** S****: enough to recognise oneself, not enough to identify."""
    name = name.strip()
    if not name:
        return ""
    if " " in name:
        return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
