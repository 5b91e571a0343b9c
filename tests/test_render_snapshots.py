"""Build-time snapshots for readers without JavaScript: every figure's default state as an SVG file, in
the page's colours, shown inside <noscript> (and so never fetched by a reader with scripts)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import numpy as np

from build.render import snapshots
from build.render.og_image import colour
from build.run_files import ARTICLE_DIR
from tests.browser import open_page, serve

SVG = "{http://www.w3.org/2000/svg}"


def test_the_model_colours_are_the_pages() -> None:
    css = (ARTICLE_DIR / "static" / "figures.css").read_text()
    light = css[: css.index("@media")]
    found = dict(re.findall(r"--memo-colour-(\d): (#[0-9a-f]{6});", light))
    assert tuple(found[str(i)] for i in range(6)) == snapshots.MODEL_COLOURS
    assert f"--memo-baseline: {snapshots.BASELINE};" in light


def test_every_figure_has_a_snapshot_that_the_page_shows_without_scripts(tiny_site: Path) -> None:
    page = (tiny_site / "index.html").read_text()
    anchors = re.findall(r'<figure class="memo-figure" id="([^"]+)"', page)
    assert sorted(p.stem for p in (tiny_site / "snapshots").glob("*.svg")) == sorted(anchors)
    for anchor in anchors:
        root = ElementTree.parse(tiny_site / "snapshots" / f"{anchor}.svg").getroot()
        assert root.tag == f"{SVG}svg" and float(root.get("width")) > 0 and float(root.get("height")) > 40
        assert len(list(root.iter())) > 5, anchor  # something drawn, not an empty box
        element = re.search(rf'<figure class="memo-figure" id="{anchor}".*?</figure>', page, re.S)[0]
        assert f'<noscript><img class="memo-snapshot" src="snapshots/{anchor}.svg"' in element


def test_a_passage_snapshot_shades_the_selected_row_in_the_pages_colours(tiny_site: Path) -> None:
    root = ElementTree.parse(tiny_site / "snapshots" / "hero.svg").getroot()
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")][1:]  # the background first
    strongest = "#{:02x}{:02x}{:02x}".format(*colour(1.0))
    assert strongest in fills  # the character with the largest connectivity
    selected = [r for r in root.iter(f"{SVG}rect") if r.get("stroke") == "#111111"]
    assert len(selected) == 1  # the output position


def test_without_javascript_every_figure_shows_its_snapshot(chromium, tiny_site: Path) -> None:
    url = (tiny_site / "index.html").as_uri()
    with open_page(chromium, url, java_script_enabled=False) as (page, log):
        anchors = page.eval_on_selector_all("figure[data-figure]", "fs => fs.map(f => f.id)")
        assert len(anchors) >= 9
        for anchor in anchors:
            image = page.locator(f"#{anchor} img.memo-snapshot")
            assert image.is_visible(), anchor
            width, height = image.evaluate("i => [i.naturalWidth, i.naturalHeight]")
            box = image.bounding_box()
            assert width > 0 and height > 0 and box["width"] > 0 and box["height"] > 0, anchor
            note = page.text_content(f"#{anchor} .memo-noscript")
            live = page.get_attribute(f"#{anchor}", "data-figure") in ("autocomplete", "owntext")
            assert ("A live figure" in note) == live, (anchor, note)
        assert not log.problems(), log.problems()


def test_the_first_view_over_http_stays_small(chromium, tiny_site: Path) -> None:
    """The snapshots wait in <noscript>: a reader with scripts downloads none of them, nor the passages'
    training steps (loaded when a reader asks for a step), and the page's first view (nothing scrolled,
    nothing clicked) stays under 2 MB."""
    with serve(tiny_site) as origin:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            sizes: dict[str, int] = {}
            page.on("requestfinished", lambda r: sizes.__setitem__(r.url, r.sizes()["responseBodySize"]))
            page.goto(origin + "/index.html")
            page.wait_for_selector("#hero[data-selected]")
            page.wait_for_load_state("networkidle")
        finally:
            context.close()
    assert not [url for url in sizes if "/snapshots/" in url], sorted(sizes)
    assert list((tiny_site / "data" / "passages").glob("*.steps.json"))  # there are some to leave alone
    assert not [url for url in sizes if ".steps.json" in url], sorted(sizes)
    assert 0 < sum(sizes.values()) < 2 * 2**20, (
        sum(sizes.values()),
        sorted(sizes.items(), key=lambda x: -x[1])[:5],
    )


def test_the_live_figures_snapshots_are_the_page_graphs_first_results(tiny_site: Path) -> None:
    import onnxruntime

    manifest = json.loads((tiny_site / "data" / "manifest.json").read_text())
    words = json.loads((tiny_site / "data" / "vocab.json").read_text())
    page = (tiny_site / "index.html").read_text()
    text = " " + re.search(r'id="autocomplete"[^>]*data-text="([^"]+)"', page)[1]
    model = manifest["models"][0]
    session = onnxruntime.InferenceSession(str(tiny_site / "models" / model["key"] / "autocomplete.web.onnx"))
    chars = np.array([1 if c == " " else ord(c) - 95 for c in text], np.int64)
    ids, _, _ = session.run(None, {"chars": chars, "state": np.zeros(model["state_size"], np.float32)})
    root = ElementTree.parse(tiny_site / "snapshots" / "autocomplete.svg").getroot()
    shown = [t.text for t in root.iter(f"{SVG}text")]
    assert [words[i] for i in ids[:5]] == [s for s in shown if s in words][:5]
    own = ElementTree.parse(tiny_site / "snapshots" / "owntext.svg").getroot()
    titles = [t.text for t in own.iter(f"{SVG}text") if t.text and "top guesses" in t.text]
    assert len(titles) == len(manifest["models"])  # every model's panel
