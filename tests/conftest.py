import os
import shutil
import sys
import threading
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from hall import cache as hall_cache

IN_CI = os.environ.get("CI") == "true"
CHROMIUM = "/usr/bin/chromium"
# How long a browser test waits for a page, an element or an `expect(...)` to come true. CI runs the suite
# twice side by side on 2 cores with Chromium beside each: a page that answers in 200 ms alone can take
# several seconds there. Playwright's own default for `expect` is 5 s, shorter than its 30 s for actions.
BROWSER_TIMEOUT_MS = 20_000


def _postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _empty_tables_by_delete() -> None:
    """After each transactional test (browser, race and live-server tests), Django empties every table
    with one TRUNCATE of all of them. On PostgreSQL that costs about 1.5 s here whatever the tables hold:
    TRUNCATE makes new files for each of about 130 tables and their indexes. DELETE in one transaction costs
    about 40 ms for the few rows a test leaves. Foreign keys are DEFERRABLE INITIALLY DEFERRED (Django's), so
    the order does not matter, and Django's flush runs the statements in one transaction. Only the tests'
    flush (sequences kept, no cascade) is changed; `manage.py flush` still truncates."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade:
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        delete = style.SQL_KEYWORD("DELETE FROM")
        return [f"{delete} {style.SQL_FIELD(self.quote_name(table))};" for table in tables]

    DatabaseOperations.sql_flush = sql_flush


def _flush_waits_for_the_live_server() -> None:
    """On SQLite the tests' in-memory database is shared with the live server's threads. A browser's last
    request (a board's event stream reconnecting, with its snapshot read) may still be reading when a
    transactional test's flush empties the tables after the browser closed, and SQLite then refuses with
    "database table is locked": that test and the next failed (seen once in CI, on the board's layout test).
    The flush waits for the read to end (up to 5 s) instead."""
    from django.db import OperationalError
    from django.db.backends.sqlite3.operations import DatabaseOperations

    flush = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        for attempt in range(50):
            try:
                return flush(self, sql_list)
            except OperationalError as error:
                if "locked" not in str(error) or attempt == 49:
                    raise
                time.sleep(0.1)

    DatabaseOperations.execute_sql_flush = execute_sql_flush


if _postgres():
    _empty_tables_by_delete()
else:
    _flush_waits_for_the_live_server()


def _browser_missing() -> str | None:
    if not shutil.which(CHROMIUM):
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (requirements-dev.txt)"
    return None


def _missing(marker: str) -> str | None:
    if marker == "requires_postgres":
        return None if _postgres() else "needs PostgreSQL: set DATABASE_URL=postgres://..."
    return _browser_missing()


def unavailable(reason: str):
    """What a test does when something it needs is not on this machine: on a newcomer's machine it is
    skipped, saying what to install; on CI (CI=true), where everything must be there, it fails."""
    if IN_CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


def pytest_runtest_setup(item):
    """Skip a test whose database or browser is missing, except on CI, where that is a failure."""
    for marker in ("requires_postgres", "requires_browser"):
        if item.get_closest_marker(marker) and (reason := _missing(marker)):
            unavailable(reason)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Staff accounts are made and signed in all through the suite; the production hasher (PBKDF2, about
    0.6 s a hash here) is not what is tested, and it made signing up staff the slowest step of many tests.
    Servers that tests start in a subprocess keep the real hashers."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clean_redis(request):
    """Each database test starts with an empty cache (rate limits, live state) on the real Redis."""
    if request.node.get_closest_marker("django_db") or "live_server" in request.fixturenames:
        cache.clear()
        hall_cache.forget_remembered()  # and what this process keeps in memory in front of it


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the hall's default language (zh-hans): a request in English leaves English active
    in the thread that made it, and a later test that renders text outside a request read it in English."""
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls that tests make
    # between browser steps are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


EXIT_STATUS = pytest.StashKey[int]()


def pytest_sessionfinish(session, exitstatus):
    session.config.stash[EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """End the test process once the run has ended and reported. A browser test may leave an event stream
    open on pytest-django's live server (WSGI); asgiref runs the stream's coroutine on a ThreadPoolExecutor
    thread, which is not a daemon, and Python waits for every such thread at exit, so CI's PostgreSQL run
    printed its results and then never ended. Streams under WSGI end by themselves within
    queueing.live_views.WSGI_STREAM_SECONDS, but one stuck in an await must not hold CI: with a thread
    still alive, leave at once with the run's own exit status (the results, the database teardown and the
    summary are all done by now)."""
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if others:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config.stash.get(EXIT_STATUS, 1))
