"""The kept weights of a tiny training run and their measurements (build/during.py)."""

from __future__ import annotations

from pathlib import Path

import torch

from build import dataset as dataset_stage
from build import lookback, profiles, run_files
from build.checkpoints import load_trained


def test_training_keeps_the_weights_of_every_keep_every_step(tiny_results: dict, tiny_run: Path) -> None:
    profile = profiles.PROFILES["tiny"]
    every = profile.keep_every
    assert every
    wanted = list(range(every, profile.steps, every))
    for config in profile.models:
        assert [s for s, _ in run_files.kept_steps(tiny_run / config.key)] == wanted


def test_each_seed_lists_its_kept_steps_then_the_final_model(tiny_results: dict) -> None:
    profile = profiles.PROFILES["tiny"]
    for model in tiny_results["models"]:
        for seed in model["seeds"]:
            points = seed["during_training"]
            steps = [p["step"] for p in points]
            assert steps == sorted(steps) and steps[-1] == profile.steps
            for point in points:
                share = point["share_before_word_0"]
                assert share["low"] <= share["mean"] <= share["high"]
                assert point["valid_cross_entropy"] > 0


def test_the_final_entry_is_the_final_models_share(tiny_results: dict, tiny_root: Path, monkeypatch) -> None:
    from tests.conftest import _point_at

    _point_at(tiny_root, monkeypatch)
    profile = profiles.load("tiny")
    model, _ = load_trained(profile, "gru", torch.device("cpu"))
    share = lookback.measure(model, dataset_stage.load(profile), profile.during_observations)
    final = tiny_results["models"][0]["seeds"][0]["during_training"][-1]
    assert final["share_before_word_0"]["mean"] == share["share_before_word"]["0"]["mean"]
