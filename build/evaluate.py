"""Stage 4, evaluation: test-split metrics of each trained model and of a no-context baseline.

Cross entropy and top-1 accuracy over the same positions as the training loss (targets other than
<eos>/<unknown>), and top-1/2/3 accuracy by the number of letters of the word already read (n = 0 is
the space before it). The baseline knows no context: given the letters read so far it guesses the words
of the training split that start with them, most frequent first, with add-one smoothed probabilities.

    python -m build.evaluate --model gru     -> <run>/gru/eval.json
    python -m build.evaluate --baseline      -> <run>/baseline.json
    python -m build.evaluate --results       -> <run>/results.json (everything the article quotes)
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import platform
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from build import dataset as dataset_stage
from build import profiles
from build.dataset import UNKNOWN, Dataset
from build.profiles import Profile
from build.train import CheckpointError, load_trained, model_dir, pick_device, to_batch, trained_summary

TOP_K = 3


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
        self, top: np.ndarray, target_log_prob: np.ndarray, targets: np.ndarray, letters: np.ndarray
    ) -> None:
        """top [M, TOP_K] best guesses first; target_log_prob [M]; targets [M]; letters [M]."""
        hit_rank = np.where(top == targets[:, None], np.arange(TOP_K), TOP_K).min(axis=1)  # TOP_K = miss
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


@torch.no_grad()
def evaluate_model(
    model: torch.nn.Module, data: Dataset, batch_size: int, device: torch.device, split: str = "test"
) -> dict:
    tally = Tally(data.inputs[split].shape[1])
    for start in range(0, len(data.inputs[split]), batch_size):
        chars, targets = to_batch(
            data, split, np.arange(start, min(start + batch_size, len(data.inputs[split]))), device
        )
        mask = targets > UNKNOWN
        log_probs = torch.log_softmax(model.dense(model.hidden(chars)[0][mask]).float(), dim=-1)
        wanted = targets[mask]
        tally.add(
            log_probs.topk(TOP_K, dim=-1).indices.cpu().numpy(),
            log_probs.gather(1, wanted[:, None])[:, 0].cpu().numpy(),
            wanted.cpu().numpy(),
            letters_seen(chars)[mask].cpu().numpy(),
        )
    return tally.summary()


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


def evaluate_baseline(data: Dataset, split: str = "test") -> dict:
    baseline = PrefixBaseline(data.words, data.targets["train"])
    chars = torch.from_numpy(data.inputs[split].astype(np.int64))
    targets = data.targets[split].astype(np.int64)
    mask = targets > UNKNOWN
    letters = letters_seen(chars).numpy()[mask]
    wanted = targets[mask]
    top, log_prob = baseline.guess(wanted, letters)
    tally = Tally(targets.shape[1])
    tally.add(top, log_prob, wanted, letters)
    return tally.summary()


def write_json(payload: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1) + "\n")


def training_curve(path: Path) -> dict:
    """The loss CSV as columns (valid_loss only where it was measured)."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    valid = [r for r in rows if r["valid_loss"]]
    return {
        "step": [int(r["step"]) for r in rows],
        "seconds": [float(r["seconds"]) for r in rows],
        "train_loss": [float(r["train_loss"]) for r in rows],
        "valid_step": [int(r["step"]) for r in valid],
        "valid_seconds": [float(r["seconds"]) for r in valid],
        "valid_loss": [float(r["valid_loss"]) for r in valid],
    }


def results(profile: Profile) -> dict:
    """Everything the article quotes about this profile's models, gathered from the stages' files."""
    run = profile.run_dir
    description = json.loads((run / "dataset.json").read_text())
    models = []
    for config in profile.models:
        directory = model_dir(profile, config.key)
        _, payload = load_trained(profile, config.key)
        curve = training_curve(directory / "losses.csv")
        models.append(
            {
                **trained_summary(config, payload),
                "final_train_loss": curve["train_loss"][-1],
                "final_valid_loss": curve["valid_loss"][-1],
                "test": json.loads((directory / "eval.json").read_text()),
            }
        )
    return {
        "profile": profile.name,
        "corpus": profile.corpus,
        "dataset": description,
        "training": {
            "batch_size": profile.batch_size,
            "steps": profile.steps,
            "learning_rate": profile.learning_rate,
            "train_seed": profile.train_seed,
            "embedding": profile.embedding,
            "vocab_size": profile.vocab_size,
        },
        "models": models,
        "baseline": json.loads((run / "baseline.json").read_text()),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
        },
        "commit": git_commit(),
    }


def git_commit() -> str | None:
    """The checkout's commit, with "-dirty" when its files differ from it (None outside git)."""
    try:
        run = {"cwd": profiles.ROOT, "capture_output": True, "text": True, "check": True}
        commit = subprocess.run(["git", "rev-parse", "HEAD"], **run).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], **run).stdout.strip()  # ignored files aside
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("-dirty" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description="Evaluate a profile's models on the test split.")
    profiles.add_arguments(parser)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--model", help="evaluate this trained model -> <run>/<model>/eval.json")
    what.add_argument(
        "--baseline", action="store_true", help="the no-context baseline -> <run>/baseline.json"
    )
    what.add_argument("--results", action="store_true", help="gather everything -> <run>/results.json")
    args = parser.parse_args()
    profile = profiles.from_arguments(args)
    try:
        if args.results:
            target = profile.run_dir / "results.json"
            write_json(results(profile), target)
        elif args.baseline:
            target = profile.run_dir / "baseline.json"
            write_json(evaluate_baseline(dataset_stage.load(profile)), target)
        else:
            device = pick_device()
            model, _ = load_trained(profile, args.model, device)
            metrics = evaluate_model(model, dataset_stage.load(profile), 2 * profile.batch_size, device)
            target = model_dir(profile, args.model) / "eval.json"
            write_json(metrics, target)
    except (CheckpointError, FileNotFoundError, KeyError, ValueError) as error:
        sys.exit(f"error: {error}")
    summary = json.loads(target.read_text())
    if "cross_entropy" in summary:
        print(f"{target}: cross entropy {summary['cross_entropy']:.4f}, accuracy {summary['accuracy']:.2%}")
    else:
        print(f"{target}: written")


if __name__ == "__main__":
    main()
