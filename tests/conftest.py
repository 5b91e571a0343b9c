"""Shared fixtures: every test writes runs and caches under a temporary folder, never into the checkout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import onnxruntime as ort
import pytest
import torch

from build import dataset, profiles, train
from exporter import export


def _point_at(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profiles, "RUNS_DIR", root / "runs")
    monkeypatch.setattr(profiles, "CACHE_DIR", root / "cache")


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Runs and caches of this test go to tmp_path."""
    _point_at(tmp_path, monkeypatch)
    return tmp_path


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
def exported(tiny_root: Path) -> dict:
    """Each tiny model exported once: key -> (model, autocomplete session, connectivity session, report)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _point_at(tiny_root, monkeypatch)
        profile = profiles.load("tiny")
        result = {}
        for config in profile.models:
            report = export.export(profile, config.key)
            directory = profile.run_dir / config.key
            model, _ = train.load_trained(profile, config.key)
            result[config.key] = (
                model,
                ort.InferenceSession(str(directory / "autocomplete.onnx")),
                ort.InferenceSession(str(directory / "connectivity.onnx")),
                report,
            )
    return result


@pytest.fixture(scope="session")
def tiny_site(tiny_root: Path, exported: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny profile's whole site (results, precomputed data, the page) in a temporary folder, built
    once a session the way `make article` builds site/. Needs node_modules (onnxruntime-web, KaTeX)."""
    from build import dataset, evaluate, precompute, render

    site = tmp_path_factory.mktemp("tiny-site") / "site"
    with pytest.MonkeyPatch.context() as monkeypatch:
        _point_at(tiny_root, monkeypatch)
        monkeypatch.setenv("MEMORIZATION_SITE", str(site))
        profile = profiles.load("tiny")
        data = dataset.load(profile)
        device = evaluate.pick_device("cpu")
        for config in profile.models:
            model, _ = evaluate.load_trained(profile, config.key)
            evaluate.write_json(
                evaluate.evaluate_model(model, data, 8, device), profile.run_dir / config.key / "eval.json"
            )
        evaluate.write_json(evaluate.evaluate_baseline(data), profile.run_dir / "baseline.json")
        evaluate.write_json(evaluate.results(profile), profile.run_dir / "results.json")
        precompute.precompute(profile)
        render.render(profile)
    return site
