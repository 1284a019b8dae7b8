from django.contrib import admin, messages
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from appointments.services import Actor
from hall.admin import HallAdmin
from hall.models import Closure, Hall
from notifications import services
from notifications.closures import notify_closure
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

    Done here rather than in hall/admin.py, which must not import the apps above hall; the notices are
    recorded in the admin's transaction, after the closure rows are saved.
    """

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        today = form.instance.local_date(timezone.now())
        actor = Actor("staff", user=request.user, ip=request.META.get("REMOTE_ADDR"))
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
