import secrets

from django.utils import timezone

from queueing.models import Outcome, Ticket, TicketKind, TicketState


def served_ticket(
    service, *, counter=None, booking=None, missing=(), missing_note="", phone="13800138000", n=1
):
    """A ticket completed today at `counter`, as the console leaves it."""
    now = timezone.now()
    ticket = Ticket.objects.create(
        hall=service.hall,
        service=service,
        date=timezone.localdate(),
        sequence=n,
        number=f"{service.prefix}{n:03d}",
        token=secrets.token_urlsafe(16),
        kind=TicketKind.APPOINTMENT if booking else TicketKind.WALK_IN,
        booking=booking,
        state=TicketState.DONE,
        counter=counter,
        outcome=Outcome.MATERIALS_MISSING if (missing or missing_note) else Outcome.DONE,
        missing_note=missing_note,
        phone=phone,
        language="en",
        called_at=now,
        completed_at=now,
    )
    ticket.missing.set(missing)
    return ticket
