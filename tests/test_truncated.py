"""The context taken away: the whole observation against the evaluation's own numbers, a window against a
plain forward pass per position, and the effective context's definition on constructed curves."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from build import bootstrap, checkpoints, dataset, evaluate, truncated
from build.alphabet import EOS, UNKNOWN

OBSERVATIONS = 5


def test_the_whole_observation_gives_the_evaluations_numbers(tiny) -> None:
    data = dataset.load(tiny)
    for config in tiny.models:
        model, _ = checkpoints.load_trained(tiny, config.key)
        cut = truncated.measure(model, data, OBSERVATIONS, resamples=50)
        own = evaluate.evaluate_model(model, data, 16, torch.device("cpu"), observations=OBSERVATIONS)
        assert cut["distances"][-1] is None and cut["observations"] == OBSERVATIONS
        assert cut["positions"] == own["positions"]
        assert cut["positions_at_0"] == own["positions_by_letters"][0]
        assert cut["cross_entropy"]["mean"][-1] == pytest.approx(own["cross_entropy"], rel=1e-6)
        assert cut["top1_at_0"]["mean"][-1] == pytest.approx(own["accuracy_by_letters"]["top1"][0], abs=1e-6)
        original = own["as_original"]["accuracy_by_letters"]["top1"][0]
        assert cut["top1_at_0_as_original"]["mean"][-1] == pytest.approx(original, abs=1e-6)
        assert cut["rise"]["mean"][-1] == 0.0
        for name in ("cross_entropy", "rise", "top1_at_0"):  # within rounding of windows and whole passes
            entry = cut[name]
            assert len(entry["mean"]) == len(truncated.DISTANCES)
            bounds = zip(entry["low"], entry["mean"], entry["high"], strict=True)
            assert all(low <= mean + 1e-6 and mean <= high + 1e-6 for low, mean, high in bounds)


def plain_cross_entropy(
    model: torch.nn.Module, chars: np.ndarray, targets: np.ndarray, distance: int
) -> float:
    """Cross entropy over the scored positions of one observation (no padding) with the context cut at
    `distance`: one forward pass per position, over the text from `distance` characters before the
    space that begins its word up to the position itself."""
    losses = []
    for p in range(len(chars)):
        if targets[p] <= UNKNOWN:
            continue
        space = max(i for i in range(p + 1) if chars[i] == truncated.SPACE or i == 0)
        window = torch.from_numpy(chars[max(0, space - distance) : p + 1])[None]
        with torch.no_grad():
            logits = model(window)[0, -1]
        losses.append(-float(torch.log_softmax(logits, -1)[targets[p]]))
    return float(np.mean(losses))


def test_a_cut_context_matches_a_forward_pass_per_position(tiny) -> None:
    data = dataset.load(tiny)
    model, _ = checkpoints.load_trained(tiny, "lstm")
    chars = data.inputs["test"][:2, :60].astype(np.int64)  # two short observations: their first words
    targets = data.targets["test"][:2, :60].astype(np.int64)
    chars[1, 45:], targets[1, 45:] = EOS, EOS  # one of them padded, as shorter observations are
    sums = truncated.measure_observations(model, chars, targets)
    for b, length in enumerate((60, 45)):
        for index, distance in enumerate(truncated.DISTANCES[:-1]):
            measured = sums[b]["loss_sum"][index] / sums[b]["loss_count"][index]
            expected = plain_cross_entropy(model, chars[b, :length], targets[b, :length], distance)
            assert measured == pytest.approx(expected, rel=1e-5), (b, distance)


def test_word_spaces_count_letters_as_the_evaluation_does() -> None:
    rng = np.random.default_rng(0)
    chars = rng.choice([1, 2, 3, 4], size=(5, 40), p=[0.3, 0.3, 0.2, 0.2])
    chars[:, 0] = 1
    letters = evaluate.letters_seen(torch.from_numpy(chars)).numpy()
    for row, expected in zip(chars, letters, strict=True):
        assert (np.arange(40) - truncated.word_spaces(row)).tolist() == expected.tolist()


def test_the_effective_context_is_the_first_distance_within_one_percent() -> None:
    # cross entropy by DISTANCES (0, 2, 4, 8, 16, 32, 64, 128, whole): whole = 2.0, 1% = 2.02
    falling = [3.0, 2.5, 2.1, 2.02, 2.01, 2.0, 2.0, 2.0, 2.0]
    assert truncated.effective_context(falling) == 8  # exactly 1% above counts
    assert truncated.effective_context([2.0] * 9) == 0  # nothing before the word is used
    never = [3.0, 2.9, 2.8, 2.7, 2.6, 2.5, 2.4, 2.1, 2.0]
    assert truncated.effective_context(never) is None  # only the whole observation
    # the first distance within reach, not the last: a curve that dips and comes back counts at its dip
    assert truncated.effective_context([3.0, 2.01, 2.5, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]) == 2
    assert truncated.effective_context(falling, within=0.1) == 4


def test_the_summary_reads_its_interval_from_the_shared_bootstrap() -> None:
    """Constructed sums over 40 observations, whole-observation loss 2.0 a position: with the current word
    alone every one loses twice that; at d = 2 half lose 1.8% and half nothing (0.9% on average, within
    1%), so the effective context is 2, and the resamples that draw more of the first half put it at 4."""
    per_observation = []
    for b in range(40):
        loss = np.full(len(truncated.DISTANCES), 20.0)
        loss[0] = 40.0
        loss[1] = 20.36 if b % 2 else 20.0
        ten = np.full(len(truncated.DISTANCES), 10.0)
        per_observation.append(
            {
                "loss_sum": loss,
                "loss_count": ten,
                "top1_sum": ten / 2,
                "top1_count": ten,
                "original_sum": ten / 4,
                "original_count": ten,
            }
        )
    summary = truncated.summarise(per_observation, 400, seed=7)
    assert summary["effective_context"] == {"mean": 2, "low": 2, "high": 4}
    assert summary["cross_entropy"]["mean"][-1] == pytest.approx(2.0)
    assert summary["rise"]["mean"][0] == pytest.approx(1.0)  # twice the whole observation's loss
    assert summary["rise"]["mean"][1] == pytest.approx(0.009)
    assert summary["rise"]["low"][1] < 0.009 < summary["rise"]["high"][1]
    assert summary["top1_at_0"]["mean"][0] == 0.5 and summary["top1_at_0_as_original"]["mean"][0] == 0.25
    sums = np.stack([s["loss_sum"] for s in per_observation])
    counts = np.stack([s["loss_count"] for s in per_observation])
    shared = bootstrap.bootstrap(sums, counts, 400, 7)  # the resamples test.context draws
    assert summary["cross_entropy"]["low"] == pytest.approx(shared["low"].tolist(), rel=1e-5)
    assert summary["cross_entropy"]["high"] == pytest.approx(shared["high"].tolist(), rel=1e-5)
