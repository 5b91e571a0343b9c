"""The page for a run of 1, 4 or 6 models whose keys are any names: the tiny site (conftest.py `tiny_site`)
copied, its models renamed, repeated or dropped in every file that names them (manifest, results, curves,
passages; each new model borrows a tiny model's trained graphs), rendered again by the render stage, and
opened from disk in Chromium. Every figure lists every model of the manifest in the manifest's order, each
with the colour class of its place there; the charts draw them in distinct colours in the light and the
dark scheme; the units figure draws the units it knows and names the file of any other; the live figures
run every model; and the page prints no error.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from build import profiles
from build.figure_data import PUBLISHED_NAMES
from build.render import page as page_stage
from tests.browser import PageLog, open_page, start

# key, name, unit, and the tiny model whose trained graphs and data the model borrows
MODELS = {
    "1": [("mycell", "My cell", "mycell", "lstm")],
    "4": [
        ("nlstm", "Nested LSTM", "nlstm", "nlstm"),
        ("mgu", "MGU", "gru", "gru"),
        ("lstm", "LSTM", "lstm", "lstm"),
        ("mycell", "My cell", "mycell", "gru"),
    ],
    "6": [
        ("gru", "GRU", "gru", "gru"),
        ("lstm", "LSTM", "lstm", "lstm"),
        ("nlstm", "Nested LSTM", "nlstm", "nlstm"),
        ("mgu", "MGU", "gru", "gru"),
        ("peephole", "Peephole LSTM", "peephole", "lstm"),
        ("deep", "Deep cell", "deep", "nlstm"),
    ],
}
DRAWN_UNITS = ("gru", "lstm", "nlstm")  # the units that units.js has diagrams of
TODAYS_COLOURS = ["rgb(0, 114, 178)", "rgb(213, 94, 0)", "rgb(0, 158, 115)"]  # the first three, light

# Where each figure lists its models: kind -> selector of one element per model, inside the figure.
LISTS = {
    "hero": ".memo-panel[data-model]",
    "passage": ".figure-body > .memo-panels > .memo-panel",
    "units": "button.memo-unit",
    "autocomplete": "select.memo-model option",
    "accuracy": ".memo-controls button[data-model]",
    "owntext": ".memo-panel[data-model]",
    "curves": ".memo-controls button[data-model]",
    "lookback": ".memo-controls button[data-model]",
    "truncated": ".memo-controls button[data-model]",
    "skill": ".memo-controls button[data-model]",
}
LISTED = """lists => [...document.querySelectorAll("figure[data-figure]")].map(figure => {
    const kind = figure.dataset.figure;
    const items = kind in lists ? [...figure.querySelectorAll(lists[kind])] : [];
    return [kind, items.map(e => [e.dataset.model || e.value,
                                  [...e.classList].filter(c => c.startsWith("memo-colour-"))])];
})"""
STROKES = """figure => [...document.querySelectorAll(
    `figure[data-figure=${figure}] .memo-controls button[data-model] .memo-swatch line`)]
    .map(line => getComputedStyle(line).stroke)"""
BASELINE = """() => getComputedStyle(document.querySelector(
    "figure[data-figure=accuracy] button[data-k] .memo-swatch line")).stroke"""


def _renamed(entry: dict, key: str, name: str, unit: str) -> dict:
    return {**copy.deepcopy(entry), "key": key, "name": name, "unit": unit}


def vary(tiny_site: Path, root: Path, models: list[tuple[str, str, str, str]]) -> Path:
    """The tiny site copied to root/site with `models` instead of the tiny run's, rendered again."""
    site = root / "site"
    shutil.copytree(tiny_site, site)
    data = site / "data"

    def edit(name: str, change) -> dict:
        path = data / name
        value = json.loads(path.read_text())
        change(value)
        path.write_text(json.dumps(value))
        return value

    def manifest(value: dict) -> None:
        described = {m["key"]: m for m in value["models"]}
        value["models"] = [_renamed(described[s], k, n, u) for k, n, u, s in models]

    def results(value: dict) -> None:
        ours = {m["key"]: m for m in value["models"]}
        value["models"] = [_renamed(ours[s], k, n, u) for k, n, u, s in models]
        for entry in value["models"]:
            if entry["key"] not in PUBLISHED_NAMES:  # set beside the published data only when it is its own
                entry.pop("connectivity_vs_published", None)

    def curves(value: dict) -> None:
        value["models"] = {k: {**value["models"][s], "name": n} for k, n, _, s in models}

    def passage(value: dict) -> None:
        value["models"] = {k: value["models"][s] for k, _, _, s in models}

    edit("manifest.json", manifest)
    run_results = edit("results.json", results)
    edit("curves.json", curves)
    for path in sorted((data / "passages").glob("*.json")):
        edit(f"passages/{path.name}", passage)

    tiny = {config.key: config for config in profiles.load("tiny").models}
    configs = tuple(dataclasses.replace(tiny[s], key=k, name=n, unit=u) for k, n, u, s in models)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(profiles, "RUNS_DIR", root / "runs")
        monkeypatch.setenv("MEMORIZATION_SITE", str(site))
        profile = dataclasses.replace(profiles.load("tiny"), models=configs)
        profile.run_dir.mkdir(parents=True)
        (profile.run_dir / "results.json").write_text(json.dumps(run_results))
        page_stage.render(profile)
    return site


@pytest.fixture(scope="module")
def sites(tiny_site: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {n: vary(tiny_site, tmp_path_factory.mktemp(f"models-{n}"), m) for n, m in MODELS.items()}


@pytest.fixture
def opened(request, chromium, sites: dict[str, Path]) -> Iterator[tuple[object, PageLog]]:
    with open_page(chromium, (sites[request.param] / "index.html").as_uri()) as (page, log):
        page.wait_for_selector("figure[data-figure=passage][data-selected]")
        for kind in ("hero", "units", "accuracy", "curves", "lookback", "truncated", "skill"):
            page.wait_for_selector(f"figure[data-figure={kind}] .figure-body[data-state=ready]")
        yield page, log


@pytest.mark.parametrize("opened", list(MODELS), indirect=True, ids=lambda n: f"{n}-models")
def test_every_figure_lists_every_model_in_its_own_colour(opened, request) -> None:
    page, log = opened
    models = MODELS[request.node.callspec.params["opened"]]
    keys = [key for key, *_ in models]
    expected = [[key, [f"memo-colour-{i}"]] for i, key in enumerate(keys)]

    start(page, "figure[data-figure=autocomplete]", "figure[data-figure=autocomplete] .figure-body")
    start(page, "figure[data-figure=owntext]", "figure[data-figure=owntext] .figure-body")  # every model runs
    listed = page.evaluate(LISTED, LISTS)
    assert {kind for kind, _ in listed} >= set(LISTS), listed
    for kind, items in listed:
        if kind == "hero":  # one model: the manifest's first
            assert items == expected[:1], (kind, items)
        elif kind in LISTS:
            assert items == expected, (kind, items)

    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for figure in ("accuracy", "curves", "lookback", "truncated", "skill"):
            strokes = page.evaluate(STROKES, figure)
            assert len(strokes) == len(keys) == len(set(strokes)), (scheme, figure, strokes)
            assert all(s.startswith("rgb(") for s in strokes), (scheme, figure, strokes)
            if scheme == "light" and keys[:3] == ["gru", "lstm", "nlstm"]:
                assert strokes[:3] == TODAYS_COLOURS, strokes
        baseline = page.evaluate(BASELINE)  # the reference lines keep their grey
        assert baseline == {"light": "rgb(140, 140, 140)", "dark": "rgb(154, 154, 154)"}[scheme], baseline

    units = "figure[data-figure=units]"
    for key, name, unit, _ in models:
        page.click(f"{units} button.memo-unit[data-model='{key}']")
        view = page.locator(f"{units} .memo-unit-view[data-model='{key}']")
        assert view.is_visible() and page.get_attribute(units, "data-model") == key
        if unit in DRAWN_UNITS:
            assert view.locator(f"svg[data-unit='{unit}']").count() == 1, key
        else:
            said = view.locator(".memo-units-missing").text_content()
            assert said == f"No diagram for {name}; its equations are in build/units/{unit}.py.", said

    states = page.eval_on_selector_all(
        "figure[data-figure] .figure-body", "bodies => bodies.map(b => b.getAttribute('data-state'))"
    )
    assert "error" not in states, states
    assert not log.problems(), log.problems()
