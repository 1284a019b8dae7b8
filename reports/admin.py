from django.contrib import admin

from reports.models import FollowUp, FollowUpNote, Rating, ReportSettings


@admin.register(ReportSettings)
class ReportSettingsAdmin(admin.ModelAdmin):
    list_display = ["hall", "target_wait_minutes", "service_level_percent", "history_weeks"]


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["ticket", "hall", "service", "counter", "score", "date", "published"]
    list_filter = ["hall", "score", "published"]
    readonly_fields = [
        "ticket",
        "hall",
        "service",
        "counter",
        "staff",
        "date",
        "score",
        "comment",
        "created_at",
    ]


class FollowUpNoteInline(admin.TabularInline):
    model = FollowUpNote
    extra = 0
    readonly_fields = ["author", "from_state", "to_state", "text", "at"]
    can_delete = False


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["rating", "hall", "state", "call_back_by", "resolve_by"]
    list_filter = ["hall", "state"]
    readonly_fields = ["rating", "hall", "opened_at", "called_back_at", "resolved_at", "closed_at"]
    inlines = [FollowUpNoteInline]
