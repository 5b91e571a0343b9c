"""The registry of figure kinds (build/figure_kinds.py): everything about a kind derives from its entry,
an unknown kind is an error that names it, and a new kind is one entry plus its script."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pytest

from build import figure_kinds, site_layout
from build.render import page as page_stage
from build.render import snapshots
from build.render.errors import RenderError
from build.render.figures import parse_figure
from build.run_files import ARTICLE_DIR
from tests.browser import open_page
from tests.render_helpers import build_site, fixture_json

ROOT = Path(__file__).resolve().parents[1]

TALLY_SCRIPT = """\
/* tally.js: a made-up figure kind, drawn from its data-src (data/results.json). */
(function () {
  "use strict";
  Memo.register("tally", function (figure) {
    var body = figure.querySelector(".figure-body");
    return Memo.load(figure.getAttribute("data-src")).then(function (results) {
      body.textContent = "models: " + results.models.map(function (m) { return m.key; }).join(" ");
      body.setAttribute("data-state", "ready");
    });
  });
})();
"""


def test_every_kind_has_its_script_and_every_script_its_kind() -> None:
    scripts = {p.stem for p in (ARTICLE_DIR / "static" / "js" / "figures").glob("*.js")}
    assert scripts == set(figure_kinds.KINDS)
    for entry in figure_kinds.KINDS.values():
        assert entry.script == f"js/figures/{entry.name}.js" and entry.describe
        assert entry.snapshot is None or callable(figure_kinds.resolve(entry.snapshot)), entry.name
        for data in entry.data:
            assert data.writer is None or callable(figure_kinds.resolve(data.writer)), data.name


def test_the_lists_derive_from_the_registry() -> None:
    assert figure_kinds.FIGURE_KINDS == tuple(k for k in figure_kinds.KINDS if k != "passage")
    assert figure_kinds.LIVE_KINDS == ("autocomplete", "owntext")
    assert [d.url for d in figure_kinds.data_files()] == [
        "data/vanishing.json",
        "data/results.json",
        "data/published.json",
        "data/curves.json",
    ]


def test_the_skill_kind_reads_the_results_and_draws_its_own_snapshot(tmp_path: Path) -> None:
    """Memory against skill reads data/results.json (each seed's during_training) and is drawn at build
    time by build/render/skill.py, as the chart the page starts with, not the generic placeholder."""
    entry = figure_kinds.kind("skill")
    assert entry.data == (figure_kinds.RESULTS,) and not entry.live and entry.block
    assert entry.snapshot == "build.render.skill:skill_snapshot"
    assert entry.source({}) == "data/results.json"
    results, manifest, _ = fixture_json()
    site = tmp_path / "site"
    target = site_layout.under(site, figure_kinds.RESULTS.url)
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(results))
    drawn = snapshots.draw(
        parse_figure("skill", "Caption.", "index.md:1"), snapshots.Inputs(site, manifest, [])
    )
    assert drawn.count("<polyline") == len(results["models"]) + 1 and "With JavaScript on" not in drawn


def test_the_registry_imports_no_torch_and_no_later_stage() -> None:
    """The render imports it: it may name the precompute's functions, never import them up front."""
    for module in ("build/figure_kinds.py", "build/site_layout.py"):
        tree = ast.parse((ROOT / module).read_text())
        imported = {
            alias.name if isinstance(node, ast.Import) else node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in getattr(node, "names", [])
        }
        assert not {m for m in imported if m and m.split(".")[0] in ("torch", "numpy", "onnx")}, module
        assert not {m for m in imported if m and m.startswith(("build.render", "build.precompute"))}, module


@pytest.mark.parametrize("name", ["chart", "lookbak", "passage"])
def test_an_unknown_kind_is_an_error_that_names_it_and_where(name: str) -> None:
    with pytest.raises(RenderError, match=rf"^index\.md:12: figure kind '{name}' is not one of hero, "):
        parse_figure(f"{name} model=gru", "Caption.", "index.md:12")
    with pytest.raises(figure_kinds.UnknownFigureKind, match=r"^figure kind 'chart' is not one of"):
        figure_kinds.kind("chart")


def test_the_snapshot_of_an_unknown_kind_is_an_error_not_another_kinds_drawing(tmp_path: Path) -> None:
    """No branch draws a kind it does not know as if it were some other kind."""
    figure = parse_figure("curves", "Caption.", "index.md:3")
    figure.kind = "chart"
    with pytest.raises(figure_kinds.UnknownFigureKind, match=r"^index\.md:3: figure kind 'chart'"):
        snapshots.draw(figure, snapshots.Inputs(tmp_path, {"models": []}, []))


@pytest.fixture
def tally(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of article/ with a figure of a made-up kind `tally` (its registry entry and its script,
    nothing else), rendered from the fixture JSON; -> the site."""
    article = tmp_path / "article"
    shutil.copytree(ARTICLE_DIR, article, ignore=shutil.ignore_patterns("reference"))
    (article / "static" / "js" / "figures" / "tally.js").write_text(TALLY_SCRIPT)
    text = (article / "index.md").read_text()
    block = "```figure tally\nHow many models this build has.\n```\n\n"
    (article / "index.md").write_text(text.replace("\n## ", "\n" + block + "## ", 1))
    entry = figure_kinds.FigureKind("tally", (figure_kinds.RESULTS,), describe="A tally of the models")
    monkeypatch.setitem(figure_kinds.KINDS, "tally", entry)
    monkeypatch.setattr(page_stage, "ARTICLE_DIR", article)
    build_site(tmp_path, monkeypatch, *fixture_json())
    return tmp_path / "site"


def test_a_new_kind_is_one_registry_entry_and_its_script(tally: Path, chromium) -> None:
    html_page = (tally / "index.html").read_text()
    element = re.search(r'<figure class="memo-figure" id="tally".*?</figure>', html_page, re.S)[0]
    assert 'data-figure="tally" data-src="data/results.json"' in element  # its first data file
    assert "How many models this build has." in element
    assert '<script defer src="js/figures/tally.js"></script>' in html_page
    assert 'alt="A tally of the models: the figure as it starts' in element
    snapshot = site_layout.under(tally, site_layout.snapshot_file("tally")).read_text()
    assert "A tally of the models" in snapshot and "With JavaScript on" in snapshot
    assert (tally / "figures" / "tally.html").is_file()  # its page, to embed
    with open_page(chromium, (tally / "index.html").as_uri()) as (browser_page, _log):
        browser_page.wait_for_selector('#tally .figure-body[data-state="ready"]')
        assert browser_page.text_content("#tally .figure-body") == "models: gru lstm nlstm"
