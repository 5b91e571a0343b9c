"""Links into passage figures: `#passage-ID@POS` selects a position; a bad one names the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from build.passages import Passage
from build.render.crossrefs import link_passages
from build.render.errors import Origin, RenderError
from tests.render_helpers import article

PASSAGE = Passage("p", " ab cd", ("gru",), 3, (), "a.md:1")


def test_a_link_selects_a_position_of_the_passage(tmp_path: Path) -> None:
    body = article(tmp_path, "Title: T\n\n```passage id=p\nab cd\n```\n\nSee [the d](#passage-p@4).\n").body
    assert '<a href="#passage-p?position=4" data-select="4">the d</a>' in body  # a link to that state


@pytest.mark.parametrize("target", ["nope@3", "p@6"])
def test_a_link_to_no_passage_or_past_its_end_names_the_line(target: str) -> None:
    source = f"one\ntwo [x](#passage-{target})\n"
    page = f'<a href="#passage-{target}">x</a>'
    with pytest.raises(RenderError, match=rf"^a\.md:2: link #passage-{target}: no such passage or index"):
        link_passages(page, [PASSAGE], Origin(Path("a.md"), source))


def test_other_links_are_left_alone() -> None:
    page = '<a href="#passage-p">x</a> <a href="#figure-1@2">y</a>'
    assert link_passages(page, [PASSAGE], Origin(Path("a.md"), "")) == page
