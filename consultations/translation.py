"""Fields kept in both languages (django-modeltranslation adds name_zh_hans, name_en)."""

from modeltranslation.translator import TranslationOptions, register

from consultations.models import EscalationLevel


@register(EscalationLevel)
class EscalationLevelTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = ("zh-hans", "en")
