import pytest
from django.core.management import call_command

from hall.models import Hall


@pytest.fixture
def demo_hall(db):
    call_command("seed_demo", "--quiet")
    return Hall.objects.get(slug="wangchuan")
