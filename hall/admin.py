from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from hall import audit, enrolment_codes, services
from hall.models import (
    ApiToken,
    AuditAction,
    AuditEntry,
    Closure,
    Counter,
    ExtraSession,
    Hall,
    HolidaySchedule,
    Material,
    Notice,
    Service,
    Staff,
    WeeklySession,
)


class OwnHallAdmin:
    """Administrators (superusers) see every hall; a supervisor sees and changes only their own hall's rows
    (the hall itself, its services, counters, notices, tokens), and staff without a hall see none."""

    hall_field = "hall_id"

    def _own_hall_id(self, request):
        staff = getattr(request.user, "staff", None)
        return None if request.user.is_superuser or staff is None else staff.hall_id

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        hall_id = self._own_hall_id(request)
        return rows.none() if hall_id is None else rows.filter(**{self.hall_field: hall_id})


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
class HallAdmin(OwnHallAdmin, TranslationAdmin):
    hall_field = "pk"
    list_display = ["name", "slug", "address", "max_waiting_inside"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [WeeklySessionInline, ClosureInline, ExtraSessionInline]


class MaterialInline(TranslationTabularInline):
    model = Material
    extra = 0


@admin.register(Service)
class ServiceAdmin(OwnHallAdmin, TranslationAdmin):
    list_display = ["prefix", "name", "hall", "average_handling_minutes", "bookable", "by_video", "active"]
    list_filter = ["hall", "bookable", "by_video", "active"]
    search_fields = ["name_zh_hans", "name_en", "code"]
    inlines = [MaterialInline]


@admin.register(Counter)
class CounterAdmin(OwnHallAdmin, TranslationAdmin):
    list_display = ["number", "label", "hall", "kind", "active"]
    list_filter = ["hall", "kind", "active"]
    filter_horizontal = ["services"]


class NoticeForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        hall, chosen = data.get("hall"), data.get("services")
        if hall and chosen and any(service.hall_id != hall.pk for service in chosen):
            self.add_error("services", _("Choose only services of the notice's hall."))
        return data


@admin.register(Notice)
class NoticeAdmin(OwnHallAdmin, TranslationAdmin):
    """Administrators publish for any hall; a supervisor (with the notice permissions of the role) only for
    their own."""

    form = NoticeForm
    list_display = ["title", "hall", "valid_from", "valid_until"]
    list_filter = ["hall"]
    search_fields = ["title_zh_hans", "title_en"]
    filter_horizontal = ["services"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        hall_id = self._own_hall_id(request)
        if db_field.name == "hall" and hall_id is not None:
            kwargs["queryset"] = Hall.objects.filter(pk=hall_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        hall_id = self._own_hall_id(request)
        if db_field.name == "services" and hall_id is not None:
            kwargs["queryset"] = Service.objects.filter(hall_id=hall_id)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class StaffInline(admin.StackedInline):
    model = Staff
    can_delete = True
    extra = 0


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [StaffInline]
    actions = ["issue_enrolment_code", "reset_second_factor"]

    @admin.action(description=_("Issue an enrolment code for two-step sign-in"), permissions=["change"])
    def issue_enrolment_code(self, request, queryset):
        """A new staff member (or one whose code expired) needs a code before they can set up an app."""
        self._issue_codes(request, list(queryset), "")

    @admin.action(
        description=_("Reset two-step sign-in (set up again at the next sign-in)"), permissions=["change"]
    )
    def reset_second_factor(self, request, queryset):
        """Recovery for a lost or replaced phone: the user's authenticator devices are deleted (any session
        verified with the old one must enter a code again) and a new enrolment code is issued, which the user
        needs to set up an app again."""
        users = list(queryset)
        with_devices = set(queryset.filter(totpdevice__isnull=False).values_list("pk", flat=True))
        TOTPDevice.objects.filter(user__in=users).delete()
        for user in users:
            if user.pk not in with_devices:
                continue
            self.log_change(request, user, "Reset two-step sign-in")
            audit.record_request(request, action=AuditAction.OTP_RESET, hall=audit.staff_hall(user), obj=user)
        self.message_user(
            request,
            _("Two-step sign-in reset for %(count)s user(s): they set it up again at their next sign-in.")
            % {"count": len(with_devices)},
            messages.SUCCESS,
        )
        self._issue_codes(request, users, " after a reset")

    def _issue_codes(self, request, users, how: str) -> None:
        """Issue a code for each active user and show the codes once (only their HMAC is kept)."""
        shown = []
        for user in users:
            if not user.is_active:
                continue
            code = enrolment_codes.issue(user, by=request.user, ip=audit.client_ip(request), how=how)
            self.log_change(request, user, "Issued an enrolment code")
            shown.append(f"{user.get_username()}: {code}")
        if not shown:
            self.message_user(
                request, _("No enrolment code issued: the users are not active."), messages.ERROR
            )
            return
        self.message_user(
            request,
            _(
                "Enrolment codes, valid %(hours)s h and once each: %(codes)s. Give each code to its user in "
                "person; it is shown only now."
            )
            % {"hours": settings.ENROLMENT_CODE_HOURS, "codes": "; ".join(shown)},
            messages.WARNING,
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.sync_staff_groups(user=form.instance)


@admin.register(ApiToken)
class ApiTokenAdmin(OwnHallAdmin, admin.ModelAdmin):
    list_display = [
        "name",
        "hall",
        "user",
        "scope",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["hall", "scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    # Administrators see every hall's tokens; a supervisor sees and revokes their own hall's only.
    def _is_supervisor(self, request, obj=None) -> bool:
        staff = getattr(request.user, "staff", None)
        if request.user.is_superuser or staff is None or not staff.is_supervisor:
            return False
        return obj is None or obj.hall_id == staff.hall_id

    def get_list_filter(self, request):
        return self.list_filter if self._own_hall_id(request) is None else self.list_filter[1:]

    def has_module_permission(self, request):
        return super().has_module_permission(request) or self._is_supervisor(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or self._is_supervisor(request, obj)

    def has_change_permission(self, request, obj=None):  # revoking is a change
        return super().has_change_permission(request, obj) or self._is_supervisor(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if self._is_supervisor(request):
            return ["name", "hall", "user", "scope", "expires_at", *self.readonly_fields]
        # A token's hall, user, scope and expiry are fixed when it is issued: issue a new one rather than
        # change them.
        return self.readonly_fields + (["hall", "user", "scope", "expires_at"] if obj else [])

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key = obj.set_new_key()
        super().save_model(request, obj, form, change)
        detail = f"{obj.prefix} {obj.scope} until {obj.expires_at:%Y-%m-%d}"
        audit.record_request(request, action=AuditAction.TOKEN_ISSUED, hall=obj.hall, obj=obj, detail=detail)
        self.message_user(
            request,
            _("The key of “%(name)s” is %(key)s. Copy it now: it is kept only as a hash and not shown again.")
            % {"name": obj.name, "key": key},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke selected API tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True).select_related("hall"))
        count = queryset.revoke(timezone.now())
        for token in tokens:
            self.log_change(request, token, "Revoked")
            audit.record_request(
                request, action=AuditAction.TOKEN_REVOKED, hall=token.hall, obj=token, detail=token.prefix
            )
        self.message_user(request, _("%(count)s token(s) revoked.") % {"count": count}, messages.SUCCESS)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: entries are written by hall.audit. Administrators see every hall, including refused
    sign-ins of unknown names (no hall); supervisors read their hall's log on the audit page."""

    list_display = ["at", "hall", "actor", "action", "object_type", "object_id", "detail", "ip"]
    list_filter = ["action", "hall"]
    date_hierarchy = "at"
    list_select_related = ["hall", "actor"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(HolidaySchedule)
class HolidayScheduleAdmin(admin.ModelAdmin):
    """Entered schedules are listed here; adding or changing one opens the one form (the staff page
    hall:holiday_schedule), which validates and records it in the audit log."""

    list_display = ["year", "entered_by", "entered_at"]
    readonly_fields = ["year", "holidays", "workdays", "entered_by", "entered_at"]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("hall:holiday_schedule", year=timezone.localdate().year + 1)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        entry = self.get_object(request, object_id)
        if entry is None:
            return super().change_view(request, object_id, form_url, extra_context)
        return redirect("hall:holiday_schedule", year=entry.year)

    def has_add_permission(self, request):
        return request.user.is_superuser or getattr(
            getattr(request.user, "staff", None), "is_supervisor", False
        )

    def has_delete_permission(self, request, obj=None):
        return False  # a schedule is corrected in the form, never silently removed
