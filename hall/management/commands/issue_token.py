"""Issue an API token for a staff member or a device account, scoped to one hall; print its key once."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from hall import audit
from hall.apiauth import has_second_factor
from hall.models import ApiToken, AuditAction, Hall, Staff, TokenScope


class Command(BaseCommand):
    help = (
        "Issue an API token for USERNAME, scoped to the user's hall or to --hall (needed for device "
        "accounts, which are not staff), with a scope (device, counter or reports) and an expiry. The key is "
        "printed once, alone on standard output; only its hash is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--hall", metavar="SLUG", help="The hall; defaults to the hall the user is staff of."
        )
        parser.add_argument("--device", metavar="NAME", help="A label, e.g. 'kiosk at the door'.")
        parser.add_argument(
            "--scope",
            choices=TokenScope.values,
            help="device (kiosks, displays), counter (a window's calls) or reports (read only; a supervisor "
            "with two-step sign-in). Defaults to counter for staff, device for other accounts.",
        )
        parser.add_argument(
            "--days",
            type=int,
            help="Days until the token expires; defaults to the scope's lifetime (API_TOKEN_DAYS).",
        )

    def handle(self, *args, username, hall=None, device=None, scope=None, days=None, **options):
        if days is not None and not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {settings.API_TOKEN_MAX_DAYS}.")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username} is not active.")
        place = self._hall(user, hall)
        try:
            token, key = ApiToken.objects.issue(
                user=user, hall=place, name=device or username, scope=scope, days=days
            )
        except ValidationError as error:
            raise CommandError(" ".join(str(m) for m in error.messages)) from None
        expires = f"{token.expires_at:%Y-%m-%d}"
        detail = f"{token.prefix} {token.scope} until {expires} by manage.py issue_token"
        audit.record(action=AuditAction.TOKEN_ISSUED, hall=place, obj=token, detail=detail)
        self.stderr.write(
            f"Token {token.prefix}… for {username} in {place.slug} ({token.name}), scope {token.scope}, "
            f"expires {expires}. Keep the key secret; it is not shown again. Revoke it in the admin."
        )
        if token.scope == TokenScope.REPORTS and not has_second_factor(user):
            self.stderr.write(
                f"{username} has no two-step sign-in yet: the token answers 403 until they set it up."
            )
        self.stdout.write(key)

    def _hall(self, user, slug: str | None) -> Hall:
        if slug:
            place = Hall.objects.filter(slug=slug).first()
            if place is None:
                raise CommandError(f"No hall with the short name {slug!r}.")
            return place
        staff = Staff.objects.filter(user=user).select_related("hall").first()
        if staff is None:
            raise CommandError(f"{user.username} is not staff of any hall: give --hall SLUG.")
        return staff.hall
