from django.contrib import admin, messages
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import ngettext

from appointments.closures import notify_closure
from appointments.models import (
    Booking,
    BookingEvent,
    BookingMatter,
    BookingRules,
    CapacityOverride,
    Slot,
    WaitlistEntry,
)
from appointments.services import Actor
from hall.admin import HallAdmin
from hall.models import Closure, Hall
from hall.net import client_ip


@admin.register(BookingRules)
class BookingRulesAdmin(admin.ModelAdmin):
    list_display = ["hall", "horizon_days", "release_time", "min_notice_minutes", "cancel_release_minutes"]


@admin.register(CapacityOverride)
class CapacityOverrideAdmin(admin.ModelAdmin):
    list_display = ["service", "date", "capacity"]
    list_filter = ["service__hall"]
    date_hierarchy = "date"


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["service", "start", "end", "capacity", "taken", "held_back", "taken_held_back", "closed"]
    list_filter = ["hall", "service", "closed"]
    date_hierarchy = "date"
    readonly_fields = ["taken", "taken_held_back"]


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_state", "to_state", "note", "actor", "source", "ip", "at"]


class BookingMatterInline(admin.TabularInline):
    model = BookingMatter
    extra = 0
    can_delete = False
    fields = readonly_fields = ["position", "service", "slot", "uses_held_back"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Read-only: bookings change through the booking services, which keep capacity and the audit trail."""

    list_display = ["code", "service", "slot", "persons", "state", "name_masked", "phone_masked", "channel"]
    list_filter = ["hall", "state", "channel", "green_channel"]
    search_fields = ["code"]
    inlines = [BookingMatterInline, BookingEventInline]
    exclude = ["name", "phone", "phone_hash", "id_hash", "manage_token"]
    readonly_fields = [
        "code",
        "hall",
        "service",
        "slot",
        "persons",
        "state",
        "name_masked",
        "phone_masked",
        "id_masked",
        "green_channel",
        "green_note",
        "language",
        "channel",
        "created_by",
        "created_at",
        "cancelled_at",
        "uses_held_back",
        "erased_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ["service", "date", "state", "created_at"]
    list_filter = ["hall", "state"]
    exclude = ["phone", "token"]
    readonly_fields = ["hall", "service", "date", "state", "offered_slot", "booking", "language"]

    def has_add_permission(self, request):
        return False


def _lazy_reason(closure: Closure):
    # Read when the message is rendered, in the citizen's language (the reason field is translated).
    return lazy(lambda: closure.reason, str)()


def _closures_saved(formsets) -> list[Closure]:
    saved = []
    for formset in formsets:
        if formset.model is Closure:
            saved += list(formset.new_objects) + [obj for obj, _changed in formset.changed_objects]
    return saved


admin.site.unregister(Hall)


@admin.register(Hall)
class HallWithClosureNoticesAdmin(HallAdmin):
    """Saving a closure tells the citizens booked for that time, with a link to choose another.

    Done here rather than in hall/admin.py, which must not import the apps above hall, nor in the outbox
    (notifications), which knows no bookings; the notices are recorded in the admin's transaction, after
    the closure rows are saved.
    """

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        today = form.instance.local_date(timezone.now())
        actor = Actor("staff", user=request.user, ip=client_ip(request))
        for closure in _closures_saved(formsets):
            if closure.date < today:
                continue
            told = notify_closure(
                hall=form.instance,
                date=closure.date,
                start=closure.start,
                end=closure.end,
                reason=_lazy_reason(closure),
                actor=actor,
            )
            if told:
                self.message_user(
                    request,
                    ngettext(
                        "Closure on %(date)s: %(count)s citizen with a booking will be told by SMS.",
                        "Closure on %(date)s: %(count)s citizens with bookings will be told by SMS.",
                        told,
                    )
                    % {"date": closure.date.isoformat(), "count": told},
                    messages.WARNING,
                )
