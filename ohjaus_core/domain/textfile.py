"""Reading a text file line by line, with every line that is not valid UTF-8 reported by
number and the good ones kept: imports take what they can and say what they could not."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..i18n import _


@dataclass
class Lines:
    """A file's lines (numbered from 1, without their line ends) and its bad lines."""

    path: Path
    lines: list[tuple[int, str]] = field(default_factory=list)
    invalid: list[int] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """One message a bad line: "FILE:LINE: not valid UTF-8"."""
        return [f"{self.path}:{number}: {_('not valid UTF-8')}" for number in self.invalid]

    @property
    def text(self) -> str:
        return "\n".join(line for _number, line in self.lines)


def read_lines(path: Path | str, data: bytes | None = None) -> Lines:
    """Decode `path` (or `data` read from it) line by line; a byte-order mark is dropped."""
    path = Path(path)
    raw = path.read_bytes() if data is None else data
    result = Lines(path)
    body = raw[:-1] if raw.endswith(b"\n") else raw  # the end of the last line is not a line
    for number, line in enumerate(body.split(b"\n") if body else [], start=1):
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            result.invalid.append(number)
            continue
        result.lines.append((number, text.removesuffix("\r")))
    return result
