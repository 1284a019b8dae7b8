from django.contrib import admin

from appointments.models import (
    Booking,
    BookingEvent,
    BookingMatter,
    BookingRules,
    CapacityOverride,
    Slot,
    WaitlistEntry,
)


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
