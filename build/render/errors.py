"""What every transform of render shares: its error, the placeholder tokens, and where a text came from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class RenderError(ValueError):
    """The article cannot be rendered; the message starts with `file:line:` where there is one."""


def placeholder(kind: str, index: int) -> str:
    """A token Markdown leaves alone (letters and digits only), swapped for HTML after it ran."""
    return f"MEMO{kind}{index}X"


@dataclass(frozen=True)
class Origin:
    """Markdown as the author wrote it (before Jinja2), so that an error found later can name its line."""

    path: Path
    text: str
    first_line: int = 1  # the line of `path` that `text` starts on

    def at(self, needle: str) -> str:
        """`file:line` of the first line of the written text that holds `needle`; the text's first line
        (just the file for a whole file) when Jinja2 made it and the author never wrote it."""
        index = self.text.find(needle)
        if index < 0:
            return str(self.path) if self.first_line == 1 else f"{self.path}:{self.first_line}"
        return f"{self.path}:{self.first_line + self.text.count(chr(10), 0, index)}"
