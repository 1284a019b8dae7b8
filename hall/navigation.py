"""The staff header's pages: ONE registry of (URL name, label, roles), read by the context processor
`staff_navigation` and drawn by templates/hall/_staff_header.html. See docs/navigation.md.

To add a staff page to the header, add one line to ENTRIES. URL names are reversed here, so `hall`
imports no other app; an entry whose URL name does not resolve (its app not merged yet) is skipped.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from hall import access
from hall.models import Staff

CLERK, SUPERVISOR, ADMIN = "clerk", "supervisor", "admin"
STAFF = (CLERK, SUPERVISOR)

# Groups of the header, in order.
WINDOW, SUPERVISION, SETTINGS = "window", "supervision", "settings"
GROUP_LABELS = {
    WINDOW: _("Window work"),
    SUPERVISION: _("Supervision"),
    SETTINGS: _("Settings"),
}


@dataclass(frozen=True)
class Entry:
    """One page of the header. `hall`: the URL takes the hall's slug as its one argument. `perm`: shown
    only to users with this permission. Admin pages (`admin:`) are shown only to users who may use the
    admin (is_staff)."""

    name: str
    label: str
    roles: tuple[str, ...]
    group: str = WINDOW
    hall: bool = False
    perm: str = ""


ENTRIES: tuple[Entry, ...] = (
    Entry("queueing:console", _("Windows"), STAFF),
    Entry("postal:staff_pickups", _("Documents for pickup"), STAFF),
    Entry("consultations:log", _("Log a consultation"), STAFF, hall=True),
    Entry("consultations:mine", _("My call-backs"), STAFF, hall=True),
    Entry("appointments:staff_book", _("Book for a citizen"), STAFF),
    Entry("queueing:kiosk_guide", _("Door guide (导办)"), STAFF, hall=True),
    Entry("queueing:register", _("The day's register"), STAFF, hall=True),
    Entry("homevisits:list", _("Home visits"), STAFF, hall=True),
    Entry("postal:staff_items", _("Postal items"), STAFF),
    Entry("video:today", _("Video appointments"), STAFF),
    Entry("reports:dashboard", _("Today's report"), (SUPERVISOR,), SUPERVISION, hall=True),
    Entry("reports:live", _("Live view"), (SUPERVISOR,), SUPERVISION, hall=True),
    Entry("queueing:closing", _("Closing time"), (SUPERVISOR,), SUPERVISION, hall=True),
    Entry("reports:staffing", _("Staffing plan"), (SUPERVISOR,), SUPERVISION, hall=True),
    Entry("whatif:start", _("What-if"), (SUPERVISOR,), SUPERVISION, hall=True),
    Entry("reports:ranking", _("Ranking"), (SUPERVISOR,), SUPERVISION, hall=True),
    Entry("reports:follow_ups", _("Ratings and follow-ups"), (SUPERVISOR,), SUPERVISION, hall=True),
    Entry("reports:comments", _("Comments"), (SUPERVISOR,), SUPERVISION, hall=True),
    Entry("reports:consultations", _("Consultations report"), (SUPERVISOR,), SUPERVISION, hall=True),
    Entry("consultations:hall", _("All call-backs"), (SUPERVISOR,), SUPERVISION, hall=True),
    Entry("postal:staff_overdue", _("Overdue postal items"), (SUPERVISOR,), SUPERVISION),
    Entry("appointments:person_lookup", _("No-show blocks"), (SUPERVISOR,), SUPERVISION, hall=True),
    Entry("reports:audit_log", _("Audit log"), (SUPERVISOR,), SUPERVISION, hall=True),
    Entry("reports:devices", _("Screens"), (SUPERVISOR,), SETTINGS, hall=True),
    Entry("admin:hall_notice_changelist", _("Notices"), (SUPERVISOR,), SETTINGS, perm="hall.view_notice"),
    Entry(
        "admin:hall_hall_changelist",
        _("Opening hours and closures"),
        (SUPERVISOR,),
        SETTINGS,
        perm="hall.change_closure",
    ),
    Entry("hall:holiday_schedules", _("Holiday schedules"), (SUPERVISOR, ADMIN), SETTINGS),
    Entry("admin:index", _("Administration"), (SUPERVISOR, ADMIN), SETTINGS),
    Entry("django_rq:home", _("Background jobs"), (ADMIN,), SETTINGS),
)


@dataclass(frozen=True)
class Link:
    url: str
    label: str
    current: bool


@dataclass(frozen=True)
class Group:
    label: str
    links: tuple[Link, ...]


@dataclass(frozen=True)
class Menu:
    name: str
    hall: object  # hall.models.Hall or None (an administrator without a hall)
    role_label: str
    groups: tuple[Group, ...]


def staff_of(user) -> Staff | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return access.staff_of(user)


def roles_of(user, staff: Staff | None) -> set[str]:
    roles = {staff.role} if staff else set()
    if getattr(user, "is_superuser", False):
        roles.add(ADMIN)
    return roles


def may_see(entry: Entry, user, roles: set[str]) -> bool:
    if not roles.intersection(entry.roles):
        return False
    if entry.name.startswith("admin:") and not user.is_staff:
        return False  # the admin opens to staff users only (supervisors and administrators)
    return not entry.perm or user.has_perm(entry.perm)


def entry_url(entry: Entry, staff: Staff | None) -> str | None:
    if entry.hall and staff is None:
        return None
    try:
        return reverse(entry.name, args=[staff.hall.slug] if entry.hall else [])
    except NoReverseMatch:
        return None  # the app of this entry is not installed (yet)


def menu_for(user, current_path: str = "") -> Menu | None:
    """The header of a signed-in staff member or administrator; None for anyone else."""
    staff = staff_of(user)
    roles = roles_of(user, staff)
    if not roles:
        return None
    grouped: dict[str, list[Link]] = {}
    for entry in ENTRIES:
        if may_see(entry, user, roles) and (address := entry_url(entry, staff)):
            link = Link(address, str(entry.label), current_path == address)
            grouped.setdefault(entry.group, []).append(link)
    groups = tuple(Group(str(GROUP_LABELS[g]), tuple(grouped[g])) for g in GROUP_LABELS if g in grouped)
    role_label = staff.get_role_display() if staff else str(_("administrator"))
    name = user.get_full_name() or user.get_username()
    return Menu(name, staff.hall if staff else None, role_label, groups)


def home_url(user) -> str:
    """Where a role lands after signing in: a clerk at the console (the window they work at, else the
    window picker), a supervisor on today's report, an administrator in the admin."""
    staff = staff_of(user)
    if staff is None:
        return reverse("admin:index") if getattr(user, "is_superuser", False) else reverse("hall:index")
    if staff.role == SUPERVISOR:
        return reverse("reports:dashboard", args=[staff.hall.slug])
    return reverse("queueing:console")
