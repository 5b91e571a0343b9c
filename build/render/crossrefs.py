"""Cross-references into passage figures: a Markdown link to `#passage-ID@POS` becomes a link to that state
of the figure (`#passage-ID?position=POS`, js/lib/75-links.js) and selects output index POS in it when
clicked on the page (start.js reads `data-select`). A link to a passage the article does not have, or
past its end, stops the build."""

from __future__ import annotations

import re

from build.passages import Passage
from build.render.errors import Origin, RenderError

_PASSAGE_LINK = re.compile(r'href="#passage-([a-z0-9-]+)@(\d+)"')


def link_passages(page: str, passages: list[Passage], origin: Origin) -> str:
    """`page` (HTML) with each link into a passage pointing at its figure and carrying the position."""
    lengths = {passage.id: len(passage.text) for passage in passages}

    def link(match: re.Match) -> str:
        passage_id, position = match[1], int(match[2])
        if passage_id not in lengths or position >= lengths[passage_id]:
            where = origin.at(f"#passage-{passage_id}@{position}")
            raise RenderError(f"{where}: link #passage-{passage_id}@{position}: no such passage or index")
        return f'href="#passage-{passage_id}?position={position}" data-select="{position}"'

    return _PASSAGE_LINK.sub(link, page)
