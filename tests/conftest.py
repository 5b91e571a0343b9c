"""Shared fixtures: every test writes runs and caches under a temporary folder, never into the checkout."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import onnxruntime as ort
import pytest
import torch

from build import checkpoints, cpu, dataset, profiles, run_files, train, units
from exporter import export
from tests.browser import BrowserMissing, launch
from tests.train_helpers import copy_runs_and_cache


def _point_at(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profiles, "RUNS_DIR", root / "runs")
    monkeypatch.setattr(profiles, "CACHE_DIR", root / "cache")


@pytest.fixture(autouse=True)
def flushed() -> None:
    """Every test starts with subnormal floats flushed, as every stage's process runs: creating an
    onnxruntime session resets the flag of the thread that creates it (the stages create none)."""
    cpu.flush_denormal()


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Runs and caches of this test go to tmp_path."""
    _point_at(tmp_path, monkeypatch)
    return tmp_path


@pytest.fixture
def unit_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str], Path]]:
    """write(name, source) puts a unit file <name>.py where `build.units.<name>` imports it from, a
    temporary folder on the package's path, so a test can try a researcher's unit without touching
    build/units/; the imported modules are forgotten afterwards."""
    folder = tmp_path / "units"
    folder.mkdir()
    monkeypatch.setattr(units, "__path__", [*units.__path__, str(folder)])
    # no .pyc: a file rewritten within the same second at the same size would import the old code
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    names: list[str] = []

    def forget(name: str) -> None:
        module = sys.modules.pop(f"{units.__name__}.{name}", None)
        if module is not None and vars(units).get(name) is module:
            delattr(units, name)

    def write(name: str, source: str) -> Path:
        path = folder / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        names.append(name)
        forget(name)
        importlib.invalidate_caches()  # the folder's listing is cached by its mtime, which may not change
        return path

    yield write
    for name in names:
        forget(name)


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder holding the tiny profile's dataset and its three trained models, made once a session."""
    root = tmp_path_factory.mktemp("tiny")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _point_at(root, monkeypatch)
        profile = profiles.load("tiny")
        dataset.prepare(profile)
        for config in profile.models:
            train.train(profile, config.key, torch.device("cpu"), progress=False)
    yield root


@pytest.fixture
def tiny(tiny_root: Path, monkeypatch: pytest.MonkeyPatch) -> profiles.Profile:
    """The trained tiny profile, with the stages pointed at it for one test (read it, do not change it)."""
    _point_at(tiny_root, monkeypatch)
    return profiles.load("tiny")


@pytest.fixture(scope="session")
def tiny_run(tiny_root: Path) -> Path:
    """The shared tiny run's directory, for a test whose stages point elsewhere to compare its own
    training with the session's (read it, do not change it)."""
    return tiny_root / "runs" / profiles.load("tiny").run_name


@pytest.fixture(scope="session")
def exported(tiny_root: Path) -> dict:
    """Each tiny model exported once: key -> (model, autocomplete session, connectivity session, report)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _point_at(tiny_root, monkeypatch)
        profile = profiles.load("tiny")
        result = {}
        for config in profile.models:
            report = export.export(profile, config.key)
            directory = profile.run_dir / config.key
            model, _ = checkpoints.load_trained(profile, config.key)
            result[config.key] = (
                model,
                ort.InferenceSession(str(directory / "autocomplete.onnx")),
                ort.InferenceSession(str(directory / "connectivity.onnx")),
                report,
            )
    return result


@pytest.fixture
def tiny_copy(tiny_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> profiles.Profile:
    """The trained tiny profile as the session's run stands now, copied into tmp_path with the stages
    pointed at the copy, for a test that changes the run."""
    copy_runs_and_cache(tiny_root, tmp_path)
    _point_at(tmp_path, monkeypatch)
    return profiles.load("tiny")


@pytest.fixture(scope="session")
def tiny_results(tiny_root: Path) -> dict:
    """The tiny run evaluated, measured (context.json, truncated.json, during.json) and gathered into
    results.json once a session, as Make's evaluate, lookback, truncated, during and results stages do;
    -> the results."""
    from build import during, evaluate, lookback, truncated
    from build import results as gathering

    with pytest.MonkeyPatch.context() as monkeypatch:
        _point_at(tiny_root, monkeypatch)
        profile = profiles.load("tiny")
        device = torch.device("cpu")
        for config in profile.models:
            metrics = evaluate.evaluate_trained(profile, config.key, device)
            run_files.write_json(metrics, profile.run_dir / config.key / "eval.json")
            context = lookback.measure_trained(profile, config.key)
            run_files.write_json(context, profile.run_dir / config.key / "context.json")
            cut = truncated.measure_trained(profile, config.key)
            run_files.write_json(cut, profile.run_dir / config.key / "truncated.json")
            points = during.measure_trained(profile, config.key)
            run_files.write_json({"during_training": points}, profile.run_dir / config.key / "during.json")
        baseline = evaluate.evaluate_baseline(dataset.load(profile))
        run_files.write_json(baseline, profile.run_dir / "baseline.json")
        results = gathering.gather(profile)
        run_files.write_json(results, profile.run_dir / "results.json")
    return results


@pytest.fixture(scope="session")
def tiny_built(tiny_root: Path, exported: dict, tiny_results: dict) -> Path:
    """tiny_root once the tiny run has every file of Make's run stages (exports, evaluations, results), so
    that Make finds a copy of it (copy_runs_and_cache) built but for the site and any model it lacks."""
    return tiny_root


@pytest.fixture(scope="session")
def tiny_site(tiny_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny profile's whole site (results, precomputed data, the page) in a temporary folder, built
    once a session the way `make article` builds site/. Needs node_modules (onnxruntime-web, KaTeX)."""
    from build import precompute
    from build.render import page

    site = tmp_path_factory.mktemp("tiny-site") / "site"
    with pytest.MonkeyPatch.context() as monkeypatch:
        _point_at(tiny_built, monkeypatch)
        monkeypatch.setenv("MEMORIZATION_SITE", str(site))
        profile = profiles.load("tiny")
        precompute.precompute(profile)
        page.render(profile)
    return site


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium for the browser tests, one per session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is not installed: run make install (it is a dev dependency)")
    with sync_playwright() as playwright:
        try:
            browser = launch(playwright)
        except BrowserMissing as error:
            pytest.fail(str(error))
        yield browser
        browser.close()
