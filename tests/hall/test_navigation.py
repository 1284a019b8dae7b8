"""Signing in lands each role on its home; the staff header lists the role's pages (hall/navigation.py);
staff without admin rights who sign in at /admin/ are told so; every staff member changes their password."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hall import navigation
from tests.makers import make_counter, make_hall, make_service, make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"


@pytest.fixture
def hall():
    hall = make_hall()
    make_counter(hall, 1, [make_service(hall)])
    return hall


@pytest.fixture
def clerk(hall):
    user = make_staff(hall, "clerk")
    user.first_name = "陈晓燕"
    user.save()
    return user


@pytest.fixture
def supervisor(hall):
    user = make_staff(hall, "boss", role="supervisor")
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def admin_user():
    return User.objects.create_superuser("root", password=PASSWORD)


def client(language="en") -> Client:
    browser = Client()
    browser.cookies["django_language"] = language
    return browser


def sign_in(browser, username, next_url=""):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return browser.post(reverse("login"), data, follow=True)


def test_clerk_lands_on_the_window_picker(clerk):
    response = sign_in(client(), "clerk")

    assert response.redirect_chain[-1][0] == "/console/"
    assert "Choose your window" in response.content.decode()


def test_supervisor_lands_on_todays_report(hall, supervisor):
    response = sign_in(client(), "boss")

    assert response.redirect_chain[-1][0] == f"/h/{hall.slug}/reports/"


def test_administrator_lands_on_the_admin(admin_user):
    response = sign_in(client(), "root")

    assert response.redirect_chain[-1][0] == "/admin/"


def test_a_next_address_wins_over_the_home(hall, clerk):
    response = sign_in(client(), "clerk", next_url=f"/h/{hall.slug}/call-backs/")

    assert response.redirect_chain[-1][0] == f"/h/{hall.slug}/call-backs/"


def test_clerk_signing_in_at_admin_is_told_and_given_a_link_home(clerk):
    browser = client("zh-hans")
    to_sign_in = browser.get("/admin/", follow=True)
    assert to_sign_in.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"

    response = sign_in(browser, "clerk", next_url="/admin/")

    page = response.content.decode()
    assert response.status_code == 403
    assert "管理后台不对您的账号开放" in page
    assert "您已作为 陈晓燕 登录" in page
    assert 'href="/console/"' in page


def test_supervisor_signing_in_at_admin_reaches_the_admin(supervisor):
    browser = client()
    browser.get("/admin/", follow=True)

    response = sign_in(browser, "boss", next_url="/admin/")

    assert (response.status_code, response.redirect_chain[-1][0]) == (200, "/admin/")


def header_links(page: str) -> list[str]:
    start = page.index('class="staff-nav"')
    return [part.split('"', 1)[0] for part in page[start : page.index("</nav>", start)].split('href="')[1:]]


def test_clerks_header_lists_window_pages_name_hall_and_sign_out(hall, clerk):
    browser = client()
    browser.force_login(clerk)

    page = browser.get("/console/").content.decode()

    assert header_links(page) == [
        reverse("queueing:console"),
        reverse("postal:staff_pickups"),
        reverse("consultations:log", args=[hall.slug]),
        reverse("consultations:mine", args=[hall.slug]),
        reverse("appointments:staff_book"),
        reverse("queueing:kiosk_guide", args=[hall.slug]),
        reverse("queueing:register", args=[hall.slug]),
        reverse("homevisits:list", args=[hall.slug]),
        reverse("postal:staff_items"),
        reverse("video:today"),
    ]
    assert f'<strong class="staff-name">陈晓燕</strong> · window staff · {hall.name}' in page
    assert f'<form method="post" action="{reverse("logout")}"' in page
    assert f'href="{reverse("password_change")}"' in page


def test_supervisors_header_adds_supervision_and_settings(hall, supervisor):
    browser = client()
    browser.force_login(supervisor)

    page = browser.get(f"/h/{hall.slug}/reports/audit/").content.decode()

    links = header_links(page)
    assert f"/h/{hall.slug}/reports/staffing/" in links
    assert reverse("admin:hall_notice_changelist") in links
    assert f'<a href="/h/{hall.slug}/reports/audit/" aria-current="page">Audit log</a>' in page


def test_an_entry_whose_url_name_does_not_resolve_is_left_out(clerk, monkeypatch):
    later = navigation.Entry("register:day", "Day register", navigation.STAFF, hall=True)
    monkeypatch.setattr(navigation, "ENTRIES", (*navigation.ENTRIES, later))

    menu = navigation.menu_for(clerk)

    assert "Day register" not in [link.label for group in menu.groups for link in group.links]


def test_every_entry_of_the_registry_resolves():
    unresolved = [entry.name for entry in navigation.ENTRIES if entry.hall is False and not _reverses(entry)]

    assert unresolved == []


def _reverses(entry) -> bool:
    return navigation.entry_url(entry, None) is not None


def test_citizen_pages_have_no_staff_header_even_for_signed_in_staff(hall, clerk):
    browser = client()
    browser.force_login(clerk)

    page = browser.get(f"/h/{hall.slug}/").content.decode()

    assert "staff-header" not in page


def test_password_change_refuses_a_weak_password_in_chinese(clerk):
    browser = client("zh-hans")
    browser.force_login(clerk)

    response = browser.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "这个密码太常见了。" in page
    assert "密码只包含数字。" in page
    clerk.refresh_from_db()
    assert clerk.check_password(PASSWORD)


def test_password_change_with_a_good_password_keeps_the_clerk_signed_in(clerk):
    browser = client()
    browser.force_login(clerk)

    response = browser.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "window-7-lotus", "new_password2": "window-7-lotus"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("password_change_done")
    assert "Your password is changed." in response.content.decode()
    clerk.refresh_from_db()
    assert clerk.check_password("window-7-lotus")
    assert browser.get("/console/").status_code == 200


def test_citizen_hall_page_links_every_citizen_service(hall):
    page = client().get(f"/h/{hall.slug}/").content.decode()

    for address in (
        reverse("hall:service_list", args=[hall.slug]),
        reverse("appointments:find"),
        reverse("queueing:board", args=[hall.slug]),
        reverse("reports:comment_book", args=[hall.slug]),
        reverse("homevisits:choose_service", args=[hall.slug]),
        reverse("postal:apply", args=[hall.slug]),
    ):
        assert f'href="{address}"' in page, address
    assert page.count(f'action="{reverse("hall:toggle_large_text")}"') == 1  # in the header, as everywhere


def test_a_too_short_password_is_refused_in_chinese(clerk):
    """Django 5.2's Chinese catalogue lacks its new "too short" message; hall/passwords.py has one."""
    browser = client("zh-hans")
    browser.force_login(clerk)

    response = browser.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "q7#Lw", "new_password2": "q7#Lw"},
    )

    assert "密码太短：请至少使用 8 个字符。" in response.content.decode()
