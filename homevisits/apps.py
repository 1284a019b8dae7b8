from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomevisitsConfig(AppConfig):
    name = "homevisits"
    verbose_name = _("Home visits")
