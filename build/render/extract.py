"""The extractor: the article's passage and figure blocks taken out of its Markdown, before Jinja2 runs.

Each ```passage and ```figure block (build/fences.py finds them, the same way precompute does) becomes a
figure (a figure's options go through Jinja2 first), and in the text a placeholder paragraph takes its
place, which build/render/figures.py's HTML replaces once Markdown has run. Code blocks stay in the text
(build/render/code.py keeps them verbatim).
The placeholder adds one line; `Extracted.line` maps a line of the new text back to the file's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from build import fences
from build import passages as passage_stage
from build.render.errors import RenderError, placeholder
from build.render.figures import Figure, parse_figure, passage_figure
from build.render.template import expand


@dataclass
class Extracted:
    text: str  # the Markdown with a placeholder paragraph for each figure
    figures: list[Figure]  # in the order of the file; figure i is placeholder("FIGURE", i)
    origins: list[int]  # the file's line number of each line of `text`

    def line(self, number: int) -> int:
        """The file's line number of line `number` of `text` (both count from 1)."""
        return self.origins[min(number, len(self.origins)) - 1]


def extract(path: Path, source: str, models: tuple[str, ...], names: dict) -> Extracted:
    """The figures of the Markdown `source` of `path`, and the text with placeholders in their place. A
    figure's options may hold Jinja2 expressions over `names` (`model={{ model_list[0].key }}`)."""
    try:
        blocks = fences.scan(source, path)
    except fences.FenceError as error:
        raise RenderError(str(error)) from error
    passage_blocks = [block for block in blocks if block.kind == "passage"]
    passages = passage_stage.unique([passage_stage.from_block(path, b, models) for b in passage_blocks])
    by_start = {block.start: passage for block, passage in zip(passage_blocks, passages, strict=True)}
    lines = source.split("\n")
    out: list[str] = []
    origins: list[int] = []
    figures: list[Figure] = []
    done = 0  # lines of `source` copied or replaced so far
    for block in blocks:
        if block.kind == "code":
            continue
        out += lines[done : block.start - 1]
        origins += range(done + 1, block.start)
        where = f"{path}:{block.start}"
        if block.kind == "passage":
            figures.append(passage_figure(by_start[block.start]))
        else:
            info = expand(block.info, names, path, lambda _, line=block.start: line)
            figures.append(parse_figure(info, "\n".join(text for _, text in block.body), where))
        # A blank line, the placeholder, then a blank line for each further line of the block.
        out += ["", placeholder("FIGURE", len(figures) - 1)] + [""] * (block.end - block.start)
        origins += [block.start, *range(block.start, block.end + 1)]
        done = block.end
    out += lines[done:]
    origins += range(done + 1, len(lines) + 1)
    return Extracted("\n".join(out), figures, origins)
