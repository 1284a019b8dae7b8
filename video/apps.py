from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VideoConfig(AppConfig):
    name = "video"
    verbose_name = _("Video appointments")

    def ready(self):
        from notifications import registry
        from video import signalling

        # Signalling messages hold the browsers' network addresses: gone minutes after the call.
        registry.periodic("video_signals", signalling.purge)
