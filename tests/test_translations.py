"""The zh-hans catalogue: complete, and the right word in the right sense."""

import importlib.util
from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def load_script():
    spec = importlib.util.spec_from_file_location("translations_script", ROOT / "scripts" / "translations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_zh_hans_catalogue_has_no_empty_or_fuzzy_entry():
    po = polib.pofile(str(PO))

    empty = [e.msgid for e in po if not e.obsolete and not e.translated()]
    fuzzy = [e.msgid for e in po if not e.obsolete and "fuzzy" in e.flags]

    assert empty == []
    assert fuzzy == []
    assert load_script().untranslated() == []  # what CI's `scripts/translations.py check` runs


def test_compiled_catalogue_is_the_current_one():
    po = polib.pofile(str(PO))
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(PO.with_suffix(".mo")))}

    stale = [e.msgid for e in po if not e.obsolete and compiled.get((e.msgctxt, e.msgid)) != e.msgstr]

    assert stale == []


@pytest.mark.parametrize(
    ("context", "english", "chinese"),
    [
        ("things to heed, in a service guide", "Notes", "注意事项"),
        ("difference from the previous period", "Change", "变化"),
        ("what was changed, in a log", "Change", "变更内容"),
        ("number of tickets issued", "Issued", "取号数"),
        ("items not yet finished", "Open", "未办结"),
        ("time of a home visit", "Visit", "上门时间"),
    ],
)
def test_word_with_two_senses_reads_right_in_each(context, english, chinese):
    with translation.override("zh-hans"):
        assert translation.pgettext(context, english) == chinese


def test_change_as_a_verb_still_reads_as_edit():
    with translation.override("zh-hans"):
        assert translation.gettext("Change") == "修改"
        assert translation.gettext("Notes") == "记录"
