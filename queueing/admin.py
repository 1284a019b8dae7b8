from django.contrib import admin

from queueing.models import CounterSession, QueueRules, Ticket, TicketEvent, TicketMatter, WalkInQuota


@admin.register(QueueRules)
class QueueRulesAdmin(admin.ModelAdmin):
    list_display = ["hall", "early_minutes", "appointments_per_walk_in", "recall_limit"]


@admin.register(WalkInQuota)
class WalkInQuotaAdmin(admin.ModelAdmin):
    list_display = ["service", "per_day", "per_hour"]
    list_filter = ["service__hall"]


@admin.register(CounterSession)
class CounterSessionAdmin(admin.ModelAdmin):
    list_display = ["counter", "state", "user", "changed_at"]
    readonly_fields = ["counter", "state", "user", "calls_since_walk_in", "changed_at"]


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_state", "to_state", "counter", "actor", "source", "note", "at"]


class TicketMatterInline(admin.TabularInline):
    model = TicketMatter
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "position",
        "service",
        "state",
        "outcome",
        "counter",
        "served_by",
        "queued_at",
        "called_at",
        "started_at",
        "ended_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only: tickets change through the queue services, which keep the audit trail."""

    list_display = ["number", "service", "date", "kind", "state", "counter", "issued_at"]
    list_filter = ["hall", "state", "kind", "date"]
    search_fields = ["number"]
    exclude = ["token", "id_hash", "phone", "phone_hash"]
    inlines = [TicketMatterInline, TicketEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude] + ["missing"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
