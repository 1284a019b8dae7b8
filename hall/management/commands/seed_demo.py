"""Load the demo halls, service guides, hours and accounts from hall.demo_data.

Idempotent: rows are found by natural keys and reset to the demo values, so running it again changes
nothing. Within the demo halls the data are authoritative for materials and weekly hours (extra rows
are removed); other halls, and services or counters added by hand, are left alone.
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from hall import demo_data, devices, services
from hall.models import (
    Counter,
    CounterKind,
    Device,
    DeviceKind,
    Hall,
    Material,
    Notice,
    Service,
    StaffRole,
    WeeklySession,
)

LANGUAGES = ("zh_hans", "en")
DEMO_REFUSED_IN_PRODUCTION = (
    "seed_demo is refused with DEPLOYMENT=production: it creates accounts whose passwords are printed and "
    "published. Create the administrator with `manage.py createsuperuser` and staff in the admin."
)
LINK_HOURS = 24
ROLE_NAMES = {"admin": "administrator", StaffRole.SUPERVISOR: "supervisor", StaffRole.CLERK: "window staff"}


def _tr(field, pair):
    """("中文", "English") -> {"field_zh_hans": "中文", "field_en": "English"}."""
    return {f"{field}_{lang}": text for lang, text in zip(LANGUAGES, pair, strict=True)}


def _lines(pairs):
    return tuple("\n".join(texts) for texts in zip(*pairs, strict=True))


def _upsert(model, key, values):
    """Like update_or_create, for keys without a unique constraint: keeps the oldest duplicate."""
    row = model.objects.filter(**key).order_by("pk").first() or model(**key)
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row


class Command(BaseCommand):
    help = "Create or reset the demo halls, service guides, hours and accounts (password printed)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Do not print the accounts table.")

    def handle(self, *args, quiet=False, **options):
        if settings.DEPLOYMENT == "production":
            raise CommandError(DEMO_REFUSED_IN_PRODUCTION)
        # The untranslated columns hold the default language, whatever the caller's locale.
        with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
            services.ensure_role_groups()
            halls = {data["slug"]: self._hall(data) for data in demo_data.HALLS}
            accounts = [self._account(data, halls) for data in demo_data.ACCOUNTS]
            for data in demo_data.NOTICES:
                self._notice(data, halls[data["hall"]])
            screens = [self._device(halls[slug], *screen) for slug in halls for screen in demo_data.SCREENS]

        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {', '.join(halls)}."))
        if quiet:
            return
        rows = [("username", "password", "role", "hall"), *accounts]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        site = settings.SITE_URL.rstrip("/")  # dev.py run sets it to the address it serves
        self.stdout.write(f"\nCitizens: {site}/   Administration: {site}/admin/")
        self._pairing_links(screens)

    def _pairing_links(self, found):
        """For development, a one-time link per demo screen that pairs the browser opening it (no supervisor
        needed). Never in production: there, screens are paired from the supervisor's screens page."""
        if settings.PRODUCTION:
            return
        self.stdout.write(f"\nOne-time links that pair this browser as a demo screen (valid {LINK_HOURS} h):")
        now = timezone.now()
        for device in found:
            address = self._screen_address(device)
            secret = devices.approved_link(
                device=device, address=address, now=now, valid=dt.timedelta(hours=LINK_HOURS)
            )
            link = reverse("hall:screen_link", args=[device.hall.slug, device.kind, secret])
            self.stdout.write(f"  {device.hall.slug} {device.name}: {settings.SITE_URL}{link}")

    def _device(self, hall, kind, name, place):
        device, _ = Device.objects.update_or_create(
            hall=hall, kind=kind, name=name, defaults={"place": place}
        )
        return device

    def _screen_address(self, device) -> str:
        if device.kind == DeviceKind.COUNTER_DISPLAY:
            return reverse("queueing:counter_display", args=[device.hall.slug, 1])
        name = "queueing:kiosk" if device.kind == DeviceKind.KIOSK else "queueing:board"
        return reverse(name, args=[device.hall.slug])

    def _hall(self, data):
        fields = ("consultation_phone", "supervision_phone", "timezone", "max_waiting_inside")
        fields += ("seat_rows", "seats_per_row", "seats_out_of_use")
        hall, _ = Hall.objects.update_or_create(
            slug=data["slug"],
            defaults={
                **{name: data[name] for name in fields},
                **_tr("name", data["name"]),
                **_tr("address", data["address"]),
                **_tr("notice", data["notice"]),
            },
        )
        by_code = {
            code: self._service(hall, code, position, data.get("video", {}).get(code))
            for position, code in enumerate(data["services"], start=1)
        }
        for counter_data in data["counters"]:
            counter, _ = Counter.objects.update_or_create(
                hall=hall,
                number=counter_data["number"],
                defaults={
                    "active": True,
                    "kind": counter_data.get("kind", CounterKind.WINDOW),
                    **_tr("label", counter_data["label"]),
                },
            )
            counter.services.set([by_code[code] for code in counter_data["services"]])

        kept = [
            _upsert(
                WeeklySession, {"hall": hall, "weekday": day, "start": start}, {"end": end, "kind": kind}
            ).pk
            for day, start, end, kind in data["hours"]
        ]
        hall.weekly_sessions.exclude(pk__in=kept).delete()
        return hall

    def _service(self, hall, code, position, video=None):
        """`video`: what the hall's online room asks of this service's video calls (None: not by video)."""
        data = demo_data.SERVICES[code]
        video = video or {"needs": [], "questions": []}
        flags = ("prefix", "average_handling_minutes", "bookable", "by_post", "home_visit")
        texts = ("name", "summary", "eligibility", "fees", "time_limit", "notes")
        service, _ = Service.objects.update_or_create(
            hall=hall,
            code=code,
            defaults={
                **{name: data[name] for name in flags},
                **{key: value for name in texts for key, value in _tr(name, data[name]).items()},
                **_tr("steps", _lines(data["steps"])),
                "by_video": bool(video["needs"]),
                **_tr("video_needs", _lines(video["needs"]) if video["needs"] else ("", "")),
                **_tr("video_questions", _lines(video["questions"]) if video["questions"] else ("", "")),
                "slot_minutes": data.get("slot_minutes", 30),
                "time_limit_days": data.get("time_limit_days"),
                "position": position,
                "active": True,
                "online_url": "",
            },
        )
        kept = [
            _upsert(
                Material,
                {"service": service, "position": index},
                {"required": item["required"], **_tr("name", item["name"]), **_tr("note", item["note"])},
            ).pk
            for index, item in enumerate(data["materials"], start=1)
        ]
        service.materials.exclude(pk__in=kept).delete()
        return service

    def _notice(self, data, hall):
        notice = Notice.objects.filter(hall=hall, title_zh_hans=data["title"][0]).order_by("pk").first()
        if notice is None:
            start = dt.datetime.combine(hall.local_date(timezone.now()), dt.time(), hall.tz)
            notice = Notice(hall=hall, valid_from=start, valid_until=start + dt.timedelta(days=data["days"]))
        for name, value in {**_tr("title", data["title"]), **_tr("body", data["body"])}.items():
            setattr(notice, name, value)
        notice.save()
        notice.services.set(hall.services.filter(code__in=data["services"]))

    def _account(self, data, halls):
        password = demo_data.DEMO_PASSWORD
        is_admin = data["role"] == "admin"
        user, _ = get_user_model().objects.update_or_create(
            username=data["username"],
            defaults={
                "first_name": data["name"],
                "last_name": "",
                "email": "",
                "is_active": True,
                "is_superuser": is_admin,
                # Supervisors use the admin for closures and extra sessions; clerks only the console.
                "is_staff": is_admin or data["role"] == StaffRole.SUPERVISOR,
            },
        )
        # Reset the password every run, but keep the stored hash when it already matches so that a
        # second run leaves the row unchanged.
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        hall = halls.get(data["hall"])
        if hall is not None:
            services.assign_staff(user=user, hall=hall, role=data["role"])
        return (user.username, password, ROLE_NAMES[data["role"]], hall.slug if hall else "-")
