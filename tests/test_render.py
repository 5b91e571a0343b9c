"""Render: Markdown + Jinja2 + figures + math + citations -> HTML; every problem names file and line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from pybtex.database import parse_string

from build import passages, render

BIB = parse_string(
    """
@article{madsen2019, author = {Madsen, Andreas}, title = {Visualizing memorization in {RNNs}},
  journal = {Distill}, year = {2019}, doi = {10.23915/distill.00016}}
@article{cho2014, author = {Cho, Kyunghyun and Bengio, Yoshua}, title = {Learning phrase representations},
  year = {2014}, eprint = {1406.1078}}
""",
    "bibtex",
)
NAMES = {"models": {"gru": {"name": "GRU", "test": {"accuracy": 0.49016}}}, "dataset": {"words": 1046939}}


def article(tmp_path: Path, text: str, names: dict | None = None) -> render.Article:
    path = tmp_path / "index.md"
    path.write_text(text)
    return render.render_article(path, NAMES if names is None else names, ("gru",), BIB)


def test_numbers_come_from_the_names_through_filters(tmp_path: Path) -> None:
    body = article(
        tmp_path,
        "Title: T\n\nAccuracy {{ models.gru.test.accuracy | percent(2) }} on "
        "{{ dataset.words | thousands }} words & *more*.\n",
    ).body
    assert "Accuracy 49.02% on 1,046,939 words &amp; <em>more</em>." in body


def test_an_unknown_name_fails_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(render.RenderError, match=r"index\.md:4: UndefinedError.*accuracy"):
        article(tmp_path, "Title: T\n\nline three\n{{ models.gru.accuracy }}\n")
    with pytest.raises(render.RenderError, match=r"index\.md:3: "):
        article(tmp_path, "Title: T\n\n{{ unclosed \n")


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
    assert 'href="#passage-p" data-select="4"' in body
    assert "Figure 3:</span> Curves." in result.appendix and "curves" not in body
    assert result.figures == 3 and "```" not in body and "MEMO" not in body + result.appendix


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("```figure nonsense\ncap\n```\n", r"index\.md:3: figure kind 'nonsense' is not one of"),
        ("```figure units size\ncap\n```\n", r"index\.md:3: figure option 'size' is not key=value"),
        ("See [x](#passage-nope@3).\n", r"link #passage-nope@3: no such passage"),
        ("Cite [@nobody2020].\n", r"index\.md: citation @nobody2020 is not in"),
        ("Math $\\frac{a$ here.\n", r"index\.md: KaTeX parse error"),
    ],
)
def test_bad_input_names_the_file(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(render.RenderError, match=message):
        article(tmp_path, "Title: T\n\n" + text)


def test_a_bad_passage_block_fails_with_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(passages.PassageError, match=r"index\.md:4: "):
        article(tmp_path, "Title: T\n\nText.\n```passage id=Bad!\nab\n```\n")


def test_math_is_mathml_and_citations_are_numbered_with_cards(tmp_path: Path) -> None:
    result = article(
        tmp_path,
        "Title: T\n\nInline $c_l^t = i \\odot z$ and [@cho2014], then [@madsen2019; @cho2014].\n\n"
        "$$h^t = o \\odot \\tanh(c^t)$$\n\nA price of 5$ stays text.\n",
    )
    body = result.body
    assert body.count("<math") == 2 and 'display="block"' in body and "<msubsup>" in body
    assert '<a href="#ref-cho2014">[1]</a>' in body and '<a href="#ref-madsen2019">[2, 1]</a>' in body
    assert body.count('class="citation-card"') == 3 and "5$ stays text" in body
    keys = [key for key, _ in result.references]
    assert keys == ["cho2014", "madsen2019"]
    assert (
        "doi.org/10.23915/distill.00016" in result.references[1][1]
        and "arXiv:1406.1078" in result.references[0][1]
    )


def test_share_before_word_counts_what_precedes_the_current_word() -> None:
    text = " ab cd"
    row = np.array([1.0, 1.0, 1.0, 2.0, 5.0, 0.0])
    assert render.share_before_word(text, row, 4) == pytest.approx(3 / 10)  # the word " cd" starts at 3
    assert render.share_before_word(text, row, 3) == pytest.approx(3 / 5)


def test_filters() -> None:
    filters = render.environment(render.jinja2.BaseLoader(), autoescape=False).filters
    assert filters["duration"](186.4) == "3 min 6 s" and filters["duration"](22500) == "6 h 15 min"
    assert filters["bytes"](1500368) == "1.5 MB" and filters["fixed"](2.55927, 3) == "2.559"


def test_the_article_renders_with_the_real_sources(tiny_site: Path) -> None:
    """The repository's article/index.md and references.bib through the whole stage (tiny profile)."""
    page = (tiny_site / "index.html").read_text()
    manifest = json.loads((tiny_site / "data" / "manifest.json").read_text())
    assert (
        'data-src="data/passages/grammar.json"' in page
        and (tiny_site / "data/passages/grammar.json").exists()
    )
    assert 'data-highlights="28 34 106 32 159 162 141"' in page
    assert manifest["commit"][:12] in page and manifest["corpus_sha256"] in page
    assert "profile-note" in page and "<b>tiny</b>" in page  # not the paper profile: said so
    assert '<script type="application/json" id="memo-manifest">' in page and 'src="js/memo.js"' in page
    for kind in render.FIGURE_KINDS:
        assert f'data-figure="{kind}"' in page, kind
    assert "<math" in page and 'class="citation"' in page and 'id="ref-madsen2019"' in page
    assert (tiny_site / ".nojekyll").exists() and (tiny_site / "vendor" / "ort.wasm.min.js").exists()
    assert "```" not in page and "MEMO" not in page and "{{" not in page
    loads = re.findall(r'<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)="((?:https?:)?//[^"]*)', page)
    assert loads == []  # no CDN: everything the page loads comes from its own folder
