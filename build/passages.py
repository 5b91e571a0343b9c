"""Example passages, declared by authors in the article's Markdown as fenced blocks:

    ```passage id=grammar position=28 highlights="28 34 106 32 159 162 141"
    context the formal study of grammar is an important part of education ...
    ```

Options: `id` (required; a-z, 0-9, -), `models` (comma-separated model keys; default all of the
profile's), `position` (the output index shown first; default the last character), `highlights` (output
indices the prose links to) and `outside` (highlighted indices whose word may lie outside the build's
vocabulary on purpose: any other shown or highlighted index whose word the models have no class for is
reported by render like a claim the build does not support, `unnamed_positions`). The body is lowercased
and its whitespace collapsed; any other character outside the model's alphabet (space, a-z) is an error,
so the author sees exactly what the models read (write numbers as words). The passage starts with a
space, like every word the models read, so index 0 is the space before the first word. Every problem
stops the build with `file:line: message`. The blocks are found by build/fences.py, the scanner render
uses too: a block whose info string starts with another word (```passage-note, ```text) is code, not a
passage.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from build import fences

# Passage P1 of the original article (spec section 4): 198 characters with its leading space. The web
# weight formats are checked on it (exporter/web.py), so editing the article never forces a re-export.
P1 = (
    " context the formal study of grammar is an important part of education from a young age through"
    " advanced learning though the rules taught in schools are not a grammar in the sense most linguists use"
)
MAX_CHARACTERS = 500  # precomputed connectivity grows with the square of the length
OPTIONS = ("id", "models", "position", "highlights", "outside")
_ID = re.compile(r"[a-z0-9][a-z0-9-]*")


class PassageError(ValueError):
    """A passage block is malformed; the message starts with `file:line:`."""


@dataclass(frozen=True)
class Passage:
    id: str
    text: str  # " " + the normalised words
    models: tuple[str, ...]
    position: int
    highlights: tuple[int, ...]
    source: str  # "file:line" of the opening fence
    outside: tuple[int, ...] = ()  # shown indices whose word may be outside the vocabulary
    options: dict = field(default_factory=dict, compare=False)


def _fail(path: Path, line: int, message: str) -> PassageError:
    return PassageError(f"{path}:{line}: {message}")


def _index(value: str, path: Path, line: int, option: str) -> int:
    if not re.fullmatch(r"\d+", value):
        raise _fail(path, line, f"{option}: {value!r} is not a character index (0, 1, 2, ...)")
    return int(value)


def _text(body: list[tuple[int, str]], path: Path, start: int) -> str:
    """The passage's text from its body lines; characters outside the alphabet are errors with a line."""
    for number, raw in body:
        lowered = raw.lower()
        for column, character in enumerate(lowered, 1):
            if not ("a" <= character <= "z" or character.isspace()):
                hint = " (write numbers as words)" if character.isdigit() else ""
                raise _fail(
                    path,
                    number,
                    f"character {raw[column - 1]!r} (column {column}) is not in the "
                    f"models' alphabet: only letters a-z and spaces{hint}",
                )
    words = " ".join(line for _, line in body).lower().split()
    if not words:
        raise _fail(path, start, "the passage is empty")
    text = " " + " ".join(words)
    if len(text) > MAX_CHARACTERS:
        raise _fail(
            path, start, f"the passage has {len(text)} characters; at most {MAX_CHARACTERS} are allowed"
        )
    return text


def _passage(
    path: Path, line: int, info: str, body: list[tuple[int, str]], models: tuple[str, ...]
) -> Passage:
    try:
        tokens = shlex.split(info)
    except ValueError as error:
        raise _fail(path, line, f"cannot read the options ({error})") from error
    options: dict[str, str] = {}
    for token in tokens:
        key, equals, value = token.partition("=")
        if not equals:
            raise _fail(path, line, f"option {token!r} needs a value: write {token}=...")
        if key not in OPTIONS:
            raise _fail(path, line, f"unknown option {key!r}; known options: {', '.join(OPTIONS)}")
        if key in options:
            raise _fail(path, line, f"option {key!r} given twice")
        options[key] = value
    if "id" not in options:
        raise _fail(path, line, "the passage needs an id, e.g. ```passage id=my-example")
    if not _ID.fullmatch(options["id"]):
        raise _fail(path, line, f"id {options['id']!r}: use lowercase letters, digits and '-'")
    text = _text(body, path, line)
    chosen = tuple(options["models"].split(",")) if "models" in options else models
    for key in chosen:
        if key not in models:
            raise _fail(path, line, f"unknown model {key!r}; this profile has {', '.join(models)}")
    position = _index(options["position"], path, line, "position") if "position" in options else len(text) - 1
    highlights = tuple(_index(v, path, line, "highlights") for v in options.get("highlights", "").split())
    for index in (position, *highlights):
        if index >= len(text):
            raise _fail(
                path,
                line,
                f"index {index} is past the end of the passage ({len(text)} characters, "
                f"indices 0..{len(text) - 1})",
            )
    outside = tuple(_index(v, path, line, "outside") for v in options.get("outside", "").split())
    for index in outside:
        if index not in (position, *highlights):
            raise _fail(path, line, f"outside: {index} is neither the position nor one of the highlights")
    return Passage(options["id"], text, chosen, position, highlights, f"{path}:{line}", outside, options)


def word_at(text: str, index: int) -> str:
    """The word the output at `index` of a passage belongs to (the space before a word opens it)."""
    start = text.rfind(" ", 0, index + 1)
    end = text.find(" ", start + 1)
    return text[start + 1 : None if end < 0 else end]


def unnamed_positions(passage: Passage, targets: list[int]) -> list[tuple[int, str]]:
    """(index, word) of every shown or highlighted index whose word has no class (`targets`, per character
    the word id or -1, as precompute writes them), except those the passage lists in `outside`: a model
    cannot name such a word, so prose about the position would describe a guess no model can make."""
    indices = dict.fromkeys((passage.position, *passage.highlights))
    return [(i, word_at(passage.text, i)) for i in indices if i not in passage.outside and targets[i] < 0]


def from_block(path: Path, block: fences.Block, models: tuple[str, ...]) -> Passage:
    """The passage of one ```passage block of `path`, validated (render reads its blocks this way too,
    from the blocks it scanned)."""
    return _passage(path, block.start, block.info, list(block.body), models)


def read_text(path: Path, text: str, models: tuple[str, ...]) -> list[Passage]:
    """Every passage block of the Markdown `text` of `path`, validated; ids are unique."""
    try:
        blocks = fences.scan(text, path)
    except fences.FenceError as error:
        raise PassageError(str(error)) from error
    return unique([from_block(path, block, models) for block in blocks if block.kind == "passage"])


def read(paths: list[Path], models: tuple[str, ...]) -> list[Passage]:
    """Every passage block of the Markdown files, validated; ids are unique across all files."""
    return unique([p for path in paths for p in read_text(path, path.read_text(encoding="utf-8"), models)])


def unique(passages: list[Passage]) -> list[Passage]:
    """`passages`, checked to have distinct ids (an error names both places of a repeated one)."""
    seen: dict[str, str] = {}
    for passage in passages:
        if passage.id in seen:
            raise PassageError(
                f"{passage.source}: duplicate passage id {passage.id!r} (first at {seen[passage.id]})"
            )
        seen[passage.id] = passage.source
    return passages
