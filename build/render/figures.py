"""Figures: a ```figure KIND k=v block (drawn by site/js/figures/KIND.js, its body the caption) or a
```passage block (drawn by passage.js from site/data/passages/<id>.json), numbered together.

The figure becomes the element its script fills: kind, options and data file as data attributes, a
fallback for readers without JavaScript, and the numbered caption.
"""

from __future__ import annotations

import html
import re
import shlex
from dataclasses import dataclass

from build.passages import Passage
from build.render.errors import RenderError

FIGURE_KINDS = ("hero", "vanishing", "units", "autocomplete", "accuracy", "curves", "owntext", "lookback")


@dataclass
class Figure:
    kind: str  # "passage" or one of FIGURE_KINDS
    options: dict[str, str]
    caption: str  # Markdown (a Jinja2 template like the rest)
    source: str  # file:line of the opening fence
    passage: Passage | None = None  # the passage a passage figure shows


def parse_figure(info: str, body: str, source: str) -> Figure:
    """A ```figure block: `info` is what follows the word `figure`, `body` the caption's Markdown."""
    words = shlex.split(info)
    if not words or words[0] not in FIGURE_KINDS:
        found = words[0] if words else "nothing"
        raise RenderError(f"{source}: figure kind {found!r} is not one of {', '.join(FIGURE_KINDS)}")
    options = {}
    for word in words[1:]:
        key, equals, value = word.partition("=")
        if not equals or not re.fullmatch(r"[a-z][a-z-]*", key):
            raise RenderError(f"{source}: figure option {word!r} is not key=value")
        options[key] = value
    return Figure(words[0], options, body.strip(), source)


def passage_figure(passage: Passage) -> Figure:
    """A ```passage block as a figure (its block has no caption: the figure explains itself)."""
    return Figure("passage", {}, "", passage.source, passage)


def figure_html(figure: Figure, number: int, caption_html: str) -> str:
    """The element a figure script fills: kind, options and data file as data attributes, the caption."""
    passage = figure.passage
    if passage is not None:
        attributes = {
            "id": f"passage-{passage.id}",
            "data-figure": "passage",
            "data-passage": passage.id,
            "data-src": f"data/passages/{passage.id}.json",
            "data-position": str(passage.position),
            "data-highlights": " ".join(map(str, passage.highlights)),
            "data-models": ",".join(passage.models),
        }
        fallback = f'<p class="passage-text">{html.escape(passage.text)}</p>'
        label = (
            f"Passage “{passage.id}” as each model reads it. Choose an output position by hovering, tapping"
            " or with the arrow keys: the colour of each earlier character shows its connectivity to the"
            " prediction there, and each model's top three words are listed."
        )
    else:
        attributes = {"id": f"figure-{figure.kind}-{number}", "data-figure": figure.kind}
        attributes.update({f"data-{key}": value for key, value in figure.options.items()})
        fallback = '<p class="memo-noscript">This figure needs JavaScript.</p>'
        label = figure.kind
    rendered = " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attributes.items())
    caption = caption_html or html.escape(label)
    return (
        f'<figure class="memo-figure" {rendered} aria-labelledby="{attributes["id"]}-caption">'
        f'<div class="figure-body" data-state="idle" data-updates="0">{fallback}</div>'
        f'<figcaption id="{attributes["id"]}-caption"><span class="figure-number">Figure {number}:</span> '
        f"{caption}</figcaption></figure>"
    )
