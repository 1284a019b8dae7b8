from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from hall.services import holiday_schedule_entered
        from notifications import checks  # noqa: F401  (registers the settings checks)
        from notifications.closures import on_holiday_schedule_entered

        holiday_schedule_entered.connect(on_holiday_schedule_entered, dispatch_uid="holiday_closures")
