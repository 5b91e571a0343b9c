"""Evaluation: metrics on hand-made batches whose answers are known, the baseline, the results file."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import torch

from build import dataset, evaluate
from build import results as gathering
from build.alphabet import ALPHABET
from build.dataset import Dataset
from build.evaluate import PrefixBaseline, Tally, letters_seen
from build.model import Model


class ContextAccuracy:
    """The original's python/summary/context_accuracy.py, rewritten here as the independent reference:
    one padded observation at a time, as decoded strings, counting every position it is given."""

    def __init__(self) -> None:
        self.count = np.zeros((3, 400), dtype=np.int64)
        self.total = np.zeros(400, dtype=np.int64)
        self.longest = 0

    def add(self, source: list[str], predict: list[list[str]], target: list[str]) -> None:
        consumed = 0
        for char, ranked, word in zip(source, predict, target, strict=True):
            consumed = 0 if char == " " else consumed + 1
            self.longest = max(self.longest, consumed)
            self.total[consumed] += 1
            for i in range(3):
                if ranked[i] == word:
                    self.count[i:, consumed] += 1

    def summary(self) -> np.ndarray:
        return self.count[:, : self.longest + 1] / self.total[: self.longest + 1]


def original_by_letters(model, data: Dataset, rows: int, split: str = "test") -> np.ndarray:
    """What the original's quantitative script printed, for the first `rows` test observations in
    batches of 16: each batch padded to its longest observation, where the RNN output is zero."""
    reference = ContextAccuracy()
    inputs, targets = data.inputs[split][:rows], data.targets[split][:rows]
    with torch.no_grad():
        logits = model(torch.from_numpy(inputs.astype(np.int64)))
        padding_logits = model.dense.bias
    for group in range(0, rows, 16):
        lengths = (inputs[group : group + 16] > 0).sum(axis=1)
        width = int(lengths.max())
        for row in range(group, min(group + 16, rows)):
            length = int((inputs[row] > 0).sum())
            ranked = [
                (logits[row, t] if t < length else padding_logits).argsort(descending=True)[:3].tolist()
                for t in range(width)
            ]
            reference.add(
                [ALPHABET[i] for i in inputs[row, :width]],
                [[data.words[i] for i in r] for r in ranked],
                [data.words[i] for i in targets[row, :width]],
            )
    return reference.summary()


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
    from build.checkpoints import load_trained

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


def test_as_original_on_a_hand_made_split() -> None:
    """A model that always ranks the dense bias (zero weights): words 2, 3, 4 in that order everywhere."""
    torch.manual_seed(0)
    config = dataset.profiles.ModelConfig("gru", "GRU", "gru", 8, 1)
    model = Model(config, 6, 4).eval()
    with torch.no_grad():
        model.dense.weight.zero_()
        model.dense.bias.copy_(torch.tensor([-9.0, -8.0, 3.0, 2.0, 1.0, 0.0]))
    words = ["<eos>", "<unknown>", "ab", "c", "de", "f"]
    # " ab c" (5) | " de xyz" (7) | " f" (2); targets: ab ab ab c c | de de de unk unk unk unk | f f
    inputs = np.zeros((3, 8), dtype=np.uint8)
    targets = np.zeros((3, 8), dtype=np.uint16)
    for row, (text, ids) in enumerate(
        [(" ab c", [2, 2, 2, 3, 3]), (" de xyz", [4, 4, 4, 1, 1, 1, 1]), (" f", [5, 5])]
    ):
        inputs[row, : len(text)] = dataset.encode_text(text)
        targets[row, : len(text)] = ids
    data = Dataset("k", words, {"test": inputs}, {"test": targets}, {})
    metrics = evaluate.evaluate_model(model, data, 16, torch.device("cpu"))
    assert metrics["positions"] == 10 and metrics["accuracy"] == pytest.approx(3 / 10)  # the "ab" positions
    original = metrics["as_original"]
    assert original["positions"] == 14 and original["unknown_positions"] == 4
    assert original["accuracy"] == pytest.approx(3 / 14)  # <unknown> targets count, and miss
    # padded to 7 characters: 2 + 0 + 5 padded positions, whose letters keep counting past the last word
    assert original["padded_positions"] == 7 and original["by_letters_positions"] == 21
    expected = original_by_letters(model, data, 3)
    for k in range(3):
        assert original["accuracy_by_letters"][f"top{k + 1}"] == pytest.approx(expected[k].tolist())
    assert len(original["positions_by_letters"]) == 7  # " f" + 5 padding: letter counts 0..6
    # cross entropy: the mean over observations of each observation's mean over its known-word targets
    log_p = torch.log_softmax(model.dense.bias.detach(), -1)
    per_observation = [-(3 * log_p[2] + 2 * log_p[3]) / 5, -log_p[4], -log_p[5]]
    assert original["cross_entropy"] == pytest.approx(float(sum(per_observation) / 3))


def test_as_original_matches_the_originals_counting_on_a_trained_model(tiny) -> None:
    from build.checkpoints import load_trained

    model, _ = load_trained(tiny, "lstm")
    data = dataset.load(tiny)
    rows = 40  # three batches of 16, the last one short (the tiny test split has fewer: use train's)
    metrics = evaluate.evaluate_model(model, data, 8, torch.device("cpu"), "train", observations=rows)
    assert metrics["observations"] == rows
    inputs = torch.from_numpy(data.inputs["train"][:rows].astype(np.int64))
    targets = torch.from_numpy(data.targets["train"][:rows].astype(np.int64))
    with torch.no_grad():
        logits = model(inputs)
    real = inputs > 0
    original = metrics["as_original"]
    hits = (logits[real].argmax(-1) == targets[real]).float().mean().item()
    assert original["accuracy"] == pytest.approx(hits)
    expected = original_by_letters(model, data, rows, "train")
    for k in range(3):
        assert original["accuracy_by_letters"][f"top{k + 1}"] == pytest.approx(expected[k].tolist(), abs=1e-6)
    lengths = real.sum(1)
    padded = sum(int((lengths[g : g + 16].max() - lengths[g : g + 16]).sum()) for g in range(0, rows, 16))
    assert original["padded_positions"] == padded and original["observations"] == rows


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


def test_results_gather_every_stage(tiny_results: dict, tiny_copy) -> None:
    """results.json of the session's tiny run (conftest's tiny_results: every stage's files gathered), and
    a copy of that run whose context.json is cut short, which gathering names."""
    results = tiny_results
    data = dataset.load(tiny_copy)
    assert [m["key"] for m in results["models"]] == ["gru", "lstm", "nlstm"]
    for model in results["models"]:
        assert model["steps"] == tiny_copy.steps and model["training_seconds"] > 0
        assert model["test"]["positions"] == results["baseline"]["positions"]  # the same positions
        assert model["parameters"]["total"] > 0
        context = model["test"]["context"]  # how far back it looks, from context.json
        assert context["observations"] == len(data.inputs["test"])  # tiny: all of them
        assert set(context["share_before_word"]) == {"0", "1", "2", "3", "4", "5+"}
        cut = model["test"]["truncated"]  # the context taken away, from truncated.json
        assert cut["observations"] == len(data.inputs["test"]) and cut["distances"][-1] is None
        assert cut["connectivity_90"] == gathering.connectivity_reach(context["by_distance"]["0"])
    assert results["evaluation"]["context_observations"] is None
    assert results["dataset"]["stats"]["test_observations"] == len(data.inputs["test"])
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", results["commit"])  # the checkout that produced them
    json.dumps(results)  # serialisable as it stands
    assert gathering.gather(tiny_copy)["models"] == results["models"]  # the copy holds the same files
    (tiny_copy.run_dir / "gru" / "context.json").write_text('{"observations": ')  # cut short
    with pytest.raises(ValueError, match=r"gru/context\.json: not JSON"):
        gathering.gather(tiny_copy)


def test_connectivity_reach_is_where_ninety_percent_of_the_curve_lies() -> None:
    assert gathering.connectivity_reach([0.5, 0.3, 0.1, 0.1]) == 2  # 0.9 of 1.0 by distance 2
    assert gathering.connectivity_reach([0.2, None, 0.2, 0.2, 0.2, 0.2], share=0.5) == 3  # None counts 0
    assert gathering.connectivity_reach([1.0, 0.0]) == 0
