"""Figures: a ```figure KIND k=v block (drawn by site/js/figures/KIND.js, its body the caption) or a
```passage block (drawn by passage.js from site/data/passages/<id>.json), numbered together.

The figure becomes the element its script fills: kind, options and data file as data attributes, a
fallback for readers without JavaScript, and the numbered caption. Its id, the anchor links and the
state in a URL fragment name (`#autocomplete?model=lstm`), is stable: the block's `id=` option, else its
kind (`passage-<id>` for a passage), unique on the page; the numbered id of earlier builds
(`figure-autocomplete-4`) stays as an alias inside it.
"""

from __future__ import annotations

import html
import re
import shlex
from dataclasses import dataclass

from build import figure_kinds, site_layout
from build.figure_kinds import FIGURE_KINDS, LIVE_KINDS
from build.passages import Passage
from build.render.errors import RenderError

__all__ = ["FIGURE_KINDS", "LIVE_KINDS", "Figure", "figure_html", "parse_figure", "passage_figure"]


ANCHOR = re.compile(r"[a-z][a-z0-9-]*")


@dataclass
class Figure:
    kind: str  # "passage" or one of FIGURE_KINDS
    options: dict[str, str]  # `id` (its anchor) included
    caption: str  # Markdown (a Jinja2 template like the rest)
    source: str  # file:line of the opening fence
    passage: Passage | None = None  # the passage a passage figure shows

    @property
    def anchor(self) -> str:
        """The figure's id on the page: `id=`, else its kind, `passage-<id>` for a passage."""
        if self.passage is not None:
            return f"passage-{self.passage.id}"
        return self.options.get("id") or self.kind


def parse_figure(info: str, body: str, source: str) -> Figure:
    """A ```figure block: `info` is what follows the word `figure`, `body` the caption's Markdown."""
    words = shlex.split(info)
    try:
        figure_kinds.kind(words[0] if words else "nothing", source, block=True)
    except figure_kinds.UnknownFigureKind as error:
        raise RenderError(str(error)) from None
    options = {}
    for word in words[1:]:
        key, equals, value = word.partition("=")
        if not equals or not re.fullmatch(r"[a-z][a-z-]*", key):
            raise RenderError(f"{source}: figure option {word!r} is not key=value")
        options[key] = value
    if "id" in options and not ANCHOR.fullmatch(options["id"]):
        raise RenderError(
            f"{source}: figure id {options['id']!r} is not a lowercase name (a-z, 0-9 and -, a letter first)"
        )
    return Figure(words[0], options, body.strip(), source)


def check_anchors(figures: list[Figure], headings: dict[str, str] | None = None) -> None:
    """Every figure's anchor is its own: a second figure with the same one, or a heading whose id it is
    (`headings`: id -> title), is an error at the figure's block."""
    first: dict[str, Figure] = {}
    for figure in figures:
        if figure.anchor in (headings or {}):
            raise RenderError(
                f"{figure.source}: figure anchor {figure.anchor!r} is also the id of the heading "
                f"“{headings[figure.anchor]}”; give the figure another id= option"
            )
        earlier = first.setdefault(figure.anchor, figure)
        if earlier is not figure:
            raise RenderError(
                f"{figure.source}: figure anchor {figure.anchor!r} is already the anchor of the figure at "
                f"{earlier.source}; give one of them another id= option"
            )


def passage_figure(passage: Passage) -> Figure:
    """A ```passage block as a figure (its block has no caption: the figure explains itself)."""
    return Figure("passage", {}, "", passage.source, passage)


def describe(figure: Figure) -> str:
    """What the figure shows, in a sentence of its own (its snapshot's alt text and title): the kind's
    description with what sets this figure apart (its passage, position, model or text)."""
    entry = figure_kinds.kind(figure.kind)
    options = figure.options
    if figure.passage is not None:
        passage = figure.passage
        detail = (
            f" “{passage.id}”, at output index {passage.position}, for the models "
            f"{', '.join(passage.models)}; the text begins “{passage.text.strip()[:60]}”"
        )
    elif figure.kind == "hero":
        passage_id = options.get("passage", figure_kinds.DEFAULT_PASSAGE)
        detail = f" “{passage_id}”, for the model {options.get('model') or 'listed first'}"
    elif "text" in options:
        model = f", model {options['model']}" if "model" in options else ""
        detail = f" on the text “{options['text']}”{model}"
    elif "unit" in options:
        detail = f", the {options['unit']} unit first"
    else:
        detail = ""
    return f"{entry.describe}{detail}: the figure as it starts, drawn when the page was built."


def snapshot(figure: Figure) -> str:
    """What a reader without JavaScript sees: the figure's default state drawn at build time
    (build/render/snapshots.py writes snapshots/<anchor>.svg), and what scripts would add."""
    note = (
        "A live figure: with JavaScript on, it runs the models in your browser. This is its starting state."
        if figure_kinds.kind(figure.kind).live
        else "Drawn when the page was built; with JavaScript on, the figure answers the pointer and the keys."
    )
    alt = html.escape(describe(figure), quote=True)
    return (
        f'<noscript><img class="memo-snapshot" src="{site_layout.snapshot_file(figure.anchor)}" '
        f'alt="{alt}"><p class="memo-noscript">{note}</p></noscript>'
    )


def figure_html(figure: Figure, number: int, caption_html: str) -> str:
    """The element a figure script fills: kind, options and data file as data attributes, the caption."""
    passage = figure.passage
    if passage is not None:
        attributes = {
            "id": figure.anchor,
            "data-figure": "passage",
            "data-passage": passage.id,
            "data-src": site_layout.passage_file(passage.id),
            "data-position": str(passage.position),
            "data-highlights": " ".join(map(str, passage.highlights)),
            "data-models": ",".join(passage.models),
        }
        fallback = f'<p class="passage-text">{html.escape(passage.text)}</p>' + snapshot(figure)
        label = (
            f"Passage “{passage.id}” as each model reads it. Choose an output position by hovering, tapping"
            " or with the arrow keys: the colour of each earlier character shows its connectivity to the"
            " prediction there, and each model's top three words are listed."
        )
    else:
        attributes = {"id": figure.anchor, "data-figure": figure.kind}
        attributes.update({f"data-{key}": value for key, value in figure.options.items() if key != "id"})
        source = figure_kinds.kind(figure.kind).source(figure.options)
        if source:
            attributes["data-src"] = source
        fallback = snapshot(figure)
        label = figure.kind
    rendered = " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attributes.items())
    caption = caption_html or html.escape(label)
    numbered = f"figure-{figure.kind}-{number}"  # the id earlier builds gave it: links to it still land
    alias = f'<span class="memo-anchor" id="{numbered}"></span>' if passage is None else ""
    return (
        f'<figure class="memo-figure" {rendered} aria-labelledby="{attributes["id"]}-caption">{alias}'
        f'<div class="figure-body" data-state="idle" data-updates="0">{fallback}</div>'
        f'<figcaption id="{attributes["id"]}-caption"><span class="figure-number">Figure {number}:</span> '
        f"{caption}</figcaption></figure>"
    )
