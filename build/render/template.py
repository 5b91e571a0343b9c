"""Jinja2 for the article and the page: the environment, its filters, and expansion with `file:line` errors.

The article's Markdown is a Jinja2 template over the build's numbers (build/render/context.py), so no
number is typed by hand; the page around it is article/templates/index.html.j2.
"""

from __future__ import annotations

import ast
import functools
import re
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

import jinja2

from build.render.errors import RenderError


def percent(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}%"


def duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def size(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")


NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def spelled(number: int) -> str:
    """A small count as a word (`3 | spelled` -> `three`), larger ones in digits."""
    return NUMBER_WORDS[number] if 0 <= number < len(NUMBER_WORDS) else f"{number:,}"


def device_words(device: str) -> str:
    """A training device as a sentence names it: `cpu (1 thread)` -> `one CPU thread`, `cpu (2 threads)`
    -> `two CPU threads`, `cuda (NVIDIA H200)` -> `an NVIDIA H200 GPU`; anything else as it is."""
    if match := re.fullmatch(r"cpu \((\d+) threads?\)", device):
        count = int(match[1])
        return f"{spelled(count)} CPU thread{'s' if count != 1 else ''}"
    if match := re.fullmatch(r"cuda \((.+)\)", device):
        name = match[1]
        article = "an" if name[:1].lower() in "aeiou" or name.startswith(("NVIDIA", "H", "L")) else "a"
        return f"{article} {name}{'' if 'GPU' in name.upper() else ' GPU'}"
    return device


def upper_first(text: str) -> str:
    """The text with its first letter a capital, the rest as it is (`the Brown corpus` -> `The Brown
    corpus`; Jinja2's `capitalize` would lower the rest)."""
    return text[:1].upper() + text[1:]


def and_join(items: Iterable[object], separator: str = ", ", last: str = " and ") -> str:
    """`A, B and C` (`and_join(', the ', ' and the ')` -> `A, the B and the C`); one item alone."""
    words = [str(item) for item in items]
    return separator.join(words[:-1]) + last + words[-1] if len(words) > 1 else "".join(words)


_FIELD = re.compile(r"\{(?P<path>[\w.]+)(?:\|(?P<filter>\w+)(?:\((?P<args>[^()]*)\))?)?\}")


@jinja2.pass_environment
def each(env: jinja2.Environment, items: Iterable[object], pattern: str) -> list[str]:
    """One phrase per item from `pattern`, whose `{dotted.path}` or `{dotted.path|filter(args)}` fields
    read the item, so that a list of numbers is one expression joined by `and_join`:
    `{{ models | each('{test.accuracy|percent} for the {name}') | and_join }}`. A missing field is an
    error naming it."""

    def phrase(item: object) -> str:
        def field(match: re.Match) -> str:
            value = item
            for part in match["path"].split("."):
                if isinstance(value, dict) and part in value:
                    value = value[part]
                elif isinstance(value, (list, tuple)) and part.isdigit() and int(part) < len(value):
                    value = value[int(part)]
                else:
                    raise KeyError(f"each: no {match['path']!r} in {pattern!r}")
            if match["filter"]:
                args = ast.literal_eval(f"({match['args']},)") if match["args"] else ()
                value = env.filters[match["filter"]](value, *args)
            return str(value)

        return _FIELD.sub(field, pattern)

    return [phrase(item) for item in items]


def environment(loader: jinja2.BaseLoader, autoescape: bool) -> jinja2.Environment:
    """Strict (an unknown name is an error, not an empty string), with the filters the article uses."""
    env = jinja2.Environment(
        loader=loader, autoescape=autoescape, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    env.filters.update(
        percent=percent,
        thousands=lambda value: f"{value:,}",
        fixed=lambda value, digits=2: f"{value:.{digits}f}",
        duration=duration,
        bytes=size,
        spelled=spelled,
        upper_first=upper_first,
        device=device_words,
        and_join=and_join,
        each=each,
    )
    return env


@functools.cache
def _string_environment() -> jinja2.Environment:
    """The environment of `expand`'s templates (strings of the article), made once."""
    return environment(jinja2.BaseLoader(), autoescape=False)


def expand(template: str, names: dict, path: Path, line_of: Callable[[int], int] = lambda line: line) -> str:
    """The template rendered with `names`; an error names `path` and the line that `line_of` maps the
    template's line to (the template may be a part of the file, or the file with lines added)."""
    try:
        return _string_environment().from_string(template).render(names)
    except jinja2.TemplateSyntaxError as error:
        raise RenderError(f"{path}:{line_of(error.lineno)}: {error.message}") from error
    except (jinja2.UndefinedError, TypeError, KeyError, ValueError, IndexError) as error:
        lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == "<template>"]
        where = f"{path}:{line_of(lines[-1])}" if lines else str(path)
        raise RenderError(f"{where}: {type(error).__name__}: {error}") from error
