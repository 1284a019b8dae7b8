from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueueingConfig(AppConfig):
    name = "queueing"
    verbose_name = _("Queue")

    def ready(self):
        from hall import home_sections
        from queueing import waiting_now

        home_sections.register(waiting_now.home_section)
