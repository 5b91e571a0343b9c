"""Figures and passages: one numbering, options as data attributes, captions, and bad blocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from build.passages import Passage
from build.render.errors import RenderError
from build.render.figures import FIGURE_KINDS, figure_html, parse_figure, passage_figure
from tests.render_helpers import article


def test_figures_and_passages_share_one_numbering_and_keep_their_options(tmp_path: Path) -> None:
    result = article(
        tmp_path,
        'Title: T\n\nIntro.\n\n```figure autocomplete model=lstm text="parts of north"\n'
        "The *live* model, {{ models.gru.name }}.\n```\n\n"
        '```passage id=p position=3 highlights="1 3"\nab cd\n```\n\n'
        "See [the d](#passage-p@4).\n\n<!-- appendix -->\n\n```figure curves\nCurves.\n```\n",
    )
    body = result.body
    assert 'data-figure="autocomplete" data-model="lstm" data-text="parts of north"' in body
    assert "Figure 1:</span> The <em>live</em> model, GRU." in body
    assert 'id="passage-p" data-figure="passage"' in body and "Figure 2:</span>" in body
    assert 'data-highlights="1 3"' in body and '<p class="passage-text"> ab cd</p>' in body
    assert "Figure 3:</span> Curves." in result.appendix and "curves" not in body
    assert result.figures == 3 and "```" not in body and "MEMO" not in body + result.appendix


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ("nonsense", r"^a\.md:3: figure kind 'nonsense' is not one of hero, "),
        ("", r"^a\.md:3: figure kind 'nothing'"),
        ("units size", r"^a\.md:3: figure option 'size' is not key=value"),
        ("units Size=2", r"^a\.md:3: figure option 'Size=2' is not key=value"),
    ],
)
def test_bad_figure_blocks_name_file_and_line(info: str, message: str) -> None:
    with pytest.raises(RenderError, match=message):
        parse_figure(info, "cap", "a.md:3")


def test_a_figure_is_the_element_its_script_fills() -> None:
    figure = parse_figure('autocomplete model=gru text="a \\"b\\" <c>"', "  caption  \n", "a.md:1")
    assert figure.kind in FIGURE_KINDS and figure.caption == "caption"
    element = figure_html(figure, 4, "")
    assert element.startswith('<figure class="memo-figure" id="autocomplete" data-figure="auto')
    assert 'data-text="a &quot;b&quot; &lt;c&gt;"' in element
    assert '<span class="figure-number">Figure 4:</span> autocomplete</figcaption>' in element  # no caption


def test_a_passage_figure_carries_its_passage() -> None:
    passage = Passage("p", " ab <cd", ("lstm",), 2, (1, 2), "a.md:7")
    element = figure_html(passage_figure(passage), 1, "")
    assert 'id="passage-p" data-figure="passage" data-passage="p" data-src="data/passages/p.json"' in element
    assert 'data-position="2" data-highlights="1 2" data-models="lstm"' in element
    assert '<p class="passage-text"> ab &lt;cd</p>' in element and "Passage “p” as each model" in element


def test_a_figure_is_anchored_by_its_id_option_or_its_kind_and_keeps_its_numbered_alias(
    tmp_path: Path,
) -> None:
    result = article(
        tmp_path,
        "Title: T\n\n```figure curves\nOne.\n```\n\n```figure accuracy id=by-letters\nTwo.\n```\n\n"
        "```passage id=p\nab cd\n```\n",
    )
    body = result.body
    assert '<figure class="memo-figure" id="curves" data-figure="curves"' in body
    assert '<span class="memo-anchor" id="figure-curves-1"></span>' in body  # what earlier builds linked
    assert 'id="by-letters" data-figure="accuracy"' in body and 'id="figure-accuracy-2"' in body
    assert "data-id=" not in body  # the anchor is the id, not an option of the script
    assert 'id="passage-p" data-figure="passage"' in body and 'id="figure-passage-3"' not in body


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "```figure curves\nA.\n```\n\n```figure curves\nB.\n```\n",
            r"index\.md:7: figure anchor 'curves' is already the anchor of the figure at .*index\.md:3",
        ),
        (
            "```figure units id=passage-p\nA.\n```\n\n```passage id=p\nab\n```\n",
            r"index\.md:7: figure anchor 'passage-p' is already the anchor of the figure at .*index\.md:3",
        ),
        (
            "## Units\n\n```figure units\nA.\n```\n",
            r"index\.md:5: figure anchor 'units' is also the id of the heading “Units”",
        ),
        ("```figure units id=Big\nA.\n```\n", r"index\.md:3: figure id 'Big' is not a lowercase name"),
    ],
)
def test_an_anchor_used_twice_or_malformed_is_an_error_at_its_block(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(RenderError, match=message):
        article(tmp_path, "Title: T\n\n" + text)
