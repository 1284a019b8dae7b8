import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Each fixture day signs up a few staff members; the default hasher makes that the slowest step.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
