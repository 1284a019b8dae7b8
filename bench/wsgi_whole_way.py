"""hall/wsgi.py without the bearer requests' short way (hall/bearer.py): every request through the whole
middleware, as before issue 20's sixth pass, for bench/web_ab.py to measure what the short way saves under
gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hall.settings")
from hall import admission  # noqa: E402 - needs the settings module named above

application = admission.wsgi(get_wsgi_application())
