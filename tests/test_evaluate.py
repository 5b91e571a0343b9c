"""Evaluation: metrics on hand-made batches whose answers are known, the baseline, the results file."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import torch

from build import dataset, evaluate
from build.evaluate import PrefixBaseline, Tally, letters_seen


def test_letters_seen_counts_from_the_space() -> None:
    chars = torch.tensor([[1, 2, 3, 1, 4, 1, 5, 6, 7, 0, 0]])  # " ab c def" then padding
    assert letters_seen(chars).tolist() == [[0, 1, 2, 0, 1, 0, 1, 2, 3, 4, 5]]


def test_tally_on_a_hand_made_batch() -> None:
    tally = Tally(max_letters=4)
    top = np.array([[5, 6, 7], [6, 5, 7], [7, 6, 5], [8, 9, 10]])
    targets = np.array([5, 5, 5, 5])  # hit at rank 1, rank 2, rank 3, missed
    letters = np.array([0, 0, 1, 2])
    log_probs = np.log([0.5, 0.25, 0.125, 0.0625])
    tally.add(top, log_probs, targets, letters)
    summary = tally.summary()
    assert summary["positions"] == 4
    assert summary["accuracy"] == 0.25
    assert summary["cross_entropy"] == pytest.approx(-np.mean(log_probs))
    assert summary["positions_by_letters"] == [2, 1, 1]
    assert summary["accuracy_by_letters"] == {
        "top1": [0.5, 0.0, 0.0],
        "top2": [1.0, 0.0, 0.0],
        "top3": [1.0, 1.0, 0.0],
    }


def test_model_metrics_match_a_direct_computation(tiny) -> None:
    from build.train import load_trained

    model, _ = load_trained(tiny, "gru")
    data = dataset.load(tiny)
    metrics = evaluate.evaluate_model(model, data, 4, torch.device("cpu"))
    chars = torch.from_numpy(data.inputs["test"].astype(np.int64))
    targets = torch.from_numpy(data.targets["test"].astype(np.int64))
    with torch.no_grad():
        logits = model(chars)
    keep = targets > 1
    expected = torch.nn.functional.cross_entropy(logits[keep], targets[keep]).item()
    assert metrics["cross_entropy"] == pytest.approx(expected, rel=1e-5)
    assert metrics["accuracy"] == pytest.approx(
        (logits[keep].argmax(-1) == targets[keep]).float().mean().item()
    )
    assert metrics["positions"] == int(keep.sum())
    top1 = np.array(metrics["accuracy_by_letters"]["top1"])
    top3 = np.array(metrics["accuracy_by_letters"]["top3"])
    assert np.all(top3 >= top1)


def test_prefix_baseline_by_hand() -> None:
    words = ["<eos>", "<unknown>", "the", "then", "to", "a"]
    train_targets = np.array([2, 2, 2, 3, 4, 4, 5, 1, 0])  # the: 3, then: 1, to: 2, a: 1
    baseline = PrefixBaseline(words, train_targets)
    top, log_prob = baseline.guess(np.array([3, 3, 4, 5]), np.array([0, 2, 1, 1]))
    assert top[0].tolist() == [2, 4, 3]  # no letters: the, to, then/a by count then id
    assert top[1].tolist() == [2, 3, 1]  # "th": the, then, nothing else
    assert top[2].tolist() == [2, 4, 3]  # "t"
    assert top[3].tolist() == [5, 1, 1]  # "a"
    # add-one smoothing: P(then | "th") = (1 + 1) / ((3 + 1) + (1 + 1))
    assert log_prob[1] == pytest.approx(math.log(2 / 6))
    assert log_prob[3] == pytest.approx(0.0)


def test_results_gather_every_stage(tiny, tmp_path) -> None:
    for config in tiny.models:
        model, _ = evaluate.load_trained(tiny, config.key)
        metrics = evaluate.evaluate_model(model, dataset.load(tiny), 8, torch.device("cpu"))
        evaluate.write_json(metrics, tiny.run_dir / config.key / "eval.json")
    evaluate.write_json(evaluate.evaluate_baseline(dataset.load(tiny)), tiny.run_dir / "baseline.json")
    results = evaluate.results(tiny)
    assert [m["key"] for m in results["models"]] == ["gru", "lstm", "nlstm"]
    for model in results["models"]:
        assert model["steps"] == tiny.steps and model["training_seconds"] > 0
        assert model["test"]["positions"] == results["baseline"]["positions"]  # the same positions
        assert model["parameters"]["total"] > 0
    assert results["dataset"]["stats"]["test_observations"] == len(dataset.load(tiny).inputs["test"])
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", results["commit"])  # the checkout that produced them
    json.dumps(results)  # serialisable as it stands
