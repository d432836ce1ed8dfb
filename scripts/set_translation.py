"""Set translations from a JSON object on stdin: {"msgid": "msgstr"} (a list for plural
forms); then run catalogue.py.  python scripts/set_translation.py [fi|sv|en]  (default fi)."""
import json
import sys

from babel.messages.pofile import read_po, write_po

language = sys.argv[1] if len(sys.argv) > 1 else "fi"
path = f"ohjaus_core/locale/{language}/LC_MESSAGES/ohjaus.po"
pairs = json.loads(sys.stdin.read())
with open(path, "rb") as f:
    cat = read_po(f)
for msgid, msgstr in pairs.items():
    m = cat.get(msgid)
    if m is None:
        print("missing", msgid)
        continue
    m.string = tuple(msgstr) if isinstance(msgstr, list) else msgstr
    m.flags.discard("fuzzy")
with open(path, "wb") as f:
    write_po(f, cat, omit_header=False, no_location=True, width=0)
