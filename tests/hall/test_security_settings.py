"""Production settings pass Django's deployment checks; the headers they turn on; development stays on plain
http (hall/settings.py, docs/production.md "Security")."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from hall.env import env_header

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEPLOYMENT": "production",
    "SECRET_KEY": "a-production-secret-key-of-at-least-fifty-characters-0123456789",
    "ID_NUMBER_HMAC_KEY": "another-secret-for-id-number-hashes",
    "ALLOWED_HOSTS": "hall.example.cn",
    "CSRF_TRUSTED_ORIGINS": "https://hall.example.cn",
    "SITE_URL": "https://hall.example.cn",
    "TRUSTED_PROXIES": "127.0.0.1",  # nginx on the same host (hall.W001 otherwise)
}


def run_in_production(tmp_path, *args, **extra_env) -> subprocess.CompletedProcess:
    # Not this test process's settings, nor DJANGO_ALLOW_ASYNC_UNSAFE, which the browser tests set.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SECURE_", "STAFF_", "DEBUG", "DJANGO_"))
    }
    env.update(PRODUCTION_ENV, VAR_DIR=str(tmp_path), **extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_the_deployment_checks(tmp_path):
    result = run_in_production(tmp_path, "check", "--deploy", "--fail-level", "WARNING")

    assert (result.returncode, result.stderr) == (0, "")
    # W005 and W021: includeSubDomains and preload stay the domain owner's decision (docs/production.md).
    assert result.stdout.strip() == "System check identified no issues (2 silenced)."


def test_production_settings_with_subdomains_and_preload_still_pass(tmp_path):
    result = run_in_production(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="on",
        SECURE_HSTS_PRELOAD="on",
    )

    assert (result.returncode, result.stdout.strip()) == (
        0,
        "System check identified no issues (0 silenced).",
    )


def test_production_security_settings(tmp_path):
    names = [
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_REFERRER_POLICY",
        "X_FRAME_OPTIONS",
        "STAFF_OTP_REQUIRED",
        "STAFF_OTP_ROLES",
        "STAFF_IDLE_MINUTES",
        "AXES_FAILURE_LIMIT",
        "AXES_COOLOFF_TIME",
    ]
    script = f"from django.conf import settings; print([getattr(settings, n) for n in {names!r}])"

    result = run_in_production(tmp_path, "shell", "--no-imports", "-c", script)

    assert result.stdout.strip() == (
        "[False, True, True, True, 31536000, False, False, ('HTTP_X_FORWARDED_PROTO', 'https'), "
        "'same-origin', 'DENY', True, ['admin', 'supervisor'], 30, 5, datetime.timedelta(seconds=900)]"
    )


def test_production_settings_from_the_environment(tmp_path):
    names = ["SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER", "STAFF_IDLE_MINUTES", "AXES_FAILURE_LIMIT"]
    script = f"from django.conf import settings; print([getattr(settings, n) for n in {names!r}])"

    result = run_in_production(
        tmp_path,
        "shell",
        "--no-imports",
        "-c",
        script,
        SECURE_HSTS_SECONDS="600",
        SECURE_PROXY_SSL_HEADER="X-Scheme: https",
        STAFF_IDLE_MINUTES="15",
        LOGIN_FAILURE_LIMIT="10",
    )

    assert result.stdout.strip() == "[600, ('HTTP_X_SCHEME', 'https'), 15, 10]"


@pytest.mark.parametrize(
    ("raw", "header"),
    [("X-Forwarded-Proto: https", ("HTTP_X_FORWARDED_PROTO", "https")), ("off", None), ("", None)],
)
def test_proxy_ssl_header_setting_is_parsed(monkeypatch, raw, header):
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", raw)

    assert env_header("SECURE_PROXY_SSL_HEADER", "off") == header


def test_proxy_ssl_header_setting_without_a_value_is_refused(monkeypatch):
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto")

    with pytest.raises(ImproperlyConfigured, match="SECURE_PROXY_SSL_HEADER must look like"):
        env_header("SECURE_PROXY_SSL_HEADER", "off")


@pytest.fixture
def production_transport(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.ALLOWED_HOSTS = ["hall.example.cn"]


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https(production_transport):
    response = Client().get("/accounts/login/?next=/console/", HTTP_HOST="hall.example.cn")

    assert (response.status_code, response["Location"]) == (
        301,
        "https://hall.example.cn/accounts/login/?next=/console/",
    )


@pytest.mark.django_db
def test_https_through_the_proxy_gets_hsts_and_secure_cookies(production_transport):
    response = Client().get("/accounts/login/", HTTP_HOST="hall.example.cn", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    assert (response["X-Frame-Options"], response["Referrer-Policy"]) == ("DENY", "same-origin")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.cookies["csrftoken"]["secure"] is True
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_development_serves_plain_http_without_redirect_or_hsts(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response
    assert response.cookies["csrftoken"]["secure"] == ""
