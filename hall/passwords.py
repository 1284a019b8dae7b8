"""Password rules for staff accounts (settings.AUTH_PASSWORD_VALIDATORS): Django's, with a message that
Django 5.2's Chinese catalogue lacks (its "too short" message changed and was not yet translated)."""

from django.contrib.auth import password_validation
from django.utils.translation import gettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self):
        return gettext("This password is too short: use at least %(min_length)s characters.") % {
            "min_length": self.min_length
        }
