from django.contrib.auth.models import Group, User
from django.db import transaction

from hall.models import Hall, Staff, StaffRole

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
