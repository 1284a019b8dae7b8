"""gunicorn settings for the pages and the JSON API (WSGI); the event streams run under uvicorn (ASGI).

    gunicorn -c deploy/gunicorn.conf.py hall.wsgi:application

Why two servers: under the ASGI server every synchronous Django view costs a thread hand-off and back,
about 2.7 ms of CPU per request against 0.8 ms under gunicorn's sync workers (bench/RESULTS.md, "Web
server"), and every view but the event stream is synchronous. nginx in front buffers slow clients, so
plain sync workers are safe; they keep one database connection each.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Two per core: a worker waiting on PostgreSQL or Redis leaves its core to another.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
# sync behind nginx, which buffers each request before handing it over. Without such a proxy in front (a
# load test on loopback), a sync worker would sit in recv() on a connection whose client has not sent its
# request yet: then use gthread, whose threads only take connections that have something to read.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", 1 if worker_class == "sync" else 4))
# A sync worker serves one request at a time, so it keeps one database connection of its own from request to
# request (checked at each request by a look at its socket, hall/dbpool.py), as a pool of one would, without
# taking it from a pool and handing it back on every request (issue 20: 0.75 ms of CPU a call-next +
# complete). The workers inherit these from this process; set DATABASE_POOL=on to keep the pool.
if worker_class == "sync":
    os.environ.setdefault("DATABASE_POOL", "off")
    os.environ.setdefault("DATABASE_CONN_MAX_AGE", "600")
timeout = 30
graceful_timeout = 10
keepalive = 5
# Recycle workers now and then, so a slow leak in a dependency cannot grow without bound.
max_requests = 20_000
max_requests_jitter = 2_000
accesslog = None  # nginx logs requests; ours would repeat paths with booking codes in them
errorlog = "-"
