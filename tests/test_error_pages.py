"""Django's own error pages, as citizens see them: in Chinese first, in the site's look, saying what
happened and what to do next (templates/400.html, 403.html, 403_csrf.html, 404.html, 500.html)."""

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.views import defaults

from tests.makers import make_hall, make_staff

pytestmark = pytest.mark.django_db


def assert_site_page(response, status: int, heading: str, todo: str) -> str:
    page = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert '<html lang="zh-hans"' in page
    assert "/static/css/site.css" in page  # the site's look, not Django's bare page
    assert f"<h1>{heading}</h1>" in page
    assert todo in page
    assert '<a href="/">回到首页重新开始</a>' in page
    assert '<a href="/booking/find/">用预约码和手机号码查找您的预约</a>' in page
    return page


def test_unknown_page_says_it_cannot_be_found_and_what_to_check(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    todo = "如果是从短信中打开的链接，请确认整条链接都已复制。"
    page = assert_site_page(response, 404, "找不到这个页面", todo)
    assert "<title>页面不存在 · " in page


def test_unknown_booking_link_is_the_same_page(client):
    response = client.get("/booking/not-a-real-token/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert_site_page(response, 404, "找不到这个页面", "网址可能输错了或不完整")


def test_error_pages_follow_the_language_in_english(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404
    assert "<h1>We cannot find this page</h1>" in response.content.decode()


def test_window_staff_on_a_supervisors_page_are_told_they_are_not_allowed(client):
    hall = make_hall()
    client.force_login(make_staff(hall, "clerk"))

    response = client.get(f"/h/{hall.slug}/reports/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert_site_page(response, 403, "您无权打开这个页面", "请用您自己的账号登录，或请负责人为您开通权限。")


def test_form_sent_without_its_security_token_says_nothing_was_saved():
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="zh-hans")

    response = client.post("/booking/find/", {"code": "KT7QH4MC", "phone": "13800138000"})

    page = assert_site_page(response, 403, "您的表单没有提交成功", "请返回上一页，刷新页面后重新提交。")
    assert "您填写的内容没有保存。" in page


def test_request_for_another_host_is_a_bad_request(client):
    response = client.get("/", HTTP_HOST="evil.example", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert_site_page(response, 400, "无法识别这个请求", "网址或表单中有内容无效，因此没有进行任何操作。")


def test_too_many_form_fields_is_a_bad_request(client):
    body = "&".join(f"f{i}=1" for i in range(1200))
    form = "application/x-www-form-urlencoded"

    response = client.post("/booking/find/", body, content_type=form, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert_site_page(response, 400, "无法识别这个请求", "请返回上一页重试。")


def test_server_error_page_needs_neither_the_request_nor_the_database(django_assert_num_queries):
    request = RequestFactory().get("/")

    with translation.override("zh-hans"), django_assert_num_queries(0):
        response = defaults.server_error(request)

    page = assert_site_page(response, 500, "我们这边出了问题", "这不是您的错，我们已经记录了这个问题。")
    assert "以免重复预约" in page
