"""The article's HTML from its Markdown, extraction then transforms, each in its own module:

    extract   ```passage / ```figure blocks out, placeholders in     extract.py
    Jinja2    the build's numbers filled in                           template.py
    protect   code kept verbatim; claims checked; math, citations     code.py, claims.py, mathml.py,
              to placeholders                                         citations.py
    Markdown  Python-Markdown (meta, tables, toc, footnotes, attr_list)
    restore   figures, code blocks, citations, MathML back in         figures.py, code.py, ...
    finish    tab stops, passage links, the appendix split            reachable.py, crossrefs.py, appendix.py

Figure captions go through the same steps as the body, each on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import markdown
from pybtex.database import BibliographyData

from build.passages import Passage, unnamed_positions
from build.render.appendix import split_appendix
from build.render.citations import Citations
from build.render.claims import Claims
from build.render.code import Code
from build.render.crossrefs import link_passages
from build.render.errors import Origin, RenderError, placeholder
from build.render.extract import extract
from build.render.figures import Figure, check_anchors, figure_html
from build.render.mathml import Math
from build.render.reachable import reachable
from build.render.template import expand

EXTENSIONS = ["meta", "tables", "toc", "footnotes", "attr_list"]


@dataclass
class Article:
    meta: dict[str, str]
    body: str
    appendix: str
    toc: str
    references: list[tuple[str, str]]  # (key, HTML), in citation order
    figures: int
    hero: dict[str, str] | None = None  # the first hero figure's options (the social preview draws it)
    figure_list: tuple[Figure, ...] = ()  # in the page's order
    claims: Claims | None = None  # every claim of the text, checked against the run

    @property
    def anchors(self) -> tuple[str, ...]:
        """Each figure's id, in the page's order."""
        return tuple(figure.anchor for figure in self.figure_list)

    def figure(self, anchor: str) -> str:
        """The finished HTML of the figure `anchor` as the page holds it (for its page of its own)."""
        found = re.search(
            rf'<figure class="memo-figure" id="{re.escape(anchor)}".*?</figure>',
            self.body + self.appendix,
            re.S,
        )
        if not found:
            raise RenderError(f"no figure #{anchor} on the page")
        return found[0]


class _Protect:
    """Code, claims, math and citations of every text of one article, taken out before Markdown and put
    back."""

    def __init__(self, path: Path, bibliography: BibliographyData, names: dict) -> None:
        self.code = Code(path)
        self.claims = Claims(names)
        self.math = Math()
        self.citations = Citations(bibliography)

    def __call__(self, text: str, origin: Origin) -> str:
        def prose(part: str) -> str:
            return self.citations.protect(
                self.math.protect(self.claims.protect(part, origin), origin), origin
            )

        return self.code.protect(text, prose)

    def restore(self, page: str) -> str:
        return self.claims.restore(self.math.restore(self.citations.restore(self.code.restore(page))))


def headings(tokens: list[dict]) -> dict[str, str]:
    """id -> title of every heading in Python-Markdown's table of contents, nested ones included."""
    found = {}
    for token in tokens:
        found[token["id"]] = token["name"]
        found.update(headings(token["children"]))
    return found


def _caption(figure: Figure, names: dict, path: Path, protect: _Protect, converter: markdown.Markdown) -> str:
    """A figure's caption through Jinja2, the protections and Markdown (restored later, with the body)."""
    if not figure.caption:
        return ""
    first_line = int(figure.source.rsplit(":", 1)[1]) + 1
    text = expand(figure.caption, names, path, lambda line: first_line + line - 1)
    text = protect(text, Origin(path, figure.caption, first_line))
    return converter.reset().convert(text)


def _unnamed_positions(passage: Passage, names: dict, claims: Claims) -> str:
    """A note after a passage figure for each position it shows or links to whose word no model can name
    (passages.unnamed_positions), recorded as a claim the build does not support."""
    targets = names["passage_data"](passage.id)["targets"]
    size = len(names["vocabulary_words"]()) - 2
    notes = [
        claims.unsupported(
            passage.source,
            f"the models can name the word at {index} of passage {passage.id}",
            f"index {index} of passage {passage.id} belongs to “{word}”, which is not among this build's "
            f'{size:,} words; list it in outside="..." if that is on purpose',
        )
        for index, word in unnamed_positions(passage, targets)
    ]
    return "".join(f"<p>{note.strip()}</p>" for note in notes)


def render_article(
    path: Path, names: dict, models: tuple[str, ...], bibliography: BibliographyData
) -> Article:
    """The article's HTML from its Markdown: blocks, Jinja2, code, math, citations, Markdown, links."""
    source = path.read_text(encoding="utf-8")
    origin = Origin(path, source)
    extracted = extract(path, source, models, names)
    text = expand(extracted.text, names, path, extracted.line)
    protect = _Protect(path, bibliography, names)
    text = protect(text, origin)
    converter = markdown.Markdown(extensions=EXTENSIONS)
    captions = [_caption(figure, names, path, protect, converter) for figure in extracted.figures]
    converter.reset()
    body = converter.convert(text)
    meta = {key: " ".join(value) for key, value in converter.Meta.items()}
    check_anchors(extracted.figures, headings(converter.toc_tokens))
    protect.math.typeset()

    for index, (figure, caption) in enumerate(zip(extracted.figures, captions, strict=True)):
        caption_html = protect.restore(re.sub(r"^<p>(.*)</p>$", r"\1", caption, flags=re.S))
        element = figure_html(figure, index + 1, caption_html)
        if figure.passage is not None and "passage_data" in names:
            element += _unnamed_positions(figure.passage, names, protect.claims)
        body = body.replace(f"<p>{placeholder('FIGURE', index)}</p>", element)
    body = reachable(protect.restore(body))
    passages = [figure.passage for figure in extracted.figures if figure.passage is not None]
    body = link_passages(body, passages, origin)
    main, appendix = split_appendix(body)
    hero = next((f.options for f in extracted.figures if f.kind == "hero"), None)
    references = protect.citations.references()
    figures = tuple(extracted.figures)
    return Article(
        meta, main, appendix, converter.toc, references, len(figures), hero, figures, protect.claims
    )
