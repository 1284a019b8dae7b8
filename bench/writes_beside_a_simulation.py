"""The hall's writes while a what-if plays, on a running demo (docs/simulation.md, "On SQLite: a copy of the
database"): before the copy, on SQLite, each waited for the simulated day's write lock and failed after the
busy timeout (20 s).

    RATE_LIMITS=off VAR_DIR=/tmp/demo PORT=8103 DEMO_HISTORY=off python3 dev.py run &
    VAR_DIR=/tmp/demo .venv/bin/python manage.py issue_token wc_clerk1 --hall wangchuan   # a counter token
    .venv/bin/python bench/writes_beside_a_simulation.py --url http://127.0.0.1:8103 --token KEY

In Chromium, signs in as wc_supervisor and starts a what-if of a day type (played by the demo's simulation
worker); while it plays, one after the other: signs wc_clerk1 in (a session and an audit entry written) and,
with --token, takes a walk-in ticket through the kiosk API. Prints each write's time and answer, and when
the what-if started and ended.

    VAR_DIR=/tmp/demo .venv/bin/python bench/writes_beside_a_simulation.py --url ... --history 3

With --history N, the same writes while the demo hall's kept history plays (`manage.py play_history --days
N`, run here on the demo's database: VAR_DIR as the demo's; start the demo with DEMO_HISTORY=off, so that
the days are still to play), after as many with nothing playing, as the reference.
"""

import argparse
import http.cookiejar
import json
import re
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "demo-pass-2026"
HALL = "wangchuan"


def sign_in(url: str, username: str) -> tuple[float, str]:
    """(seconds, answer) of one sign-in by a new browser session, as a person does it."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{url}/accounts/login/", timeout=60).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD})
    started = time.monotonic()
    try:
        with opener.open(f"{url}/accounts/login/", body.encode(), timeout=60) as answer:
            signed_in = "/accounts/login/" not in answer.url
            return time.monotonic() - started, "signed in" if signed_in else "refused"
    except urllib.error.HTTPError as error:
        return time.monotonic() - started, f"HTTP {error.code}"


def walk_in(url: str, token: str, service: str) -> tuple[float, str]:
    request = urllib.request.Request(
        f"{url}/api/v1/halls/{HALL}/tickets",
        data=json.dumps({"service": service}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - the demo on loopback
            return time.monotonic() - started, f"HTTP {answer.status} {json.load(answer).get('number')}"
    except urllib.error.HTTPError as error:
        return time.monotonic() - started, f"HTTP {error.code} {json.load(error).get('error')}"


def writes(args) -> list:
    """The writes tried once each: a sign-in, and with --token a walk-in ticket."""
    found = [("sign-in", lambda: sign_in(args.url, "wc_clerk1"))]
    if args.token:
        found.append(("walk-in", lambda: walk_in(args.url, args.token, args.service)))
    return found


def summary(label: str, tried: list[tuple[str, float, str]]) -> None:
    for name in sorted({w[0] for w in tried}):
        times = [s for n, s, _a in tried if n == name]
        good = sum(1 for n, _s, a in tried if n == name and (a == "signed in" or a.startswith("HTTP 201")))
        print(
            f"{label}: {name}: {len(times)} tried, {good} went through; "
            f"median {statistics.median(times):.2f} s, longest {max(times):.2f} s"
        )


def beside_the_history(args) -> None:
    """The writes with nothing playing, then while `play_history --days N` plays on the demo's database."""
    quiet = []
    for _round in range(5):
        for name, write in writes(args):
            seconds, answer = write()
            quiet.append((name, seconds, answer))
    command = [sys.executable, "manage.py", "play_history", "--hall", HALL, "--days", str(args.history)]
    started = time.monotonic()
    playing = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    print(f"history started: {' '.join(command[1:])}")
    tried = []
    while playing.poll() is None:
        for name, write in writes(args):
            seconds, answer = write()
            tried.append((name, seconds, answer))
            print(
                f"  {time.monotonic() - started:6.1f} s into the history: {name} {seconds:5.2f} s, {answer}"
            )
    print(playing.stdout.read().strip())
    print(f"history ended ({playing.returncode}) after {time.monotonic() - started:.1f} s")
    summary("nothing playing", quiet)
    if tried:
        summary("while the history plays", tried)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", help="a counter or device token of the demo hall: walk-in tickets too")
    parser.add_argument("--service", default="id-card-renewal")
    parser.add_argument("--day", default="normal", help="the day type the what-if plays")
    parser.add_argument("--history", type=int, help="play this many past days of the hall, not a what-if")
    args = parser.parse_args()
    if args.history:
        beside_the_history(args)
        return

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_context(base_url=args.url, locale="zh-CN").new_page()
        page.set_default_timeout(60_000)
        page.goto("/accounts/login/")
        page.fill("#id_username", "wc_supervisor")
        page.fill("#id_password", PASSWORD)
        page.locator("main button.primary").click()
        page.wait_for_url(re.compile(rf"/h/{HALL}/reports/$"))
        page.goto(f"/h/{HALL}/reports/what-if/?day={args.day}")
        page.get_by_role("button", name="模拟这一天").click()
        page.wait_for_url(re.compile(r"/what-if/\d+/$"))
        status = page.url + "status.json"
        started = time.monotonic()
        print(f"what-if started: {page.url}")

        tried, state = [], {}
        while True:
            state = page.request.get(status).json()
            elapsed = time.monotonic() - started
            if state.get("state") in ("done", "failed"):
                break
            for name, write in writes(args):
                seconds, answer = write()
                tried.append((name, seconds, answer))
                print(
                    f"  {elapsed:6.1f} s into the what-if ({state.get('progress')} %): {name} "
                    f"{seconds:5.2f} s, {answer}"
                )
        print(f"what-if {state.get('state')} after {time.monotonic() - started:.1f} s")
        summary("while the what-if plays", tried)
        browser.close()


if __name__ == "__main__":
    main()
