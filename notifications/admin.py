from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications import services
from notifications.models import Notification
from notifications.timing import segments


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox, read-only. The text is not shown: it holds the citizen's booking code and private link."""

    list_display = [
        "created_at",
        "kind",
        "state",
        "phone_masked",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "hall",
        "last_error",
    ]
    list_filter = ["state", "kind", "hall"]
    search_fields = ["=gateway_id", "=subject_id"]
    date_hierarchy = "created_at"
    list_select_related = ["hall"]
    fields = [
        "hall",
        "kind",
        "subject_type",
        "subject_id",
        "key",
        "phone_masked",
        "language",
        "length",
        "state",
        "attempts",
        "not_before",
        "next_attempt_at",
        "enqueued_at",
        "claimed_at",
        "last_attempt_at",
        "sent_at",
        "gateway_id",
        "idempotency_key",
        "last_error",
        "created_at",
    ]
    readonly_fields = fields
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("notifications.change_notification")

    @admin.display(description=_("mobile"))
    def phone_masked(self, obj):
        return obj.phone_masked

    @admin.display(description=_("length"))
    def length(self, obj):
        return _("%(chars)s characters, %(segments)s SMS") % {
            "chars": len(obj.text),
            "segments": segments(obj.text),
        }

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request, queryset):
        count = services.retry_now(notifications=queryset)
        self.message_user(
            request,
            ngettext("%(count)s message queued again.", "%(count)s messages queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
