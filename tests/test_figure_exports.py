"""A figure as a file (js/lib/76-export.js) in Chromium, at a desktop's and a phone's width: the SVG (and
so the PNG drawn from it) carries what the figure shows (the charts' key, the passage's colour bar,
section heading and rank numbers) with no blank band where the controls were, and a figure of several
models is named without any one model's name."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.browser import open_page

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module", params=[1280, 375], ids=["1280px", "375px"])
def page(request, chromium, tiny_site: Path):
    with open_page(chromium, (tiny_site / "index.html").as_uri(), width=request.param) as (opened, log):
        for anchor in ("accuracy", "passage-grammar", "curves", "lookback"):
            opened.wait_for_selector(f"#{anchor} .figure-body[data-state=ready]")
        yield opened
        assert not log.problems(), log.problems()


def exported(page, anchor: str) -> ElementTree.Element:
    text = page.evaluate(f"Memo.figureSVG(document.getElementById('{anchor}'))")
    return ElementTree.fromstring(text.split("\n", 1)[1])


def drawn(root: ElementTree.Element) -> list[tuple[float, float, ElementTree.Element]]:
    """Every text, rect and chart of the file's body as (top, bottom, element), the groups' shifts
    applied; the footer (the last texts, 10 px sans) and the background left out."""
    found: list[tuple[float, float, ElementTree.Element]] = []

    def walk(node: ElementTree.Element, shift: float) -> None:
        for child in node:
            tag = child.tag.removeprefix(SVG)
            if tag == "g":
                moved = re.search(r"translate\(0 (-?[\d.]+)\)", child.get("transform") or "")
                walk(child, shift + (float(moved[1]) if moved else 0))
            elif tag == "svg":
                top = float(child.get("y")) + shift
                found.append((top, top + float(child.get("height")), child))
            elif tag == "rect" and child.get("y") is not None:
                top = float(child.get("y")) + shift
                found.append((top, top + float(child.get("height")), child))
            elif tag == "text" and child.get("font-size") != "10":
                bottom = float(child.get("y")) + shift
                found.append((bottom - 12, bottom, child))

    walk(root, 0.0)
    return found


def test_an_export_has_no_blank_band_where_the_controls_were(page) -> None:
    for anchor in ("accuracy", "passage-grammar", "curves", "lookback"):
        parts = sorted(drawn(exported(page, anchor)), key=lambda p: p[0])
        assert parts[0][0] < 24, (anchor, parts[0][0])  # the first thing drawn starts at the top
        reach = parts[0][1]
        for top, bottom, _ in parts[1:]:
            assert top - reach < 40, (anchor, reach, top)  # no empty stretch taller than a line or two
            reach = max(reach, bottom)


def test_an_export_of_charts_carries_their_key(page) -> None:
    for anchor in ("accuracy", "curves", "lookback"):
        root = exported(page, anchor)
        outside = [t.text for t in root.findall(f"{SVG}g/{SVG}text")]
        labels = page.evaluate(
            f"""[...new Set(document.getElementById('{anchor}').memoCharts
                .filter(c => c.svg.getBoundingClientRect().width)
                .flatMap(c => c.series.map(s => s.label)))]"""
        )
        assert labels and set(labels) <= set(outside), (anchor, labels, outside)


def test_a_passage_export_keeps_its_colour_bar_heading_and_ranks(page) -> None:
    root = exported(page, "passage-grammar")
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "The original’s published results" in texts
    panels = page.eval_on_selector_all("#passage-grammar ol.memo-top3", "ls => ls.length")
    for rank in ("1.", "2.", "3."):
        assert texts.count(rank) == panels, (rank, texts.count(rank), panels)
    stops = root.findall(f".//{SVG}linearGradient/{SVG}stop")
    assert len(stops) >= 2  # the colour bar: a gradient from no connection to the largest
    ramp = [r for r in root.iter(f"{SVG}rect") if (r.get("fill") or "").startswith("url(#")]
    assert len(ramp) == 1 and float(ramp[0].get("width")) > 40
    outlined = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == "none" and r.get("stroke") != "none"]
    assert outlined  # the selected output character's outline


@pytest.mark.parametrize(
    ("anchor", "model"),
    [("accuracy", None), ("curves", None), ("lookback", None), ("passage-grammar", None), ("hero", "gru")],
)
def test_a_file_names_a_model_only_for_a_figure_of_one_model(
    page, tiny_site: Path, anchor: str, model: str | None
) -> None:
    run = json.loads((tiny_site / "data" / "manifest.json").read_text())["run"]
    page.wait_for_selector(f"#{anchor} .figure-body[data-state=ready]")
    with page.expect_download() as download:
        page.click(f"#{anchor} .memo-download-svg")
    expected = "-".join(part for part in (anchor, model, run) if part) + ".svg"
    assert download.value.suggested_filename == expected


def test_the_citation_under_an_export_fits_its_width(page) -> None:
    for anchor in ("accuracy", "passage-grammar"):
        root = exported(page, anchor)
        width = float(root.get("width"))
        footer = [t.text for t in root.findall(f"{SVG}text") if t.get("font-size") == "10"]
        assert len(footer) >= 3 and any(f"#{anchor}" in line for line in footer), footer
        assert all(len(line) * 5.5 <= width for line in footer), (width, footer)
