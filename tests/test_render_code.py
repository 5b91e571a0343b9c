"""Code spans and code blocks are shown verbatim: math, citations and links inside them are left alone."""

from __future__ import annotations

from pathlib import Path

from build import fences
from build.render.code import Code, block_html
from tests.render_helpers import article


def test_math_in_a_code_span_is_verbatim(tmp_path: Path) -> None:
    body = article(tmp_path, "Title: T\n\nWrite `$x$` for $x$, or ``a `$y$` b``.\n").body
    assert "<code>$x$</code> for <span" in body and body.count("<math") == 1
    assert "<code>a `$y$` b</code>" in body


def test_a_citation_in_a_fenced_code_block_is_verbatim(tmp_path: Path) -> None:
    text = (
        "Title: T\n\nCited [@cho2014].\n\n```text\nsee [@madsen2019] and $z$ <b>\n\n[x](#passage-no@1)\n```\n"
    )
    result = article(tmp_path, text)
    assert (
        '<pre><code class="language-text">see [@madsen2019] and $z$ &lt;b&gt;\n\n[x](#passage-no@1)\n'
        "</code></pre>" in result.body
    )
    assert [key for key, _ in result.references] == ["cho2014"]  # the one in code is not cited


def test_a_passage_note_block_is_code_not_a_passage(tmp_path: Path) -> None:
    """`passage-note` is not `passage`: a code block for the article as for precompute."""
    result = article(tmp_path, "Title: T\n\n```passage-note\nIn 1999, a note.\n```\n\nAfter.\n")
    assert '<pre><code class="language-passage-note">In 1999, a note.\n</code></pre>' in result.body
    assert result.figures == 0 and "<p>After.</p>" in result.body


def test_protect_runs_the_prose_transform_outside_code_only() -> None:
    code = Code(Path("a.md"))
    text = "a `b` c\n\n```\nd\n```\ne `f\n\ng` h"
    protected = code.protect(text, str.upper)
    # a span stops at a blank line, as Markdown's does: `f and g` are prose
    assert protected == "A `b` C\n\n\nMEMOCODE0X\n\nE `F\n\nG` H"
    assert code.restore("<p>MEMOCODE0X</p>") == "<pre><code>d\n</code></pre>"


def test_block_html_escapes_and_names_the_language() -> None:
    (block,) = fences.scan("```python extra words\nif a < b & c:\n```\n", "a.md")
    assert block_html(block) == '<pre><code class="language-python">if a &lt; b &amp; c:\n</code></pre>'
