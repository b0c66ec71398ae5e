"""`make pot`, after the .pot is regenerated: bring each i18n/<lang>.po in step with it and say,
per language, how many terms are still to translate.

The merge is gettext's msgmerge where the machine has it (a term whose source changed a little
comes back marked fuzzy with its previous translation, for the translator to check), else
polib's (the same, without the fuzzy guesses). Either way the file is then written by polib in
the .pot's order, without obsolete entries, so that both give the same layout. Odoo loads a
fuzzy translation as if it were checked, so fuzzy terms count as not translated, here and in
tests/test_translations.py.

Usage: po_merge.py I18N_DIR POT_NAME
"""

import shutil
import subprocess
import sys
from pathlib import Path

import polib


def merge(po_path, pot):
    """Merge ``pot`` into the .po at ``po_path``; returns the merged POFile."""
    if shutil.which("msgmerge"):
        subprocess.run(
            ["msgmerge", "--quiet", "--previous", "--update", "--backup=none", po_path, pot.fpath],
            check=True,
        )
        po = polib.pofile(po_path)
    else:
        po = polib.pofile(po_path)
        po.merge(pot)
        po.metadata["POT-Creation-Date"] = pot.metadata.get("POT-Creation-Date", "")
    order = {entry.msgid: index for index, entry in enumerate(pot)}
    merged = polib.POFile(wrapwidth=pot.wrapwidth)
    merged.header = po.header
    merged.metadata = po.metadata
    entries = sorted((e for e in po if e.msgid in order), key=lambda e: order[e.msgid])
    for entry in entries:
        entry.obsolete = False
    merged.extend(entries)
    merged.save(po_path)
    return merged


def to_translate(po):
    """The terms Odoo would show in English (no translation) or possibly wrong (fuzzy)."""
    untranslated = [e.msgid for e in po if not e.msgstr]
    fuzzy = [e.msgid for e in po if e.msgstr and "fuzzy" in e.flags]
    return untranslated, fuzzy


def main(i18n_dir, pot_name):
    pot = polib.pofile(str(Path(i18n_dir) / pot_name))
    print(f"[pot] {pot_name}: {len(pot)} terms")
    pending = {}
    for po_path in sorted(Path(i18n_dir).glob("*.po")):
        lang = po_path.stem
        untranslated, fuzzy = to_translate(merge(str(po_path), pot))
        print(f"[po] {lang}: {len(untranslated)} untranslated, {len(fuzzy)} fuzzy")
        for msgid in untranslated:
            pending.setdefault(msgid, []).append(lang)
        for msgid in fuzzy:
            pending.setdefault(msgid, []).append(f"{lang} (fuzzy)")
    if pending:
        count = len(pending)
        print(f"[po] {count} terms to translate (tests/test_translations.py fails until then):")
        for msgid, langs in pending.items():
            first_line = msgid.splitlines()[0] if msgid.strip() else repr(msgid)
            more = " …" if "\n" in msgid.strip() else ""
            print(f"[po]   {first_line[:100]}{more}  [{', '.join(langs)}]")
    else:
        print("[po] every term is translated in every language")


if __name__ == "__main__":
    main(*sys.argv[1:])
