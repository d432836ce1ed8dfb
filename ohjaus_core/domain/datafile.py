"""Loading TOML data files with errors that name the file and the line.

The strict reader (`Source`, `Fields`) is shared by the protocols, the catalogue and the demo
region: only known keys, each of the right type, every problem naming its file and line.
"""

from __future__ import annotations

import re
import tomllib
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, TypeVar

from ..i18n import LANGUAGES, _
from .errors import DataFileError
from .textfile import read_lines

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")

E = TypeVar("E", bound=Enum)

_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a syntax error becomes a DataFileError with its line."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataFileError(path, None, f"cannot read: {error.strerror or error}") from error
    lines = read_lines(path, raw)
    if lines.invalid:
        # The first bad line stops start-up like any other data-file error.
        raise DataFileError(path, lines.invalid[0], lambda: _("not valid UTF-8"))
    text = raw.decode("utf-8")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _TOML_LINE.search(message)
        line = int(match.group(1)) if match else None
        reason = _TOML_LINE.sub("", message).strip()
        raise DataFileError(path, line, reason) from error


def line_of(path: Path, *needles: str) -> int | None:
    """The first line holding all of `needles` (for pointing at a semantic error)."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for number, line in enumerate(lines, start=1):
        if all(needle in line for needle in needles):
            return number
    return None


# --- strict reading of data files ------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]#]+?)\s*\]\]?\s*(?:#.*)?$")
_REQUIRED: Any = object()


class Source:
    """The lines of a data file, to point an error at the table or key it is about."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.lines = path.read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            self.lines = []
        # (line number, table name, is an array-of-tables element)
        self.headers: list[tuple[int, str, bool]] = []
        for number, line in enumerate(self.lines, start=1):
            match = _HEADER.match(line)
            if match:
                name = re.sub(r"\s*\.\s*", ".", match.group(2))
                self.headers.append((number, name, match.group(1) == "[["))

    def block(self, table: str | None, index: int | None) -> tuple[int, int] | None:
        """First and last line of the top level (None), of `[table]` or the index-th `[[table]]`."""
        if table is None:
            start = 1
            end = self.headers[0][0] - 1 if self.headers else len(self.lines)
            return start, end
        seen = -1
        for position, (number, name, is_array) in enumerate(self.headers):
            if name != table or is_array != (index is not None):
                continue
            seen += 1
            if index is not None and seen != index:
                continue
            end = len(self.lines)
            for later_number, later_name, later_array in self.headers[position + 1 :]:
                if not later_name.startswith(table + ".") or (later_array and later_name == table):
                    end = later_number - 1
                    break
            return number, end
        return None

    def line(
        self, table: str | None = None, index: int | None = None, key: str | None = None
    ) -> int | None:
        """The line of `key` in a table, else the table's header line (None for the top level)."""
        found = self.block(table, index)
        if found is None:
            return None
        start, end = found
        header = start if table is not None else None
        if key is None:
            return header
        quoted = re.escape(key)
        assignment = re.compile(rf"^\s*(?:{quoted}|\"{quoted}\"|'{quoted}')\s*[.=]")
        subtable = f"{table}.{key}" if table else key
        for number in range(start, end + 1):
            if assignment.match(self.lines[number - 1]):
                return number
        for number, name, _array in self.headers:
            if start <= number <= end + 1 and name == subtable:
                return number
        return header


def _type_name(kind: type | tuple[type, ...]) -> str:
    if isinstance(kind, tuple):
        return _(" or ").join(_type_name(each) for each in kind)
    return {
        str: _("a string"),
        int: _("an integer"),
        bool: _("true or false"),
        float: _("a number"),
        list: _("a list"),
        dict: _("a table"),
    }.get(kind, kind.__name__)


class Fields:
    """One table of a data file, read strictly: only known keys, each of the right type.

    Every problem is raised as a DataFileError naming the file and the line of the key (or of
    the table's header when the key is missing).
    """

    def __init__(
        self,
        source: Source,
        data: Mapping[str, Any],
        table: str | None = None,
        index: int | None = None,
    ) -> None:
        self.source = source
        self.data = data
        self.table = table
        self.index = index

    @property
    def path(self) -> Path:
        return self.source.path

    def line(self, key: str | None = None) -> int | None:
        return self.source.line(self.table, self.index, key)

    def error(self, reason: str | Callable[[], str], key: str | None = None) -> DataFileError:
        """`reason` as DataFileError takes it: here a function that says it in the language
        shown, so that a region catalogue kept aside is said again after a switch (F6)."""
        return DataFileError(self.path, self.line(key), reason)

    def only(self, *keys: str) -> None:
        for key in self.data:
            if key not in keys:
                raise self.error(lambda: _("unknown key '{key}'").format(key=key), key)

    def has(self, key: str) -> bool:
        return key in self.data

    def value(self, key: str, kind: type | tuple[type, ...], default: Any = _REQUIRED) -> Any:
        if key not in self.data:
            if default is _REQUIRED:
                if self.table is None:
                    raise self.error(lambda: _("missing key '{key}'").format(key=key))
                raise self.error(
                    lambda: _("missing key '{key}' in [{table}]").format(key=key, table=self.table)
                )
            return default
        value = self.data[key]
        # bool is an int in Python, but a TOML `true` is never a number here
        if kind is float:
            wrong = not isinstance(value, (int, float)) or isinstance(value, bool)
        elif kind is int:
            wrong = not isinstance(value, int) or isinstance(value, bool)
        else:
            wrong = not isinstance(value, kind)
        if wrong:
            raise self.error(
                lambda: _("'{key}' must be {kind}").format(key=key, kind=_type_name(kind)), key
            )
        return value

    def string(self, key: str, default: Any = _REQUIRED) -> str:
        value = self.value(key, str, default)
        if isinstance(value, str) and not value.strip():
            raise self.error(lambda: _("'{key}' must not be empty").format(key=key), key)
        return value

    def identifier(self, key: str, pattern: re.Pattern[str] = IDENTIFIER) -> str:
        value = self.string(key)
        if not pattern.match(value):
            raise self.error(
                lambda: _("'{key}' = '{value}' is not a valid identifier").format(key=key, value=value),
                key,
            )
        return value

    def integer(self, key: str, default: Any = _REQUIRED, minimum: int | None = None) -> int:
        value = self.value(key, int, default)
        if minimum is not None and value < minimum:
            raise self.error(
                lambda: _("'{key}' must be at least {minimum}").format(key=key, minimum=minimum), key
            )
        return value

    def number(self, key: str, default: Any = _REQUIRED) -> float:
        return float(self.value(key, float, default))

    def boolean(self, key: str, default: Any = _REQUIRED) -> bool:
        return self.value(key, bool, default)

    def strings(
        self, key: str, default: Any = _REQUIRED, *, non_empty: bool = True
    ) -> tuple[str, ...]:
        values = self.value(key, list, default)
        for value in values:
            if not isinstance(value, str) or not value.strip():
                raise self.error(
                    lambda: _("'{key}' must be a list of non-empty strings").format(key=key), key
                )
        if non_empty and not values:
            raise self.error(lambda: _("'{key}' must not be empty").format(key=key), key)
        for position, value in enumerate(values):
            if value in values[:position]:
                raise self.error(
                    lambda: _("'{value}' is listed twice in '{key}'").format(value=value, key=key), key
                )
        return tuple(values)

    def texts(self, key: str) -> dict[str, str]:
        """A person-facing text `{ fi = "...", sv = "...", en = "..." }`; Finnish is required."""
        value = self.value(key, dict)
        for language, text in value.items():
            if language not in LANGUAGES:
                raise self.error(
                    lambda: _("'{key}' has an unknown language '{language}'").format(
                        key=key, language=language
                    ),
                    key,
                )
            if not isinstance(text, str) or not text.strip():
                raise self.error(
                    lambda: _("'{key}.{language}' must be a non-empty string").format(
                        key=key, language=language
                    ),
                    key,
                )
        if "fi" not in value:
            raise self.error(lambda: _("'{key}' is missing the Finnish text (fi)").format(key=key), key)
        return dict(value)

    def choice(self, key: str, enum: type[E], default: Any = _REQUIRED) -> E:
        value = self.value(key, str, default)
        if not isinstance(value, str):
            return value
        return self.parse(key, enum, value)

    def choices(self, key: str, enum: type[E]) -> tuple[E, ...]:
        return tuple(self.parse(key, enum, value) for value in self.strings(key))

    def parse(self, key: str, enum: type[E], value: str) -> E:
        try:
            return enum(value)
        except ValueError:
            known = ", ".join(member.value for member in enum)
            raise self.error(
                lambda: _("unknown {key} '{value}' (known: {known})").format(
                    key=key, value=value, known=known
                ),
                key,
            ) from None

    def tables(self, key: str, *, required: bool = True) -> Iterator[Fields]:
        """The elements of an array of tables `[[key]]`, each as Fields pointing at its block."""
        values = self.value(key, list, _REQUIRED if required else [])
        if any(not isinstance(value, dict) for value in values):
            raise self.error(lambda: _("'{key}' must be a list of tables").format(key=key), key)
        if required and not values:
            raise self.error(lambda: _("'{key}' must not be empty").format(key=key), key)
        table = f"{self.table}.{key}" if self.table else key
        for position, value in enumerate(values):
            yield Fields(self.source, value, table, position)

    def subtable(self, key: str) -> Fields:
        value = self.value(key, dict)
        table = f"{self.table}.{key}" if self.table else key
        return Fields(self.source, value, table, None)
