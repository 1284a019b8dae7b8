"""Issue a one-time enrolment code for USERNAME, so that they can set up two-step sign-in; print it once.

This is how the first administrator of a new installation enrols (docs/production.md, "First administrator
and staff enrolment"): `createsuperuser`, then this command, then sign in and enter the code. Later codes
come from an administrator in the admin's user list."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from hall import enrolment_codes


class Command(BaseCommand):
    help = (
        "Issue a one-time enrolment code for USERNAME, needed to set up two-step sign-in (the authenticator "
        "app). The code is printed once, alone on standard output; only its HMAC is kept. It replaces the "
        "user's earlier codes and expires after ENROLMENT_CODE_HOURS."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username} is not active.")
        code = enrolment_codes.issue(user, how=" by manage.py issue_enrolment_code")
        self.stderr.write(
            f"Enrolment code for {username}, valid {settings.ENROLMENT_CODE_HOURS} h and once. Sign in as "
            f"{username} and enter it on the set-up page; it is not shown again."
        )
        self.stdout.write(code)
