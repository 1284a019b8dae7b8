import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hall.settings")
# A request that waited too long for this worker is refused before Django sees it (hall/admission.py); an
# API request with a bearer token and no cookie takes a shorter way through the middleware (hall/bearer.py).
from hall import admission, bearer  # noqa: E402 - needs the settings module named above

application = admission.wsgi(bearer.wsgi(get_wsgi_application()))
