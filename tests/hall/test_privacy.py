import datetime as dt

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from phonenumber_field.phonenumber import PhoneNumber

from hall import privacy

VALID = "11010519491231002X"  # the GB 11643 example number


def message(value, **kwargs):
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            privacy.validate_id_number(value, **kwargs)
        return error.value.messages[0]


def test_validate_id_number_message_in_chinese():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        privacy.validate_id_number("110105194912310021")

    with translation.override("zh-hans"):
        assert error.value.messages == ["身份证号码最后一位校验不符，请核对证件上的号码。"]


def test_validate_id_number_accepts_standard_example_and_lower_x():
    assert privacy.validate_id_number(" 11010519491231002x ") == VALID


def test_validate_id_number_accepts_full_width_digits_as_the_same_number():
    full_width = "１１０１０５１９４９１２３１００２Ｘ"

    assert privacy.validate_id_number(full_width) == VALID
    assert privacy.hash_id_number(full_width) == privacy.hash_id_number(VALID)


@pytest.mark.parametrize("value", ["٠١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "1101051949123100٢X", "11010519491231002๘"])
def test_validate_id_number_refuses_other_scripts_digits(value):
    assert message(value) == "Use only digits, and X as the last character."


def test_validate_id_number_wrong_check_digit():
    assert (
        message("110105194912310021")
        == "The last character does not match: please check the number on the card."
    )


def test_validate_id_number_wrong_length():
    assert message("1101051949123100") == (
        "A resident ID number has 18 characters: 17 digits and a last digit or X."
    )


def test_validate_id_number_letters_inside():
    assert message("1101051949A231002X") == "Use only digits, and X as the last character."


def test_validate_id_number_impossible_birth_date():
    assert message("110105194902301234").startswith("Characters 7 to 14 must be a real date of birth")


def test_validate_id_number_birth_in_future():
    first17 = "11010520990101001"
    number = first17 + privacy.check_digit(first17)

    assert message(number, today=dt.date(2026, 11, 23)).startswith("Characters 7 to 14")


def test_mask_id_number_keeps_three_and_four():
    assert privacy.mask_id_number(VALID) == "110***********002X"


def test_mask_phone_and_name():
    phone = PhoneNumber.from_string("13800138000", region="CN")

    assert privacy.mask_phone(phone) == "138****8000"
    assert [privacy.mask_name(n) for n in ("张三丰", "李四", "John Smith")] == ["张*丰", "李*", "J*** S****"]


def test_hash_phone_same_for_every_form_of_one_number():
    forms = [
        phonenumbers.parse("13800138000", "CN"),
        PhoneNumber.from_string("13800138000", region="CN"),
        "+86 138 0013 8000",
        "13800138000",
    ]

    assert len({privacy.hash_phone(f) for f in forms}) == 1


def test_hash_id_number_is_keyed_and_not_the_number(settings):
    first = privacy.hash_id_number(VALID)
    settings.ID_NUMBER_HMAC_KEY = "another key"

    assert VALID not in first
    assert privacy.hash_id_number(VALID) != first
