"""Which texts of the shipped data files lack a language.

A text a person reads is a table {fi = ..., sv = ..., en = ...}; a missing language falls
back to Finnish on the screen (i18n.localized), and this check reports it, so a gap is
found before a Swedish-speaking worker meets it. Used by the test suite and by
`python -m ohjaus_core.domain.translations [DATA_DIR]`.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

LANGUAGES = ("fi", "sv", "en")
# The demo's phrases are what clients say (in Finnish), and names are names: not UI texts.
NOT_TRANSLATED = {"demo/phrases.toml", "demo/names.toml"}


def missing_translations(root: Path) -> list[str]:
    problems: list[str] = []
    for path in sorted(root.rglob("*.toml")):
        relative = path.relative_to(root).as_posix()
        if relative in NOT_TRANSLATED:
            continue
        with path.open("rb") as file:
            data = tomllib.load(file)
        _walk(data, relative, "", problems)
    return problems


def _walk(node, file: str, where: str, problems: list[str]) -> None:
    if isinstance(node, dict):
        if any(key in node for key in LANGUAGES) and all(isinstance(v, str) for v in node.values()):
            for language in LANGUAGES:
                if not str(node.get(language, "")).strip():
                    problems.append(f"{file}: {where or '(top)'}: no {language} text")
            return
        for key, value in node.items():
            _walk(value, file, f"{where}.{key}" if where else key, problems)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _walk(value, file, f"{where}[{index}]", problems)


def main(argv: list[str]) -> int:
    from ohjaus_core.data_dir import shipped_data_dir

    root = Path(argv[0]) if argv else shipped_data_dir()
    problems = missing_translations(root)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} texts without every language in {root}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
