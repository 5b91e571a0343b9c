"""A figure as a file, in Chromium on the tiny site: every figure's "Download SVG", "Download PNG" and
"Download data" (and "Download CSV" where its data is a table) give a file that parses, named after the
figure, its model(s) and the run, citing the page and the run."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.browser import open_page

LIVE = ("autocomplete", "owntext")


@pytest.fixture(scope="module")
def page(chromium, tiny_site: Path):
    url = (tiny_site / "index.html").as_uri()
    with open_page(chromium, url, timeout=60_000, accept_downloads=True) as (opened, log):
        opened.wait_for_selector("#passage-grammar[data-selected]")
        yield opened, log


def download(page, button: str, folder: Path) -> tuple[str, bytes]:
    with page.expect_download() as waiting:
        page.click(button)
    got = waiting.value
    path = folder / got.suggested_filename
    got.save_as(path)
    return got.suggested_filename, path.read_bytes()


def figure_ids(page) -> list[str]:
    return page.eval_on_selector_all("figure[data-figure]", "fs => fs.map(f => f.id)")


def test_every_figure_downloads_as_svg_png_and_data(page, tmp_path: Path) -> None:
    page, log = page
    run = json.loads(page.eval_on_selector("#memo-manifest", "e => e.textContent"))["run"]
    ids = figure_ids(page)
    assert len(ids) >= 9, ids
    for anchor in ids:
        figure = f"#{anchor}"
        page.locator(figure).scroll_into_view_if_needed()
        page.wait_for_selector(f"{figure} .figure-body[data-state=ready]")
        if page.get_attribute(figure, "data-figure") in LIVE:
            page.wait_for_function(
                "f => Number(document.querySelector(f + ' .figure-body').dataset.updates) > 0", arg=figure
            )

        name, svg = download(page, f"{figure} .memo-download-svg", tmp_path)
        assert name.startswith(anchor + "-") and name.endswith(f"-{run}.svg"), name
        root = ElementTree.fromstring(svg)  # an XML parser reads it: a standalone SVG
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and float(root.get("width")) > 100
        texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
        assert f"#{anchor}" in texts and f"run {run}" in texts  # the footer cites the figure and the run

        name, png = download(page, f"{figure} .memo-download-png", tmp_path)
        assert name == name.rsplit(".", 1)[0] + ".png" and png[:8] == b"\x89PNG\r\n\x1a\n", name
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert width == 2 * int(root.get("width")) and height > 100  # twice the screen's resolution

        name, raw = download(page, f"{figure} .memo-download-data", tmp_path)
        assert name.endswith(f"-{run}.json"), name
        data = json.loads(raw)
        assert data["figure"] == anchor and data["run"] == run
        assert data["link"].split("#", 1)[1].split("?")[0] == anchor  # a link to the state downloaded
        assert data["data"], (anchor, data)

        if page.is_visible(f"{figure} .memo-download-csv"):
            name, raw = download(page, f"{figure} .memo-download-csv", tmp_path)
            rows = list(csv.reader(io.StringIO(raw.decode())))
            assert name.endswith(f"-{run}.csv") and len(rows) > 2 and rows[-1][0].startswith("# "), name
    assert not log.problems(), log.problems()


def test_a_connectivity_view_downloads_what_it_shows(page, tiny_site: Path, tmp_path: Path) -> None:
    page, log = page
    passage = "#passage-grammar"
    page.click(f"{passage} .memo-highlight[data-position='106']")
    name, raw = download(page, f"{passage} .memo-download-data", tmp_path)
    data = json.loads(raw)
    assert data["state"] == {"position": 106} and data["data"]["position"] == 106
    shown = json.loads((tiny_site / "data" / "passages" / "grammar.json").read_text())
    models = [p["panel"] for p in data["data"]["panels"] if not p["panel"].startswith("published-")]
    assert models == list(shown["models"])
    assert all(len(p["connectivity"]) == 107 for p in data["data"]["panels"])
    name, raw = download(page, f"{passage} .memo-download-csv", tmp_path)
    rows = list(csv.reader(io.StringIO(raw.decode())))
    assert rows[0][:2] == ["index", "character"] and len(rows) == 1 + 107 + 1  # header, rows, citation
    name, raw = download(page, "#autocomplete .memo-download-data", tmp_path)
    assert name.startswith("autocomplete-gru-")  # the model the figure shows
    page.select_option("#autocomplete select.memo-model", "lstm")
    name, raw = download(page, "#autocomplete .memo-download-svg", tmp_path)
    run = json.loads(page.eval_on_selector("#memo-manifest", "e => e.textContent"))["run"]
    assert name == f"autocomplete-lstm-{run}.svg", name
    name, raw = download(page, "#owntext .memo-download-svg", tmp_path)
    assert name == f"owntext-{run}.svg", name  # a figure of every model: named after none of them
    assert not log.problems(), log.problems()
