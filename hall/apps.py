from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class HallConfig(AppConfig):
    name = "hall"
    verbose_name = _("Service hall")

    def ready(self):
        from hall import services

        post_migrate.connect(services.ensure_role_groups, sender=self)
