"""The Django admin and the RQ dashboard under our Content-Security-Policy, in Chromium, and the sign-in with
a second factor as a person does it."""

import pytest
from django.contrib.auth.models import User
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from hall import enrolment_codes
from tests.makers import make_counter, make_hall, make_service, make_staff

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-only"


def csp_violations(page) -> list[str]:
    found = []
    page.on(
        "console",
        lambda message: found.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return found


def sign_in(page, username, next_url):
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")


def test_admin_pages_work_under_the_content_security_policy(page):
    hall = make_hall()
    service = make_service(hall)
    counter = make_counter(hall, 1, [service])
    User.objects.create_superuser("root", password=PASSWORD)
    violations = csp_violations(page)

    sign_in(page, "root", "/admin/")
    expect(page.locator("#site-name")).to_be_visible()
    for url in (
        f"/admin/hall/hall/{hall.pk}/change/",
        f"/admin/hall/counter/{counter.pk}/change/",
        "/admin/hall/apitoken/add/",
        "/admin/auth/user/",
        "/admin/axes/accessattempt/",
        "/admin/otp_totp/totpdevice/",
        "/admin/django-rq/",  # django-rq's inline blocks are allowed there only (hall/security.py)
        "/admin/django-rq/queues/0/",
        "/admin/django-rq/queues/0/failed/",
        "/admin/django-rq/workers/0/",
    ):
        page.goto(url)
        expect(page.locator("#content")).to_be_visible()

    # Scripts run: the two-box selector of the counter's services is built by SelectFilter2.js.
    page.goto(f"/admin/hall/counter/{counter.pk}/change/")
    expect(page.locator("#id_services_from")).to_be_attached()
    assert violations == []


def test_supervisor_sets_up_and_uses_the_second_factor(page, settings):
    settings.STAFF_OTP_REQUIRED = True
    hall = make_hall()
    user = make_staff(hall, "boss", role="supervisor")
    violations = csp_violations(page)

    sign_in(page, "boss", f"/h/{hall.slug}/reports/")
    expect(page.locator("h1")).to_have_text("设置两步登录")
    expect(page.locator("[data-ask-admin]")).to_contain_text("请向管理员索取启用码")
    expect(page.locator("img.otp-qr")).to_have_count(0)
    page.fill("#id_enrolment_code", "AAAA-BBBB-CCCC-DDDD")
    page.get_by_role("button", name="继续").click()
    expect(page.locator(".error-summary")).to_contain_text("启用码不正确")
    page.fill("#id_enrolment_code", enrolment_codes.issue(user).lower())
    page.get_by_role("button", name="继续").click()
    expect(page.locator("img.otp-qr")).to_be_visible()
    device = TOTPDevice.objects.get(user=user)
    page.fill("#id_code", f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="确认验证码").click()

    expect(page).to_have_url(f"/h/{hall.slug}/reports/")
    expect(page.locator(".messages")).to_contain_text("两步登录已设置完成")
    assert violations == []
