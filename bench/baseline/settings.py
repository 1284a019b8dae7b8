"""Settings of the floor app: no middleware, one persistent connection per worker, nothing else."""

import os
from urllib.parse import urlsplit

_db = urlsplit(os.environ.get("BASELINE_DATABASE_URL", "postgres://root@127.0.0.1:5432/ck_floor_base"))

SECRET_KEY = "floor-only"  # noqa: S105 - a benchmark on loopback
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["bench.baseline"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.baseline.urls"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _db.path.lstrip("/"),
        "USER": _db.username or "",
        "HOST": _db.hostname or "",
        "PORT": _db.port or 5432,
        "CONN_MAX_AGE": None,
    }
}
