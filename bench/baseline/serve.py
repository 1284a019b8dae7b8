"""Serving the floor app as Chuangkou is served: its scratch database, and the web server that the benchmarks
start for either (`Server`)."""

import subprocess
import time
from pathlib import Path

import httpx
import psycopg

from bench.common import PY, ROOT, free_port, recreate_database, web_command


def set_up(env: dict, places: int, tickets: int) -> list[int]:
    """The floor's database (BASELINE_DATABASE_URL in `env`), made anew: 20 arrival windows of `places`
    places and `tickets` waiting tickets. Returns the windows' ids."""
    database_url = env["BASELINE_DATABASE_URL"]
    recreate_database(database_url)
    migrate = [PY, "-m", "django", "migrate", "--run-syncdb", "-v", "0"]
    subprocess.run(
        migrate, cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "bench.baseline.settings"}, check=True
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO baseline_slot (capacity, taken) SELECT %s, 0 FROM generate_series(1, 20)", [places]
        )
        conn.execute(
            "INSERT INTO baseline_ticket (state) SELECT 'waiting' FROM generate_series(1, %s)", [tickets]
        )
        return [row[0] for row in conn.execute("SELECT id FROM baseline_slot ORDER BY id")]


def reset(env: dict) -> None:
    """Every place free again, no booking."""
    with psycopg.connect(env["BASELINE_DATABASE_URL"], autocommit=True) as conn:
        conn.execute("TRUNCATE baseline_booking")
        conn.execute("UPDATE baseline_slot SET taken = 0")


class Server:
    """A production web server (`web_command`) with `env`, for the length of a `with`; `base` is its address.
    By default gunicorn (deploy/gunicorn.conf.py, `workers` sync workers) serving `app` (a WSGI path) on a
    free port; `server="uvicorn"`: Chuangkou's ASGI application, `workers` uvicorn workers; `port`: this
    one. `root`: the tree it runs from (its code and its gunicorn configuration), by default this one."""

    def __init__(
        self,
        app: str,
        env: dict,
        workers: int,
        log: Path,
        root: Path = ROOT,
        server: str = "gunicorn",
        port: int | None = None,
    ):
        self.app, self.env, self.workers, self.log, self.root = app, env, workers, log, root
        self.server, self.port = server, port

    def __enter__(self):
        self.port = self.port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = web_command(self.server, self.port, self.workers, self.app, self.root)
        self.process = subprocess.Popen(
            command, cwd=self.root, env=self.env, stdout=self.log.open("w"), stderr=subprocess.STDOUT
        )
        return self

    def wait_until_up(self, path: str) -> None:
        for _ in range(300):
            if self.process.poll() is not None:
                raise SystemExit(f"the server stopped; see {self.log}")
            try:
                if httpx.get(self.base + path, timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"the server did not answer within 30 s; see {self.log}")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=15)
