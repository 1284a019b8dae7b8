import pytest
from django.core.management import call_command

from hall.models import Hall


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The demo data signs up its staff: with the default hasher that took most of each test's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo_hall(db):
    call_command("seed_demo", "--quiet")
    return Hall.objects.get(slug="wangchuan")
