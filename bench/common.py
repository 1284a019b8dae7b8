"""What the benchmarks share: the production-like server environment, scratch databases, Django set-up, and
CPU readings from /proc. Scripts import it as `bench.common` after putting the project on sys.path."""

import logging
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def server_env(database_url: str, redis_url: str, var_dir: str, **extra: str) -> dict:
    """The environment of a server run as in production, with the anti-abuse limits off (loopback load)."""
    return {
        **os.environ,
        "DEPLOYMENT": "production",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "ID_NUMBER_HMAC_KEY": "bench-only-hmac-key",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "off",
        "SECURE_HSTS_SECONDS": "0",
        # Plain http on loopback: cookies must not be HTTPS-only, and staff clients sign in with a password.
        "SECURE_COOKIES": "off",
        "STAFF_OTP_REQUIRED": "off",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "RATE_LIMITS": "off",
        "VAR_DIR": var_dir,
        "DJANGO_SETTINGS_MODULE": "hall.settings",
        **extra,
    }


def side_by_side_env(name: str, redis_db: int, **extra: str) -> tuple[dict, dict]:
    """The environments of Chuangkou's server and the floor's (bench/baseline) for a benchmark that runs
    both: scratch databases BENCH_DATABASE_URL and BASELINE_DATABASE_URL (by default ck_`name` and
    ck_`name`_floor on 127.0.0.1), Redis BENCH_REDIS_URL (by default database `redis_db`, emptied now: not
    12, province_day's, nor 13, the CI tests'), and a new temporary folder for VAR_DIR and the logs."""
    database_url = os.environ.get("BENCH_DATABASE_URL", f"postgres://root@127.0.0.1:5432/ck_{name}")
    floor_url = os.environ.get("BASELINE_DATABASE_URL", f"postgres://root@127.0.0.1:5432/ck_{name}_floor")
    redis_url = os.environ.get("BENCH_REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}")
    env = server_env(database_url, redis_url, tempfile.mkdtemp(prefix=f"ck-{name}-"), **extra)
    floor = {**env, "DJANGO_SETTINGS_MODULE": "bench.baseline.settings", "BASELINE_DATABASE_URL": floor_url}
    empty_redis(env)
    return env, floor


def clean_up(env: dict, floor_env: dict, keep: bool = False) -> None:
    """After a side-by-side run: this process's Django connections closed, both scratch databases dropped
    (unless `keep`), Redis emptied."""
    if "django" in sys.modules and sys.modules["django"].apps.apps.ready:
        from django.db import connections

        connections.close_all()
    if not keep:
        drop_database(env["DATABASE_URL"])
        drop_database(floor_env["BASELINE_DATABASE_URL"])
    empty_redis(env)


def empty_redis(env: dict) -> None:
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()


def admin_url(database_url: str) -> tuple[str, str]:
    """(the maintenance database's URL, the database's name)."""
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def drop_database(database_url: str) -> None:
    import psycopg

    url, name = admin_url(database_url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def recreate_database(database_url: str) -> None:
    import psycopg

    drop_database(database_url)
    url, name = admin_url(database_url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(env: dict) -> None:
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)


def cpu_seconds(*pids: int) -> float:
    """User + system CPU seconds of these processes so far (ended ones count nothing)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, own + reaped children's CPU ticks, command name) of every process."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        # utime, stime, cutime (children waited for), cstime
        found[int(stat.parent.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]), name)
    return found


def tree_cpu_seconds(*roots: int) -> float:
    """CPU seconds of these processes and all their descendants, those that already ended and were waited
    for included (a parent's cutime/cstime hold them), so that replaced workers are counted."""
    processes = _processes()
    kids: dict[int, list[int]] = {}
    for pid, (parent, _ticks, _name) in processes.items():
        kids.setdefault(parent, []).append(pid)
    total, todo = 0, [pid for pid in roots if pid in processes]
    while todo:
        pid = todo.pop()
        total += processes[pid][1]
        todo += kids.get(pid, [])
    return total / os.sysconf("SC_CLK_TCK")


def postmasters() -> list[int]:
    """The PostgreSQL servers: postgres processes whose parent is not one."""
    processes = _processes()
    return [
        pid
        for pid, (parent, _ticks, name) in processes.items()
        if name.startswith("postgres") and not processes.get(parent, (0, 0, ""))[2].startswith("postgres")
    ]


def children(pid: int) -> list[int]:
    return [child for child, (parent, _ticks, _name) in _processes().items() if parent == pid]


def web_command(
    server: str, port: int, workers: int = 1, app: str = "hall.wsgi:application", root: Path = ROOT
) -> list[str]:
    """The production web server on 127.0.0.1:`port`: "gunicorn" (WSGI, deploy/gunicorn.conf.py: pages and
    the API) or "uvicorn" (ASGI: what the event streams need, and everything in development). Under
    gunicorn, `app` is the WSGI application and `root` the tree whose deploy/gunicorn.conf.py it runs with
    (another build's, bench/web_ab.py; run it with `root` as its working folder)."""
    if server == "gunicorn":
        config = str(root / "deploy" / "gunicorn.conf.py")
        return [PY, "-m", "gunicorn", "-c", config, "-b", f"127.0.0.1:{port}", "-w", str(workers), app]
    if server == "uvicorn":
        command = [PY, "-m", "uvicorn", "hall.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
        return command + ["--workers", str(workers), "--no-access-log", "--timeout-keep-alive", "60"]
    raise ValueError(f"unknown server {server!r}")


def free_port() -> int:
    """A TCP port on loopback that nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DatabaseCpu:
    """The CPU of the PostgreSQL backends serving one database, apart from the other databases' work on a
    shared machine (tree_cpu_seconds(*postmasters()) counts every backend): the backends connected at the
    start and at the end of a phase are read, so that one which ended in between is not counted (the
    servers keep their connections: a pool, or persistent connections), nor the shared writers (WAL,
    checkpoints)."""

    def __init__(self, database_url: str):
        self.admin, self.name = admin_url(database_url)

    def backends(self) -> dict[int, float]:
        import psycopg

        for attempt in range(20):  # a shared server may be out of connections for a moment
            try:
                with psycopg.connect(self.admin, autocommit=True) as conn:
                    query = "SELECT pid FROM pg_stat_activity WHERE datname = %s"
                    rows = conn.execute(query, [self.name]).fetchall()
                return {pid: cpu_seconds(pid) for (pid,) in rows}
            except psycopg.OperationalError:
                if attempt == 19:
                    raise
                time.sleep(0.5)
        return {}

    def since(self, before: dict[int, float]) -> float:
        """CPU seconds of the database's backends since `before` (a reading of `backends`)."""
        return sum(seconds - before.get(pid, 0.0) for pid, seconds in self.backends().items())
