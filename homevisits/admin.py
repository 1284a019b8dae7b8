"""Home visits in the admin: to look things up. Changes go through the hall's pages (homevisits.services),
which check the state, lock the slots and tell the citizen; the admin never edits a visit's state."""

from django.contrib import admin

from hall.models import CounterAbsence
from homevisits.models import HomeVisit, HomeVisitEvent


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HomeVisitEventInline(ReadOnlyMixin, admin.TabularInline):
    model = HomeVisitEvent
    fields = ["at", "from_state", "to_state", "actor", "source", "note"]
    readonly_fields = fields
    extra = 0


@admin.register(HomeVisit)
class HomeVisitAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "hall", "service", "state", "created_at", "start"]
    list_filter = ["hall", "state"]
    date_hierarchy = "created_at"
    exclude = ["token", "id_hash", "phone", "person_name", "requester_name", "address", "contact_notes"]
    inlines = [HomeVisitEventInline]


@admin.register(CounterAbsence)
class CounterAbsenceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["counter", "hall", "start", "end", "reason"]
    list_filter = ["hall"]
    date_hierarchy = "start"
