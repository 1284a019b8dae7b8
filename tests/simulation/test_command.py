import pytest
from django.core.management import CommandError, call_command


@pytest.mark.django_db
def test_simulate_day_names_an_unknown_hall():
    with pytest.raises(CommandError, match="No hall with the slug 'nowhere'."):
        call_command("simulate_day", "--hall", "nowhere")


def test_simulate_day_refuses_a_day_the_hall_is_closed(demo_hall):
    with pytest.raises(CommandError, match="wangchuan is closed on 2027-12-05"):  # a Sunday
        call_command("simulate_day", "--date", "2027-12-05")
