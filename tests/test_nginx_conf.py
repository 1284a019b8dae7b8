"""deploy/nginx.conf as production loads it: nginx accepts it, and its access log keeps no citizen's secret.

It runs Debian's nginx (CI installs it) on free loopback ports, with a throw-away certificate, and sends it
requests whose paths carry a booking's manage token, a ticket token, a booking code in the API and a
screen's pairing secret; the upstream is not running, so each answer is a 502, logged like any other.
"""

import http.client
import re
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SECRET = "Zq7SECRETtoken0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def nginx(tmp_path):
    if not Path(NGINX).exists():
        unavailable("nginx is not installed (apt-get install nginx-light)")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=hall"]
        + ["-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True,
        capture_output=True,
    )
    http_port, https_port = _free_port(), _free_port()
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = re.sub(r"listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl", site)
    site = site.replace("/etc/ssl/chuangkou/fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace("/etc/ssl/chuangkou/privkey.pem", str(tmp_path / "key.pem"))
    site = site.replace("/var/log/nginx/chuangkou.log", str(tmp_path / "access.log"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\ndaemon off;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path};\n  proxy_temp_path {tmp_path};\n"
        f"  include {tmp_path}/site.conf;\n}}\n"
    )
    config = str(tmp_path / "nginx.conf")
    checked = subprocess.run([NGINX, "-t", "-c", config], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    server = subprocess.Popen([NGINX, "-c", config], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", https_port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield https_port, tmp_path / "access.log"
    server.terminate()
    server.wait(timeout=10)


def _get(port: int, path: str) -> int:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    connection.request("GET", path, headers={"Host": "hall.example.gov.cn"})
    status = connection.getresponse().status
    connection.close()
    return status


@pytest.mark.parametrize(
    "path, logged",
    [
        (f"/booking/{SECRET}/cancel/?phone=13800138000", "/booking/*/cancel/"),
        (f"/t/{SECRET}/", "/t/*/"),
        (f"/h/north/kiosk/t/{SECRET}/", "/h/north/kiosk/t/*/"),
        (f"/h/north/screen/kiosk/link/{SECRET}/", "/h/north/screen/kiosk/link/*/"),
        (f"/api/v1/bookings/{SECRET}/lookup", "/api/v1/bookings/*/lookup"),
        (f"/v/{SECRET}/", "/v/*/"),
        ("/h/north/services/", "/h/north/services/"),
    ],
)
def test_the_access_log_masks_the_secrets_in_paths(nginx, path, logged):
    port, log = nginx

    status = _get(port, path)

    time.sleep(0.2)  # nginx writes the line after the answer
    text = log.read_text()
    assert status == 502  # no app behind it here
    assert f'"GET {logged}" 502' in text
    assert SECRET not in text and "13800138000" not in text
