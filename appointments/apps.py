from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = _("Appointments")

    def ready(self):
        from appointments import closures, holds, housekeeping, reminders
        from hall.services import holiday_schedule_entered
        from notifications import registry

        # The outbox's sweep runs the bookings' periodic work; the reminders first, so that they are
        # enqueued in the same sweep (notifications/registry.py).
        registry.periodic("reminders", reminders.record_due, before_enqueue=True)
        registry.periodic("no_shows", housekeeping.mark_no_shows)
        registry.periodic("released", holds.release_due_places)
        registry.still_applies("booking", reminders.still_applies)
        holiday_schedule_entered.connect(
            closures.on_holiday_schedule_entered, dispatch_uid="holiday_closures"
        )
