from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from webhooks import outbox
from webhooks.models import Delivery, EventType, PersonalField, Subscriber, SubscriberKind, new_secret

SECRET_SHOWN_ONCE = _(
    "The secret of “%(name)s” is %(secret)s. Copy it now into the receiving system: it is not shown again."
)


class SubscriberForm(forms.ModelForm):
    url = forms.URLField(
        label=_("address"),
        max_length=500,
        assume_scheme="https",
        help_text=_("http or https; redirects are not followed."),
    )
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("A province platform gets ratings and closed follow-up cases, whatever is ticked."),
    )
    fields = forms.MultipleChoiceField(
        label=_("personal data sent"),
        choices=PersonalField.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None by default. The ID number is never sent; the mobile only masked."),
    )

    class Meta:
        model = Subscriber
        fields = [
            "hall",
            "name",
            "kind",
            "url",
            "events",
            "fields",
            "enabled",
            "app_id",
            "hall_code",
            "service_codes",
            "report_within_hours",
        ]

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(_("Enter an http or https address."))
        return url

    def clean(self):
        data = super().clean()
        if data.get("kind") != SubscriberKind.PROVINCE and not data.get("events"):
            self.add_error("events", _("Choose at least one event."))
        if not isinstance(data.get("service_codes") or {}, dict):
            self.add_error("service_codes", _("Enter the codes as a JSON object."))
        return data


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    form = SubscriberForm
    list_display = ["name", "hall", "kind", "url", "enabled", "created_at"]
    list_filter = ["enabled", "kind", "hall"]
    actions = ["new_secrets"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        outbox.forget_subscribers()
        if not change:
            self._show_secret(request, obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        outbox.forget_subscribers()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        outbox.forget_subscribers()

    def _show_secret(self, request, subscriber):
        self.message_user(
            request,
            SECRET_SHOWN_ONCE % {"name": subscriber.name, "secret": subscriber.secret},
            messages.WARNING,
        )

    @admin.action(description=_("Generate a new secret"), permissions=["change"])
    def new_secrets(self, request, queryset):
        for subscriber in queryset:
            subscriber.secret = new_secret()
            subscriber.save(update_fields=["secret"])
            self._show_secret(request, subscriber)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The webhooks' outbox, read-only but for "send again"."""

    list_display = ["created_at", "event", "subscriber", "state", "attempts", "next_try_at", "last_status"]
    list_filter = ["state", "event", "subscriber__hall", "subscriber"]
    list_select_related = ["subscriber"]
    date_hierarchy = "created_at"
    fields = [
        "subscriber",
        "event",
        "state",
        "attempts",
        "created_at",
        "next_try_at",
        "sent_at",
        "last_status",
        "last_error",
        "payload",
    ]
    readonly_fields = fields
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_send_again_permission(self, request):
        return request.user.has_perm("webhooks.change_delivery")

    @admin.action(description=_("Send again"), permissions=["send_again"])
    def send_again(self, request, queryset):
        count = outbox.send_again(delivery_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            _("Deliveries to be sent again: %(count)s") % {"count": count},
            messages.SUCCESS,
        )
