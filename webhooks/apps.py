from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from django.db.models.signals import post_save

        from appointments.models import BookingEvent
        from notifications import registry
        from queueing.models import TicketEvent
        from webhooks import events, outbox

        # The lower apps record every change as an event row in the change's own transaction; reading those
        # rows as they are saved needs no change in the apps that may not import this one (docs/decisions.md).
        post_save.connect(events.on_booking_event, sender=BookingEvent, dispatch_uid="webhooks_booking")
        post_save.connect(events.on_ticket_event, sender=TicketEvent, dispatch_uid="webhooks_ticket")
        registry.periodic("webhooks", outbox.enqueue_due)
