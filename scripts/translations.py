"""Keep locale/zh_Hans in step with the code, without GNU gettext at run time.

python scripts/translations.py extract  # makemessages (needs GNU gettext); merge locale/fragments/*.po
python scripts/translations.py compile  # .po -> .mo with polib (pure Python); .mo files are committed
python scripts/translations.py check    # exit 1 if any entry is untranslated or fuzzy
"""

import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
FRAGMENTS = LOCALE / "fragments"


def extract() -> None:
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--no-location",
            "-i",
            ".venv/*",
            "-i",
            "var/*",
            "-i",
            "tests/*",
            "-i",
            "bench/*",
            "-i",
            "scripts/*",
        ],
        cwd=ROOT,
        check=True,
    )
    po = polib.pofile(str(PO))
    known = {  # by context and msgid: one English word in two senses has two translations
        (fragment_entry.msgctxt, fragment_entry.msgid): fragment_entry
        for f in sorted(FRAGMENTS.glob("*.po"))
        for fragment_entry in polib.pofile(str(f))
    }
    for entry in po:
        found = known.get((entry.msgctxt, entry.msgid))
        if found and (not entry.msgstr or "fuzzy" in entry.flags) and not entry.msgid_plural:
            entry.msgstr = found.msgstr
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    po.save()


def compile_() -> None:
    for po_path in LOCALE.glob("*/LC_MESSAGES/django.po"):
        polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))


def untranslated() -> list[str]:
    po = polib.pofile(str(PO))
    return [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "extract":
        extract()
    elif command == "compile":
        compile_()
    elif command == "check":
        missing = untranslated()
        for msgid in missing:
            print(f"untranslated: {msgid!r}")
        return 1 if missing else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
