"""Code, kept verbatim: the other transforms (math, citations) run only on the prose between code.

Code spans (`...`, the way Python-Markdown's backtick pattern finds them, within one paragraph) stay in
the text for Markdown to render. Fenced code blocks (build/fences.py: any info string but `passage` and
`figure`) become a placeholder paragraph, replaced after Markdown by `<pre><code>` holding the block's
text escaped as is, with a `language-<word>` class from the info string's first word.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

from build import fences
from build.render.errors import RenderError, placeholder

# Python-Markdown's BACKTICK_RE, kept from crossing a blank line (Markdown applies it paragraph by paragraph).
_SPAN = re.compile(r"(?<!\\)(`+)((?:(?!\n[ \t]*\n).)+?)(?<!`)\1(?!`)", re.S)


def block_html(block: fences.Block) -> str:
    """A fenced code block as HTML, the way Python-Markdown's fenced_code extension writes it."""
    language = f' class="language-{html.escape(block.language)}"' if block.language else ""
    text = "".join(f"{line}\n" for _, line in block.body)
    return f"<pre><code{language}>{html.escape(text, quote=False)}</code></pre>"


class Code:
    """The code blocks taken out of the texts it protected, to be put back into the HTML."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.blocks: list[str] = []  # HTML; block i is placeholder("CODE", i)

    def protect(self, text: str, prose: Callable[[str], str]) -> str:
        """`text` with its code blocks replaced by placeholder paragraphs and `prose` applied to what lies
        outside code blocks and code spans."""
        try:
            blocks = fences.scan(text, self.path)
        except fences.FenceError as error:
            raise RenderError(str(error)) from error
        lines = text.split("\n")
        parts: list[str] = []
        done = 0
        for block in blocks:
            if block.kind != "code":  # left in a caption: the extractor took every other block
                continue
            parts.append(_outside_spans("\n".join(lines[done : block.start - 1]), prose))
            self.blocks.append(block_html(block))
            parts.append(f"\n{placeholder('CODE', len(self.blocks) - 1)}\n")
            done = block.end
        parts.append(_outside_spans("\n".join(lines[done:]), prose))
        return "\n".join(parts)

    def restore(self, page: str) -> str:
        for index, rendered in enumerate(self.blocks):
            page = page.replace(f"<p>{placeholder('CODE', index)}</p>", rendered)
        return page


def _outside_spans(text: str, prose: Callable[[str], str]) -> str:
    parts, done = [], 0
    for span in _SPAN.finditer(text):
        parts += [prose(text[done : span.start()]), span[0]]
        done = span.end()
    return "".join([*parts, prose(text[done:])])
