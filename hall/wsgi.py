import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hall.settings")
# A request that waited too long for this worker is refused before Django sees it (hall/admission.py).
from hall import admission  # noqa: E402 - needs the settings module named above

application = admission.wsgi(get_wsgi_application())
