"""Stage 4, evaluation: test-split metrics of each trained model and of a no-context baseline.

Ours: cross entropy and top-1 accuracy over the same positions as the training loss (targets other than
<eos>/<unknown>), and top-1/2/3 accuracy by the number of letters of the word already read (n = 0 is
the space before it). The baseline knows no context: given the letters read so far it guesses the words
of the training split that start with them, most frequent first, with add-one smoothed probabilities.

As the original computed them (`as_original`, what its published numbers mean):
- accuracy: `tf.metrics.accuracy` at batch size 1, i.e. over every character of every observation,
  `<unknown>` targets included (the loss never trains that class, so they are nearly always wrong);
- cross entropy: the mean over observations of each observation's masked mean (`tf.metrics.mean` of
  the per-batch loss at batch size 1);
- accuracy by letters: the original's ContextAccuracy over batches of 16 observations, each padded with
  `<eos>` to the longest of its batch. It counts every position of the padded batch: the padding's
  target is `<eos>`, which no prediction names, and since `<eos>` is not a space its letter count keeps
  growing past the last word, so long "words" are mostly padding and their accuracy falls towards zero.
  At a padded position the original's RNN output was zero (dynamic_rnn stops at the observation's
  length), so its prediction is the dense layer's bias alone; so it is here. The original's pipeline
  shuffled the test observations without a seed before batching, so its batches cannot be rebuilt:
  here they are consecutive groups of 16 in the test split's (seeded) order, and the summary counts the
  padded positions this adds.

    python -m build.evaluate --model gru     -> <run>/gru/eval.json
    python -m build.evaluate --baseline      -> <run>/baseline.json

build/results.py then gathers what the article quotes, these files among it, into <run>/results.json.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import torch

from build import cpu, profiles
from build import dataset as dataset_stage
from build.alphabet import EOS, UNKNOWN
from build.checkpoints import CheckpointError, load_trained
from build.connectivity import published_agreement
from build.dataset import Dataset
from build.model import pick_device
from build.profiles import TOP_K, Profile
from build.run_files import (
    BASELINE,
    EVALUATION,
    model_dir,
    write_json,
)

ORIGINAL_BATCH = 16  # the batch of the original's accuracy-by-letters scripts (python/run/*_quantitative.py)
CHUNK_ELEMENTS = 2**24  # logits computed at most this many at a time (64 MB of float32)


def letters_seen(chars: torch.Tensor) -> torch.Tensor:
    """For each position of [B, T] alphabet ids, how many letters of its word were read (0 at the space)."""
    positions = torch.arange(chars.shape[-1], device=chars.device).expand_as(chars)
    word_start = torch.where(chars == 1, positions, torch.zeros_like(positions)).cummax(dim=-1).values
    return positions - word_start


@dataclass
class Tally:
    """Running sums of the metrics over scored positions."""

    max_letters: int
    loss_sum: float = 0.0
    positions: int = 0
    correct: np.ndarray = field(init=False)  # [TOP_K, max_letters + 1]: top-k hits by letters seen
    count: np.ndarray = field(init=False)  # [max_letters + 1]

    def __post_init__(self) -> None:
        self.correct = np.zeros((TOP_K, self.max_letters + 1), dtype=np.int64)
        self.count = np.zeros(self.max_letters + 1, dtype=np.int64)

    def add(
        self, top: np.ndarray, target_log_prob: np.ndarray | None, targets: np.ndarray, letters: np.ndarray
    ) -> None:
        """top [M, TOP_K] best guesses first; target_log_prob [M] or None; targets [M]; letters [M]."""
        hit_rank = np.where(top == targets[:, None], np.arange(TOP_K), TOP_K).min(axis=1)  # TOP_K = miss
        if target_log_prob is not None:
            self.loss_sum -= float(target_log_prob.astype(np.float64).sum())
        self.positions += len(targets)
        np.add.at(self.count, letters, 1)
        for k in range(TOP_K):
            np.add.at(self.correct[k], letters[hit_rank <= k], 1)

    def summary(self) -> dict:
        seen = int(np.flatnonzero(self.count).max()) + 1 if self.count.any() else 0
        by_letters = self.correct[:, :seen] / np.maximum(self.count[:seen], 1)
        return {
            "cross_entropy": self.loss_sum / max(self.positions, 1),
            "accuracy": int(self.correct[0].sum()) / max(self.positions, 1),
            "positions": self.positions,
            "accuracy_by_letters": {f"top{k + 1}": by_letters[k].round(6).tolist() for k in range(TOP_K)},
            "positions_by_letters": self.count[:seen].tolist(),
        }


def evaluated_rows(data: Dataset, split: str = "test", observations: int | None = None) -> int:
    """How many observations of `split` are evaluated: all, or the first `observations`."""
    count = len(data.inputs[split])
    return count if observations is None else min(observations, count)


@dataclass
class OriginalTally:
    """The original's definitions (see the module's docstring), summed over observations."""

    width: int
    correct: int = 0  # top-1 hits over every character of every observation
    characters: int = 0
    unknown_targets: int = 0
    observation_losses: list[float] = field(default_factory=list)
    by_letters: Tally = field(init=False)
    padded: int = 0

    def __post_init__(self) -> None:
        self.by_letters = Tally(self.width)

    def summary(self) -> dict:
        letters = self.by_letters.summary()
        return {
            "accuracy": self.correct / max(self.characters, 1),
            "cross_entropy": float(np.mean(self.observation_losses)) if self.observation_losses else 0.0,
            "positions": self.characters,
            "unknown_positions": self.unknown_targets,
            "observations": len(self.observation_losses),
            "accuracy_by_letters": letters["accuracy_by_letters"],
            "positions_by_letters": letters["positions_by_letters"],
            "batch": ORIGINAL_BATCH,
            "by_letters_positions": letters["positions"],
            "padded_positions": self.padded,
        }


@torch.no_grad()
def evaluate_model(
    model: torch.nn.Module,
    data: Dataset,
    batch_size: int,
    device: torch.device,
    split: str = "test",
    observations: int | None = None,
) -> dict:
    """Our metrics over the first `observations` of `split` (all when None), with `as_original` beside."""
    count = evaluated_rows(data, split, observations)
    width = data.inputs[split].shape[1]
    ours, original = Tally(width), OriginalTally(width)
    # Where the original's RNN output was zero (padding), the prediction is the dense layer's bias alone.
    bias_top = model.dense.bias.float().topk(TOP_K).indices.cpu().numpy()
    rows_per_batch = ORIGINAL_BATCH * max(1, batch_size // ORIGINAL_BATCH)  # whole groups of 16
    chunk = max(1, CHUNK_ELEMENTS // model.dense.out_features)
    for start in range(0, count, rows_per_batch):
        chars, targets = data.batch(split, np.arange(start, min(start + rows_per_batch, count)), device)
        real = chars != EOS  # <eos> only pads
        hidden = model.hidden(chars)[0][real]
        wanted = targets[real]
        top = np.empty((len(wanted), TOP_K), dtype=np.int64)
        log_prob = np.empty(len(wanted), dtype=np.float64)
        for first in range(0, len(wanted), chunk):
            part = slice(first, first + chunk)
            log_probs = torch.log_softmax(model.dense(hidden[part]).float(), dim=-1)
            top[part] = log_probs.topk(TOP_K, dim=-1).indices.cpu().numpy()
            log_prob[part] = log_probs.gather(1, wanted[part, None])[:, 0].double().cpu().numpy()
        real_np, targets_np = real.cpu().numpy(), targets.cpu().numpy()
        wanted_np = targets_np[real_np]
        letters = letters_seen(chars).cpu().numpy()
        known = wanted_np > UNKNOWN
        ours.add(top[known], log_prob[known], wanted_np[known], letters[real_np][known])

        original.correct += int((top[:, 0] == wanted_np).sum())
        original.characters += len(wanted_np)
        original.unknown_targets += int((wanted_np == UNKNOWN).sum())
        row_of = np.nonzero(real_np)[0]  # the observation of each real position
        sums = np.bincount(row_of[known], weights=-log_prob[known], minlength=len(real_np))
        scored = np.bincount(row_of[known], minlength=len(real_np))
        # an observation with no scored position contributes 0, as TensorFlow's masked mean did
        original.observation_losses += np.where(scored > 0, sums / np.maximum(scored, 1), 0.0).tolist()
        full_top = np.broadcast_to(bias_top, (*real_np.shape, TOP_K)).copy()
        full_top[real_np] = top
        lengths = real_np.sum(axis=1)
        for group in range(0, len(real_np), ORIGINAL_BATCH):
            rows = slice(group, group + ORIGINAL_BATCH)
            padded_width = int(lengths[rows].max())
            original.padded += int((padded_width - lengths[rows]).sum())
            original.by_letters.add(
                full_top[rows, :padded_width].reshape(-1, TOP_K),
                None,
                targets_np[rows, :padded_width].ravel(),
                letters[rows, :padded_width].ravel(),
            )
    return {**ours.summary(), "observations": count, "as_original": original.summary()}


class PrefixBaseline:
    """Guesses from the letters read so far alone: training-split word frequencies among matching words."""

    def __init__(self, words: list[str], train_targets: np.ndarray) -> None:
        self.words = words
        counts = np.bincount(train_targets[train_targets > UNKNOWN].ravel(), minlength=len(words))
        by_prefix: dict[str, list[int]] = defaultdict(list)
        for word_id in range(UNKNOWN + 1, len(words)):
            word = words[word_id]
            for n in range(len(word) + 1):
                by_prefix[word[:n]].append(word_id)
        self.top: dict[str, list[int]] = {}
        self.log_total: dict[str, float] = {}
        self.log_count = np.log(
            counts + 1.0
        )  # add-one smoothing: every word of the vocabulary stays possible
        for prefix, ids in by_prefix.items():
            ids.sort(key=lambda i: (-counts[i], i))
            self.top[prefix] = ids[:TOP_K] + [UNKNOWN] * (TOP_K - len(ids[:TOP_K]))
            self.log_total[prefix] = math.log(float((counts[ids] + 1.0).sum()))

    def guess(self, targets: np.ndarray, letters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Top guesses [M, TOP_K] and the log probability of the true target [M] for each position."""
        top = np.empty((len(targets), TOP_K), dtype=np.int64)
        log_prob = np.empty(len(targets), dtype=np.float64)
        cache: dict[tuple[int, int], tuple[list[int], float]] = {}
        for i, (word_id, n) in enumerate(zip(targets.tolist(), letters.tolist(), strict=True)):
            if (word_id, n) not in cache:
                prefix = self.words[word_id][:n]
                cache[word_id, n] = (self.top[prefix], self.log_count[word_id] - self.log_total[prefix])
            top[i], log_prob[i] = cache[word_id, n]
        return top, log_prob


def evaluate_baseline(data: Dataset, split: str = "test", observations: int | None = None) -> dict:
    """The baseline over the same positions as our metrics of the models (the first `observations`)."""
    count = evaluated_rows(data, split, observations)
    baseline = PrefixBaseline(data.words, data.targets["train"])
    chars = torch.from_numpy(data.inputs[split][:count].astype(np.int64))
    targets = data.targets[split][:count].astype(np.int64)
    mask = targets > UNKNOWN
    letters = letters_seen(chars).numpy()[mask]
    wanted = targets[mask]
    top, log_prob = baseline.guess(wanted, letters)
    tally = Tally(targets.shape[1])
    tally.add(top, log_prob, wanted, letters)
    return {**tally.summary(), "observations": count}


def evaluate_trained(profile: Profile, key: str, device: torch.device) -> dict:
    """A trained model's eval.json: test metrics (ours and as the original) and, where the original
    published connectivity for this model, the rank agreement of ours with it on passage P1."""
    model, _ = load_trained(profile, key, device)
    data = dataset_stage.load(profile)
    batch = 2 * profile.batch_size
    metrics = evaluate_model(model, data, batch, device, observations=profile.eval_observations)
    agreement = published_agreement(model.cpu(), data, key)
    if agreement is not None:
        metrics["connectivity_vs_published"] = agreement
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description="Evaluate a profile's models on the test split.")
    profiles.add_arguments(parser)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--model", help="evaluate this trained model -> <run>/<model>/eval.json")
    what.add_argument(
        "--baseline", action="store_true", help="the no-context baseline -> <run>/baseline.json"
    )
    args = parser.parse_args()
    profile = profiles.from_arguments(args)
    try:
        if args.baseline:
            target = profile.run_dir / BASELINE
            data = dataset_stage.load(profile)
            write_json(evaluate_baseline(data, observations=profile.eval_observations), target)
        else:
            target = model_dir(profile, args.model) / EVALUATION
            with cpu.settings(profile):
                write_json(evaluate_trained(profile, args.model, pick_device()), target)
    except (CheckpointError, FileNotFoundError, KeyError, ValueError) as error:
        sys.exit(f"error: {error}")
    summary = json.loads(target.read_text())
    if "cross_entropy" in summary:
        print(f"{target}: cross entropy {summary['cross_entropy']:.4f}, accuracy {summary['accuracy']:.2%}")
    else:
        print(f"{target}: written")


if __name__ == "__main__":
    main()
