from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from hall import services
from hall.models import (
    ApiToken,
    Closure,
    Counter,
    ExtraSession,
    Hall,
    Material,
    Service,
    Staff,
    WeeklySession,
)


class WeeklySessionInline(admin.TabularInline):
    model = WeeklySession
    extra = 0


class ClosureInline(TranslationTabularInline):
    model = Closure
    extra = 0


class ExtraSessionInline(TranslationTabularInline):
    model = ExtraSession
    extra = 0


@admin.register(Hall)
class HallAdmin(TranslationAdmin):
    list_display = ["name", "slug", "address", "max_waiting_inside"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [WeeklySessionInline, ClosureInline, ExtraSessionInline]


class MaterialInline(TranslationTabularInline):
    model = Material
    extra = 0


@admin.register(Service)
class ServiceAdmin(TranslationAdmin):
    list_display = ["prefix", "name", "hall", "average_handling_minutes", "bookable", "active"]
    list_filter = ["hall", "bookable", "active"]
    search_fields = ["name_zh_hans", "name_en", "code"]
    inlines = [MaterialInline]


@admin.register(Counter)
class CounterAdmin(TranslationAdmin):
    list_display = ["number", "label", "hall", "active"]
    list_filter = ["hall", "active"]
    filter_horizontal = ["services"]


class StaffInline(admin.StackedInline):
    model = Staff
    can_delete = True
    extra = 0


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [StaffInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.sync_staff_groups(user=form.instance)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "hall", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["hall", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # A token's scope is fixed when it is issued: issue a new one rather than move it.
        return self.readonly_fields + (["hall", "user"] if obj else [])

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key = obj.set_new_key()
        super().save_model(request, obj, form, change)
        self.message_user(
            request,
            _("The key of “%(name)s” is %(key)s. Copy it now: it is kept only as a hash and not shown again.")
            % {"name": obj.name, "key": key},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke selected API tokens"))
    def revoke(self, request, queryset):
        count = queryset.revoke(timezone.now())
        self.message_user(request, _("%(count)s token(s) revoked.") % {"count": count}, messages.SUCCESS)
