"""Refresh docs/screenshots/: each persona's home in zh-hans, from a running demo.

    PORT=8123 python3 dev.py run                                   # in one terminal (demo data seeded)
    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8123  # in another; the default is port 8000

Needs Debian's /usr/bin/chromium and fonts-noto-cjk; signs in with the demo accounts that `dev.py run`
prints. Not run by the tests: the pictures are for readers of the docs, and change with the demo data.
Each PNG is kept under 300 KB (the page is shot at its CSS size, not the screen's pixel density).
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
HALL = "wangchuan"
PASSWORD = "demo-pass-2026"  # noqa: S105 - the demo's, printed by `dev.py run`
LIMIT = 300 * 1024

# name, path, account (None: nobody signed in), viewport
SHOTS = [
    ("citizen-hall", f"/h/{HALL}/", None, (390, 844)),
    ("kiosk", f"/h/{HALL}/kiosk/", None, (1080, 1350)),
    ("board", f"/h/{HALL}/board/", None, (1920, 1080)),
    ("console", "/console/", "wc_clerk1", (1366, 768)),
    ("supervisor-dashboard", f"/h/{HALL}/reports/", "wc_supervisor", (1366, 768)),
]


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state("networkidle")


def shoot(browser, base: str, name: str, path: str, account: str | None, size: tuple[int, int]) -> Path:
    context = browser.new_context(locale="zh-CN", viewport={"width": size[0], "height": size[1]})
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": base}])
    page = context.new_page()
    if account:
        sign_in(page, base, account)
    page.goto(base + path)
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready")
    if name == "board":
        page.mouse.click(2, 2)  # the hall's operator turns the sound on: the prompt goes
        page.wait_for_timeout(300)
    target = OUT / f"{name}.png"
    page.screenshot(path=str(target), scale="css")
    context.close()
    if target.stat().st_size > LIMIT:
        print(f"warning: {target.name} is {target.stat().st_size // 1024} KB (over 300 KB)", file=sys.stderr)
    return target


def main() -> int:
    base = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000").rstrip("/")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        for name, path, account, size in SHOTS:
            target = shoot(browser, base, name, path, account, size)
            print(f"{target.relative_to(ROOT)}  {target.stat().st_size // 1024} KB")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
