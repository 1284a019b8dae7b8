"""Who may book for whom: staff book only their own hall's services (built on hall.access: another hall's
are a 404, and the attempt is audited). Citizens reach a booking only through its unguessable token."""

from hall import access
from hall.models import Service


def access_bookable_service(user, slug: str, code: str) -> Service:
    """A bookable service of the staff member's own hall, to book on a citizen's behalf."""
    services = Service.objects.bookable().select_related("hall")
    return access.in_hall_named(user, slug, services, hall__slug=slug, code=code)
