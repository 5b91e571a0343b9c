"""The fenced blocks of the article's Markdown, found by one scanner for every stage that reads them.

Precompute (build/passages.py) and render (build/render/) both read the article's fenced blocks; they
agree on which blocks there are because both call `scan`. A block opens with a line of three or more
backticks or tildes at the start of a line, followed by an info string; it closes with a line holding
only a fence of the same character at least as long (CommonMark's rule). The first word of the info
string names the block's kind:

    ```passage id=...      a passage figure (build/passages.py reads its options and text)
    ```figure KIND k=v     a figure drawn by a script (build/render/figures.py)
    ```text, ```python ... anything else, `passage-note` included: a code block, shown verbatim

A fence that is never closed stops the build with `file:line`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

KINDS = ("passage", "figure")  # info-string words that make a block more than code
# An opening fence: backticks (whose info string may hold no backtick, or the line is a code span) or tildes.
_OPEN = re.compile(r"^(?P<fence>`{3,}(?=[^`]*$)|~{3,})[ \t]*(?P<info>.*?)[ \t]*$")


class FenceError(ValueError):
    """A fenced block is never closed; the message starts with `file:line:`."""


@dataclass(frozen=True)
class Block:
    kind: str  # "passage", "figure" or "code"
    info: str  # the info string after the kind's word ("passage"/"figure"), the whole of it for code
    body: tuple[tuple[int, str], ...]  # (line number, text) of each line between the fences
    start: int  # line number (from 1) of the opening fence
    end: int  # line number of the closing fence
    fence: str  # the opening fence, e.g. "```"

    @property
    def language(self) -> str:
        """A code block's language: the first word of its info string ("" when there is none)."""
        words = self.info.split(maxsplit=1)
        return words[0] if words else ""


def _closes(line: str, fence: str) -> bool:
    """Whether `line` closes a block opened by `fence`: the same character, at least as many, nothing else."""
    stripped = line.rstrip(" \t")
    return len(stripped) >= len(fence) and stripped == fence[0] * len(stripped)


def _kind(info: str) -> tuple[str, str]:
    """The block's kind from the first word of its info string, and the info string that is left."""
    words = info.split(maxsplit=1)
    if words and words[0] in KINDS:
        return words[0], words[1] if len(words) > 1 else ""
    return "code", info


def scan(text: str, path: Path | str) -> list[Block]:
    """Every fenced block of a Markdown text, in order; `path` names the file in errors."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    blocks: list[Block] = []
    number = 0
    while number < len(lines):
        opening = _OPEN.match(lines[number])
        number += 1
        if not opening:
            continue
        start, fence = number, opening["fence"]
        kind, info = _kind(opening["info"])
        body = []
        while number < len(lines) and not _closes(lines[number], fence):
            body.append((number + 1, lines[number]))
            number += 1
        if number == len(lines):
            raise FenceError(f"{path}:{start}: the {kind} block is never closed with {fence}")
        number += 1
        blocks.append(Block(kind, info, tuple(body), start, number, fence))
    return blocks
