"""Fields kept in both languages (django-modeltranslation adds name_zh_hans, name_en, ...)."""

from modeltranslation.translator import TranslationOptions, register

from hall.models import Closure, Counter, ExtraSession, Hall, Material, Notice, Service


@register(Hall)
class HallTranslation(TranslationOptions):
    fields = ("name", "address", "notice")


@register(Service)
class ServiceTranslation(TranslationOptions):
    fields = (
        "name",
        "summary",
        "eligibility",
        "fees",
        "time_limit",
        "steps",
        "notes",
        "video_needs",
        "video_questions",
    )


@register(Material)
class MaterialTranslation(TranslationOptions):
    fields = ("name", "note")


@register(Counter)
class CounterTranslation(TranslationOptions):
    fields = ("label",)


@register(Closure)
class ClosureTranslation(TranslationOptions):
    fields = ("reason",)


@register(ExtraSession)
class ExtraSessionTranslation(TranslationOptions):
    fields = ("reason",)


@register(Notice)
class NoticeTranslation(TranslationOptions):
    fields = ("title", "body")
