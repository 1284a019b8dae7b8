"""Start-up checks of the hall's network settings."""

from django.conf import settings
from django.core import checks

NO_PROXIES = (
    "TRUSTED_PROXIES is empty in production: behind nginx every citizen then has the proxy's address, so one "
    "busy citizen's limits (SMS codes, bookings, sign-in) stop everyone. Set it to the nginx hosts."
)


@checks.register(checks.Tags.security, deploy=True)
def trusted_proxies(app_configs, **kwargs):
    if settings.PRODUCTION and not settings.TRUSTED_PROXIES:
        return [checks.Warning(NO_PROXIES, id="hall.W001")]
    return []
