from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from hall import services
from hall.models import Closure, Counter, ExtraSession, Hall, Material, Service, Staff, WeeklySession


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
