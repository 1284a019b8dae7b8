import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from hall.models import Counter, Device, Hall, Material, Service, Staff, StaffRole, WeeklySession
from tests.hall.test_security_settings import run_in_production

TRANSLATED = {
    Hall: ["name", "address", "notice"],
    Service: ["name", "summary", "eligibility", "fees", "time_limit", "steps", "notes"],
    Material: ["name", "note"],
    Counter: ["label"],
}


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _rows(queryset, *fields):
    return list(queryset.order_by("pk").values_list("pk", *fields))


def _both(field):
    return [f"{field}_zh_hans", f"{field}_en"]


def snapshot():
    def translated(model):
        return [name for field in TRANSLATED[model] for name in _both(field)]

    hall_fields = ["slug", "consultation_phone", "supervision_phone", "timezone", "max_waiting_inside"]
    hall_fields += ["seat_rows", "seats_per_row", "seats_out_of_use", *translated(Hall)]
    service_fields = ["hall__slug", "code", "prefix", "average_handling_minutes", "slot_minutes"]
    service_fields += ["bookable", "active", "position", "online_url", "by_post", "home_visit"]
    return {
        "halls": _rows(Hall.objects, *hall_fields),
        "services": _rows(Service.objects, *service_fields, *translated(Service)),
        "materials": _rows(Material.objects, "service_id", "position", "required", *translated(Material)),
        "counters": _rows(Counter.objects, "hall__slug", "number", "active", *translated(Counter)),
        "counter_services": sorted(Counter.services.through.objects.values_list("counter_id", "service_id")),
        "sessions": _rows(WeeklySession.objects, "hall__slug", "weekday", "start", "end", "kind"),
        "users": _rows(User.objects, "username", "password", "is_staff", "is_superuser", "is_active"),
        "groups": sorted(User.groups.through.objects.values_list("user_id", "group__name")),
        "staff": _rows(Staff.objects, "user__username", "hall__slug", "role"),
    }


@pytest.mark.django_db
def test_running_twice_leaves_identical_rows():
    seed()
    first = snapshot()
    seed("--quiet")
    assert snapshot() == first
    assert {name: len(rows) for name, rows in snapshot().items()} == {
        name: len(rows) for name, rows in first.items()
    }


@pytest.mark.django_db
def test_rerun_restores_edited_and_extra_rows():
    seed()
    first = snapshot()
    hall = Hall.objects.get(slug="wangchuan")
    service = hall.services.get(code="newborn")
    service.fees_en = "changed"
    service.save()
    Material.objects.create(service=service, name_zh_hans="多余", name_en="Extra", position=0)
    WeeklySession.objects.create(hall=hall, weekday=6, start="09:00", end="10:00")
    user = User.objects.get(username="wc_clerk1")
    user.set_password("something else")
    user.save()

    seed("--quiet")

    after = snapshot()
    assert {key: value for key, value in after.items() if key != "users"} == {
        key: value for key, value in first.items() if key != "users"
    }
    assert User.objects.get(username="wc_clerk1").check_password("demo-pass-2026")


@pytest.mark.django_db
def test_main_hall_has_complete_bilingual_guides():
    seed()
    hall = Hall.objects.get(slug="wangchuan")
    assert hall.counters.filter(kind="window").count() == 4
    online_room = hall.counters.get(kind="online_room")  # 网上户籍室: video appointments (issue 22)
    video = [s.code for s in online_room.services.all()]
    assert video == ["hukou-certificate"] and all(hall.services.get(code=c).by_video for c in video)
    assert hall.services.get(code="hukou-certificate").video_needs_list
    assert hall.max_waiting_inside == 30
    assert hall.name_zh_hans and hall.name_en and hall.notice_zh_hans and hall.notice_en

    services = list(hall.services.all())
    assert len(services) >= 11
    assert len({s.prefix for s in services}) == len(services)
    for service in services:
        for field in TRANSLATED[Service]:
            for column in _both(field):
                assert getattr(service, column).strip(), (service.code, column)
        assert len(service.steps_zh_hans.splitlines()) == len(service.steps_en.splitlines())
        assert service.online_url == ""
        materials = list(service.materials.all())
        assert materials, service.code
        for material in materials:
            assert material.name_zh_hans and material.name_en
            assert material.note_zh_hans and material.note_en
        assert service.counters.exists(), f"no counter serves {service.code}"

    fees = {s.code: s.fees_zh_hans for s in services}
    assert "20元" in fees["id-card-first"]
    assert "40元" in fees["id-card-lost"]
    assert "10元" in fees["temp-id-card"]
    assert set(hall.counters.get(number=4).services.all()) == set(services)


@pytest.mark.django_db
def test_main_hall_hours():
    seed()
    sessions = Hall.objects.get(slug="wangchuan").weekly_sessions.all()
    kinds = {}
    for session in sessions:
        kinds.setdefault(session.kind, set()).add(session.weekday)
    assert kinds == {"regular": {0, 1, 2, 3, 4}, "extended": {1, 3}, "weekend_duty": {5}}
    assert sessions.count() == 5 * 2 + 2 + 1


@pytest.mark.django_db
def test_second_hall_is_smaller_and_shares_guides():
    seed()
    main = Hall.objects.get(slug="wangchuan")
    second = Hall.objects.get(slug="liuwan")
    assert 0 < second.counters.count() < main.counters.count()
    assert 4 <= second.services.count() < main.services.count()
    assert set(second.weekly_sessions.values_list("weekday", flat=True)) == {0, 1, 2, 3, 4}
    for service in second.services.all():
        original = main.services.get(code=service.code)
        assert service.steps_en == original.steps_en
        assert service.prefix == original.prefix
        assert service.materials.count() == original.materials.count()


@pytest.mark.django_db
def test_accounts_and_staff_scoping(settings):
    settings.SITE_URL = "http://127.0.0.1:8098"  # `PORT=8098 python3 dev.py run` sets it so
    output = seed()
    assert "demo-pass-2026" in output
    assert "Citizens: http://127.0.0.1:8098/   Administration: http://127.0.0.1:8098/admin/" in output

    supervisor = User.objects.get(username="wc_supervisor")
    assert supervisor.staff.hall.slug == "wangchuan"
    assert supervisor.staff.role == StaffRole.SUPERVISOR
    assert supervisor.groups.filter(name="supervisor").exists()
    assert supervisor.check_password("demo-pass-2026")

    clerks = Staff.objects.filter(hall__slug="wangchuan", role=StaffRole.CLERK)
    assert sorted(clerks.values_list("user__username", flat=True)) == [f"wc_clerk{i}" for i in range(1, 5)]
    assert Staff.objects.get(user__username="lw_clerk1").hall.slug == "liuwan"

    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert not Staff.objects.filter(user=admin).exists()


@pytest.mark.django_db
def test_quiet_omits_the_table():
    output = seed("--quiet")
    assert "demo-pass-2026" not in output


@pytest.mark.django_db
def test_seed_demo_is_refused_in_production_and_creates_no_account(settings):
    settings.DEPLOYMENT = "production"

    with pytest.raises(CommandError) as refused:
        seed()

    assert "refused with DEPLOYMENT=production" in str(refused.value)
    assert (User.objects.count(), Hall.objects.count()) == (0, 0)


def test_seed_demo_in_production_exits_1_with_the_message(tmp_path):
    done = run_in_production(tmp_path, "seed_demo")

    assert done.returncode == 1
    assert "seed_demo is refused with DEPLOYMENT=production" in done.stderr


@pytest.mark.django_db
def test_demo_screens_and_one_time_pairing_links(client):
    output = seed()
    seed()

    links = [line.split(": ", 1)[1] for line in output.splitlines() if "/screen/" in line]
    kiosk_link = next(link for link in links if "/wangchuan/screen/kiosk/" in link)
    opened = client.get(kiosk_link.removeprefix("http://127.0.0.1:8000"))
    claimed = client.get(opened["Location"])
    kiosk = client.get(claimed["Location"])

    assert Device.objects.filter(hall__slug="wangchuan").count() == 3  # a second run adds none
    assert len(links) == 6
    assert kiosk.status_code == 200 and b"kiosk-choice" in kiosk.content  # the real kiosk, paired


@pytest.mark.django_db
def test_no_pairing_links_in_production(settings):
    settings.PRODUCTION = True

    output = seed()

    assert "/screen/" not in output
    assert Device.objects.filter(hall__slug="wangchuan").count() == 3
