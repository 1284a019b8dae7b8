import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.baseline.settings"  # whatever the environment says
application = get_wsgi_application()
