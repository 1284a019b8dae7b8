import pytest
from queueing import services
from queueing.services import Actor
from django.contrib.auth.models import User
from tests.makers import make_counter, make_service, make_staff
from tests.queueing.helpers import make_hall_open_today

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-for-tests-only"

def test_shots(browser, live_server):
    hall = make_hall_open_today(slug="north", name_zh_hans="望川市公安局城关派出所户政大厅", name_en="Chengguan Household Registration Hall")
    service = make_service(hall)
    make_counter(hall, 1, [service]); make_counter(hall, 2, [service])
    services.issue_walk_in(hall=hall, service=service, actor=Actor("kiosk"))
    c = make_staff(hall, "clerk"); c.first_name = "陈晓燕"; c.save()
    b = make_staff(hall, "boss", role="supervisor"); b.first_name="周敏"; b.is_staff = True; b.save()
    User.objects.create_superuser("root", password=PASSWORD)
    for lang, locale in (("zh-hans", "zh-CN"), ("en", "en-GB")):
        for width, height, tag in ((1280, 900, "desk"), (390, 844, "phone")):
            ctx = browser.new_context(base_url=live_server.url, locale=locale, viewport={"width": width, "height": height})
            ctx.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
            page = ctx.new_page()
            def shot(name):
                page.screenshot(path=f"/tmp/shots/{name}-{lang}-{tag}.png", full_page=True)
            page.goto("/h/north/"); shot("home")
            page.goto("/accounts/login/"); shot("login")
            for user, pages in (("clerk", ["/console/", "/accounts/password/", "/admin/"]), ("boss", ["/h/north/reports/", "/h/north/reports/audit/", "/admin/"]), ("root", ["/admin/"])):
                page.goto("/accounts/login/")
                page.fill("#id_username", user); page.fill("#id_password", PASSWORD); page.click("button.primary")
                for i, p in enumerate(pages):
                    page.goto(p); shot(f"{user}{i}")
                page.context.clear_cookies()
                ctx.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
            ctx.close()
