"""The paper path end to end on a CPU: `make article PROFILE=paper-shapes` (the original's sizes, 600 units
and 16,386 classes, on Brown for a few steps) builds a site of that run whose web models fit the
download budget and whose live figures, in Chromium, say how large their download is, wait for the
reader's click, then give what onnxruntime gives in Python.

Slow (about 20 minutes on two cores): it is the one test that builds at the paper's sizes.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from build import profiles
from tests.browser import open_page, serve, updates, wait_updated
from tests.test_browser import (
    AC_BODY,
    AUTOCOMPLETE,
    OWN_BODY,
    OWNTEXT,
    Loaded,
    Reference,
    check_autocomplete,
    check_owntext,
    prepare,
)
from tests.test_make import isolated_env

MIB = 2**20
MODEL_BUDGET = 21 * MIB  # what a reader downloads for one model: its two graphs and its weights
FILE_LIMIT = 50 * MIB  # GitHub warns above 50 MB per file


@pytest.fixture(scope="module")
def paper_shapes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """The paper-shapes site built by Make's command-line form, in a temporary folder."""
    root = tmp_path_factory.mktemp("paper-shapes")
    env = isolated_env(root)
    command = ["make", "article", "PROFILE=paper-shapes"]
    built = subprocess.run(command, cwd=profiles.ROOT, env=env, capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    return root / "site", built


def manifest_of(site: Path) -> dict:
    return json.loads((site / "data" / "manifest.json").read_text())


def test_the_site_is_the_paper_shapes_run(paper_shapes) -> None:
    site, built = paper_shapes
    summary = next(line for line in built.stdout.splitlines() if line.startswith("article: "))
    assert summary.startswith("article: profile paper-shapes -> ")
    assert summary.split()[4].endswith("index.html")
    manifest = manifest_of(site)
    assert manifest["run"] == "paper-shapes" and manifest["profile"] == "paper-shapes"
    assert [m["units"] for m in manifest["models"]] == [600, 600, 600]
    assert all(m["vocab_size"] == 16_386 and m["embedding"] == 600 for m in manifest["models"])
    results = json.loads((site / "data" / "results.json").read_text())
    assert results["evaluation"]["observations"] == 256 < results["evaluation"]["test_observations"]


def test_web_models_fit_the_budget(paper_shapes) -> None:
    site, _ = paper_shapes
    for model in manifest_of(site)["models"]:
        files = [model["weights_file"], *model["graphs"].values()]
        sizes = [(site / f["file"]).stat().st_size for f in files]
        assert sizes == [f["bytes"] for f in files]
        assert sum(sizes) == model["download_bytes"] <= MODEL_BUDGET, (model["key"], sizes)
        for graph in model["graphs"].values():
            assert graph["bytes"] < 200_000  # the weights live in the one shared file
    large = [(p, p.stat().st_size) for p in site.rglob("*") if p.is_file() and p.stat().st_size > FILE_LIMIT]
    assert not large


def test_the_page_says_what_it_is(paper_shapes) -> None:
    site, _ = paper_shapes
    html = (site / "index.html").read_text()
    note = html[html.index('class="profile-note"') :][:1500]
    assert "paper-shapes" in note and "600 units" in note and "not trained" in note
    assert "trained for minutes" not in note and "can be compared directly" not in html


@pytest.mark.parametrize("mode", ["file", "http"])
def test_live_figures_ask_before_downloading_then_match_python(paper_shapes, chromium, mode: str) -> None:
    site, _ = paper_shapes
    manifest = manifest_of(site)
    reference = Reference(site, manifest, json.loads((site / "data" / "vocab.json").read_text()))
    with serve(site) as origin:
        if mode == "file":
            origin, url = "file://", (site / "index.html").as_uri()
        else:
            url = origin + "/index.html"
        with open_page(chromium, url, origin, timeout=60_000) as (page, log):
            loaded = Loaded(mode, page, log, site)

            page.locator(AUTOCOMPLETE).scroll_into_view_if_needed()
            button = page.locator(AUTOCOMPLETE + " button.memo-load")
            button.wait_for()
            status = page.text_content(AUTOCOMPLETE + " .memo-status")
            first = manifest["models"][0]
            assert "downloads" in status and " MB" in status, status
            page.wait_for_timeout(500)
            assert page.get_attribute(AC_BODY, "data-state") == "idle"
            assert not [u for u in log.requests if "weights.web.bin" in u]  # nothing large before the click
            button.click()
            wait_updated(page, AC_BODY, 0, timeout=120_000)
            check_autocomplete(loaded, reference, first["key"], "the history of the gr")

            page.locator(OWNTEXT).scroll_into_view_if_needed()
            own_button = page.locator(OWNTEXT + " button.memo-load")
            own_button.wait_for()
            before = updates(page, OWN_BODY)
            own_button.click()
            wait_updated(page, OWN_BODY, before, timeout=180_000)
            text = prepare(page.input_value(OWNTEXT + " .memo-input"), keep_trailing_space=False)
            check_owntext(loaded, reference, text)
            loaded.assert_clean()
            weights = [u for u in log.requests if "weights.web.bin" in u]
            assert len(weights) == len(manifest["models"])  # each weights file fetched once for both graphs
