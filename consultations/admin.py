from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from consultations.models import (
    CallAttempt,
    CallBack,
    CallBackEvent,
    Consultation,
    Escalation,
    EscalationEvent,
    EscalationLevel,
)


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ["at", "hall", "channel", "service", "topic", "result", "taken_by"]
    list_filter = ["hall", "channel", "result"]
    date_hierarchy = "at"
    readonly_fields = ["hall", "taken_by", "at", "channel", "service", "topic", "result"]

    def has_add_permission(self, request):
        return False  # staff log consultations in the console, through the service


class CallAttemptInline(admin.TabularInline):
    model = CallAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["at", "by", "result"]

    def has_add_permission(self, request, obj=None):
        return False


class CallBackEventInline(admin.TabularInline):
    model = CallBackEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "by", "from_state", "to_state", "from_owner", "to_owner"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CallBack)
class CallBackAdmin(admin.ModelAdmin):
    """Read-only: transitions go through consultations.services (the staff pages), which record them."""

    list_display = ["pk", "hall", "owner", "state", "due_at", "deadline"]
    list_filter = ["hall", "state"]
    exclude = ["mobile", "name"]  # shown masked on the staff pages only
    readonly_fields = [
        "consultation",
        "hall",
        "owner",
        "state",
        "due_at",
        "deadline",
        "done_at",
        "unreachable_at",
    ]
    inlines = [CallAttemptInline, CallBackEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EscalationLevel)
class EscalationLevelAdmin(TranslationAdmin):
    """A hall's chain above the window: names in both languages and working days to answer (a hall without
    levels gets the default chain the first time a question is escalated, consultations.escalation)."""

    list_display = ["hall", "rank", "name", "working_days"]
    list_filter = ["hall"]
    ordering = ["hall", "rank"]


class EscalationEventInline(admin.TabularInline):
    model = EscalationEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "from_state", "to_state", "level", "owner_name", "deadline", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    """Read-only: changes go through consultations.escalation (the staff pages), which records them."""

    list_display = ["pk", "hall", "level", "owner_name", "state", "deadline", "first_taker"]
    list_filter = ["hall", "state"]
    inlines = [EscalationEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
