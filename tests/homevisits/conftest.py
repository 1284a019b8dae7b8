import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Staff accounts are made in every test; hashing their passwords properly is not what is tested."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATE_LIMITS = False
