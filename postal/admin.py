from django.contrib import admin

from postal.models import Pickup, PickupEvent, PostalEvent, PostalItem


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    fields = ("at", "from_state", "to_state", "actor", "source", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PostalEventInline(ReadOnlyInline):
    model = PostalEvent


class PickupEventInline(ReadOnlyInline):
    model = PickupEvent


@admin.register(PostalItem)
class PostalItemAdmin(admin.ModelAdmin):
    """Read-only: states change through the staff pages, which record and notify."""

    list_display = (
        "reference",
        "hall",
        "service",
        "state",
        "origin",
        "state_changed_at",
        "courier",
        "tracking_number",
    )
    list_filter = ("hall", "state", "origin")
    search_fields = ("reference", "tracking_number")
    inlines = [PostalEventInline]
    exclude = ("token", "id_hash", "phone", "recipient_phone")
    readonly_fields = [
        f.name
        for f in PostalItem._meta.fields
        if f.name not in ("token", "id_hash", "phone", "recipient_phone")
    ] + ["phone_masked", "recipient_phone_masked"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Pickup)
class PickupAdmin(admin.ModelAdmin):
    list_display = ("code", "hall", "service", "state", "ready_at", "reminders")
    list_filter = ("hall", "state")
    search_fields = ("code",)
    inlines = [PickupEventInline]
    exclude = ("token", "id_hash", "phone")
    readonly_fields = [f.name for f in Pickup._meta.fields if f.name not in ("token", "id_hash", "phone")] + [
        "phone_masked"
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
