from django.contrib.auth.models import Group, User
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from hall import audit, calendar
from hall.models import AuditAction, Hall, HolidaySchedule, Staff, StaffRole

# The group of each name holds the role's permissions (ensure_role_groups).
ROLE_GROUPS = {StaffRole.CLERK: "window staff", StaffRole.SUPERVISOR: "supervisor"}


def sync_staff_groups(*, user: User) -> None:
    """Put the user in exactly the group of their staff role."""
    role = getattr(getattr(user, "staff", None), "role", None)
    groups = Group.objects.filter(name__in=ROLE_GROUPS.values())
    user.groups.remove(*groups.exclude(name=ROLE_GROUPS.get(role)))
    if role:
        user.groups.add(*groups.filter(name=ROLE_GROUPS[role]))


@transaction.atomic
def assign_staff(*, user: User, hall: Hall, role: str) -> Staff:
    staff, _ = Staff.objects.update_or_create(user=user, defaults={"hall": hall, "role": role})
    user.refresh_from_db()
    sync_staff_groups(user=user)
    return staff


# Codenames per role; window staff work in the console, not the admin.
ROLE_PERMISSIONS = {
    StaffRole.CLERK: [],
    StaffRole.SUPERVISOR: [
        "hall.view_hall",
        "hall.view_service",
        "hall.view_material",
        "hall.view_counter",
        "hall.view_weeklysession",
        "hall.view_closure",
        "hall.add_closure",
        "hall.change_closure",
        "hall.delete_closure",
        "hall.view_extrasession",
        "hall.add_extrasession",
        "hall.change_extrasession",
        "hall.delete_extrasession",
        "hall.view_notice",
        "hall.add_notice",
        "hall.change_notice",
        "hall.delete_notice",
        "hall.view_holidayschedule",
    ],
}


def ensure_role_groups(**kwargs) -> None:
    """Create the role groups with their permissions; run after every migrate."""
    from django.contrib.auth.models import Permission

    for role, name in ROLE_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in ROLE_PERMISSIONS[role]:
            app_label, codename = dotted.split(".")
            wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


# Sent inside the saving transaction with year, user and now: apps to the right of `hall` act on it
# (notifications tells citizens whose bookings fall on a day the schedule closes).
holiday_schedule_entered = Signal()


def enter_holiday_schedule(*, national, user, ip: str | None = None, now=None) -> HolidaySchedule:
    """Record a year's State Council schedule (validated by calendar.schedule_problems); it replaces any
    earlier entry for that year and wins over the holiday libraries. Audited."""
    problems = calendar.schedule_problems(national)
    if problems:
        raise ValueError(problems)
    now = now or timezone.now()
    holidays = [
        {"name": r.name, "first": r.first.isoformat(), "last": r.last.isoformat()}
        for r in sorted(national.holidays, key=lambda r: r.first)
    ]
    workdays = [d.isoformat() for d in sorted(national.workdays)]
    with transaction.atomic():
        entry, _created = HolidaySchedule.objects.update_or_create(
            year=national.year,
            defaults={"holidays": holidays, "workdays": workdays, "entered_by": user, "entered_at": now},
        )
        audit.record(
            action=AuditAction.HOLIDAYS_ENTERED,
            hall=audit.staff_hall(user),
            actor=user,
            obj=entry,
            detail=f"{national.year}: {len(holidays)} holidays, {len(workdays)} make-up workdays",
            ip=ip,
            now=now,
        )
        holiday_schedule_entered.send(sender=HolidaySchedule, year=national.year, user=user, now=now)
    return entry
