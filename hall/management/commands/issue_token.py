"""Issue an API token for a staff member or a device account, scoped to one hall; print its key once."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from hall import audit
from hall.models import ApiToken, AuditAction, Hall, Staff


class Command(BaseCommand):
    help = (
        "Issue an API token for USERNAME, scoped to the user's hall or to --hall (needed for device "
        "accounts, which are not staff). The key is printed once, alone on standard output; only its "
        "hash is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--hall", metavar="SLUG", help="The hall; defaults to the hall the user is staff of."
        )
        parser.add_argument("--device", metavar="NAME", help="A label, e.g. 'kiosk at the door'.")

    def handle(self, *args, username, hall=None, device=None, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username} is not active.")
        staff = Staff.objects.filter(user=user).select_related("hall").first()
        if hall:
            scope = Hall.objects.filter(slug=hall).first()
            if scope is None:
                raise CommandError(f"No hall with the short name {hall!r}.")
        elif staff:
            scope = staff.hall
        else:
            raise CommandError(f"{username} is not staff of any hall: give --hall SLUG.")
        try:
            token, key = ApiToken.objects.issue(user=user, hall=scope, name=device or username)
        except ValidationError as error:
            raise CommandError(" ".join(str(m) for m in error.messages)) from None
        detail = f"{token.prefix} by manage.py issue_token"
        audit.record(action=AuditAction.TOKEN_ISSUED, hall=scope, obj=token, detail=detail)
        self.stderr.write(
            f"Token {token.prefix}… for {username} in {scope.slug} ({token.name}). "
            "Keep the key secret; it is not shown again. Revoke it in the admin."
        )
        self.stdout.write(key)
