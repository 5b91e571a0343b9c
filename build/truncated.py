"""How much each model uses the context it is connected to: the context taken away (results.json:
models[].test.truncated).

Connectivity is a gradient: it says what could move a prediction, not what the prediction needs. This
stage asks the second question directly, as Khandelwal et al. (2018) did for word-level language models:
over the first N observations of the test split (N: the profile's `context_observations`), every output
position is predicted again from a window that holds only the current word's letters read so far and
the d characters before the space that begins the word, read from the model's initial state, for each
d of DISTANCES (None: the whole observation, the evaluation's own prediction). It records
- the cross entropy over the scored positions (targets that are words of the vocabulary), and its rise
  over the whole observation's;
- top-1 accuracy at the space before a word (0 letters read): ours, over the scored positions, and as
  the original counted, over every space (<unknown> targets included);
- the effective context: the smallest d whose cross entropy is within WITHIN (1%) of the whole
  observation's, Khandelwal et al.'s criterion (None: no d of DISTANCES is).
Every value has a 95% interval from the bootstrap that test.context uses (build/bootstrap.py: the same
resamples of the same observations), the effective context one from the distance each resample gives.

Every position of one word shares its window's start (the space's distance back is fixed for the word),
so a word costs one pass per d, and all the windows of one d are read in batches, shortest first. A
window that would start before the observation does is the whole observation's pass, which is read once
and reused for every d that reaches that far.

    python -m build.truncated --model gru   -> <run>/gru/truncated.json
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch

from build import cpu, profiles
from build import dataset as dataset_stage
from build.alphabet import EOS, UNKNOWN
from build.bootstrap import BOOTSTRAP_SEED, RESAMPLES, bootstrap, ratio, resample_weights
from build.checkpoints import CheckpointError, load_trained
from build.dataset import Dataset
from build.model import Model, pick_device
from build.run_files import TRUNCATED, model_dir, write_json

DISTANCES: tuple[int | None, ...] = (0, 2, 4, 8, 16, 32, 64, 128, None)
WITHIN = 0.01  # the effective context: cross entropy within 1% of the whole observation's
CHUNK_OBSERVATIONS = 16  # observations read together for the whole observation's pass
WINDOW_ELEMENTS = 2**15  # characters of a batch of windows (windows x the longest's length)
CHUNK_ELEMENTS = 2**24  # logits computed at most this many at a time (64 MB of float32)
SPACE = 1  # the alphabet id of " "


def word_spaces(chars: np.ndarray) -> np.ndarray:
    """Per position of one observation's ids [T], the index of the space that begins its word (0 where
    no space precedes it): the letters read at position p are p minus it, as build.evaluate counts."""
    positions = np.arange(len(chars))
    return np.maximum.accumulate(np.where(chars == SPACE, positions, 0))


@torch.no_grad()
def predictions(model: Model, hidden: torch.Tensor, targets: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """The log probability of each target [M] (float64) and the first guess [M] from top-layer outputs
    [M, H], computed as build.evaluate computes them (log_softmax of the dense layer, in float32)."""
    log_prob = np.empty(len(hidden), dtype=np.float64)
    first = np.empty(len(hidden), dtype=np.int64)
    chunk = max(1, CHUNK_ELEMENTS // model.dense.out_features)
    for start in range(0, len(hidden), chunk):
        part = slice(start, start + chunk)
        log_probs = torch.log_softmax(model.dense(hidden[part]).float(), dim=-1)
        first[part] = log_probs.argmax(-1).cpu().numpy()
        log_prob[part] = log_probs.gather(1, targets[part, None].clamp(min=0))[:, 0].double().cpu().numpy()
    return log_prob, first


@torch.no_grad()
def window_outputs(model: Model, windows: list[np.ndarray], reads: list[int]) -> torch.Tensor:
    """Top-layer outputs at the last `reads[i]` characters of each window of ids (each window read
    alone from the initial state), concatenated in the windows' order: [sum(reads), H]. Windows are
    batched shortest first, WINDOW_ELEMENTS characters at a time, <eos>-padded at the end (padding comes
    after every position read, so it changes nothing)."""
    device = next(model.parameters()).device
    order = np.argsort([len(w) for w in windows], kind="stable")
    pieces: dict[int, torch.Tensor] = {}
    first = 0
    while first < len(order):
        last = first + 1
        while last < len(order) and len(windows[order[last]]) * (last + 1 - first) <= WINDOW_ELEMENTS:
            last += 1
        batch = order[first:last]
        width = max(len(windows[i]) for i in batch)
        chars = np.zeros((len(batch), width), dtype=np.int64)  # EOS = 0
        for row, i in enumerate(batch):
            chars[row, : len(windows[i])] = windows[i]
        hidden = model.hidden(torch.from_numpy(chars).to(device))[0]
        for row, i in enumerate(batch):
            length = len(windows[i])
            pieces[int(i)] = hidden[row, length - reads[i] : length]
        first = last
    return torch.cat([pieces[i] for i in range(len(windows))])


def observation_sums(
    log_prob: np.ndarray, first: np.ndarray, chars: np.ndarray, targets: np.ndarray
) -> dict[str, np.ndarray]:
    """One observation's sums for every distance [len(DISTANCES)]: log loss and count of the scored
    positions, hits and count at 0 letters (ours: scored positions; as the original: every space).
    `log_prob` and `first` [D, T] per distance and position, `chars` and `targets` [T] (no padding)."""
    scored = targets > UNKNOWN
    at_space = word_spaces(chars) == np.arange(len(chars))
    hits = first == targets[None, :]
    return {
        "loss_sum": -(log_prob * scored).sum(1),
        "loss_count": np.full(len(log_prob), float(scored.sum())),
        "top1_sum": (hits & (scored & at_space)).sum(1).astype(np.float64),
        "top1_count": np.full(len(log_prob), float((scored & at_space).sum())),
        "original_sum": (hits & at_space).sum(1).astype(np.float64),
        "original_count": np.full(len(log_prob), float(at_space.sum())),
    }


def measure_observations(model: Model, chars: np.ndarray, targets: np.ndarray) -> list[dict[str, np.ndarray]]:
    """observation_sums of each observation of `chars` and `targets` [B, T] (<eos>-padded)."""
    device = next(model.parameters()).device
    lengths = (chars != EOS).sum(1)
    width = int(lengths.max())
    full_hidden = model.hidden(torch.from_numpy(chars[:, :width]).to(device))[0]
    real = chars[:, :width] != EOS
    wanted = torch.from_numpy(targets[:, :width][real]).to(device).long()
    full_log_prob, full_first = predictions(model, full_hidden[torch.from_numpy(real).to(device)], wanted)
    # per observation: [D, T] of each distance, the whole observation's pass in every row to start with
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    log_prob = [
        np.tile(full_log_prob[offsets[b] : offsets[b + 1]], (len(DISTANCES), 1)) for b in range(len(chars))
    ]
    first = [np.tile(full_first[offsets[b] : offsets[b + 1]], (len(DISTANCES), 1)) for b in range(len(chars))]
    for index, distance in enumerate(DISTANCES):
        if distance is None:
            continue
        windows, reads, places = [], [], []  # places: (observation, first position read)
        for b, length in enumerate(lengths):
            ids = chars[b, :length]
            spaces = np.flatnonzero(ids == SPACE)
            ends = np.append(spaces[1:], length)
            for space, end in zip(spaces.tolist(), ends.tolist(), strict=True):
                start = space - distance
                if start <= 0:
                    continue  # the window holds the whole observation so far: its pass is the full one
                windows.append(ids[start:end])
                reads.append(end - space)
                places.append((b, space))
        if not windows:
            continue
        hidden = window_outputs(model, windows, reads)
        at = np.concatenate(
            [np.arange(space, space + n) for (_, space), n in zip(places, reads, strict=True)]
        )
        of = np.repeat([b for b, _ in places], reads)
        window_targets = torch.from_numpy(targets[of, at]).to(device).long()
        values, guesses = predictions(model, hidden, window_targets)
        for b in np.unique(of):
            mine = of == b
            log_prob[b][index, at[mine]] = values[mine]
            first[b][index, at[mine]] = guesses[mine]
    return [
        observation_sums(log_prob[b], first[b], chars[b, :length], targets[b, :length])
        for b, length in enumerate(lengths)
    ]


def effective_context(cross_entropy: list[float], within: float = WITHIN) -> int | None:
    """The smallest d of DISTANCES whose cross entropy is within `within` of the whole observation's
    (the last entry), Khandelwal et al.'s criterion; None when only the whole observation is."""
    full = cross_entropy[-1]
    return next(
        (
            d
            for d, value in zip(DISTANCES[:-1], cross_entropy[:-1], strict=True)
            if value <= (1 + within) * full
        ),
        None,
    )


def _number(value: float) -> float | None:
    """Six significant digits, None for no value."""
    return None if np.isnan(value) else float(f"{value:.6g}")


def _interval(summary: dict[str, np.ndarray]) -> dict[str, list]:
    return {part: [_number(v) for v in summary[part]] for part in ("mean", "low", "high")}


def summarise(
    per_observation: list[dict[str, np.ndarray]], resamples: int, seed: int, within: float = WITHIN
) -> dict:
    """test.truncated from the observations' sums, in the shape results.json documents."""

    def stacked(name: str) -> np.ndarray:
        return np.stack([sums[name] for sums in per_observation])

    losses, counts = stacked("loss_sum"), stacked("loss_count")
    cross_entropy = bootstrap(losses, counts, resamples, seed)
    weights = resample_weights(len(per_observation), resamples, seed)
    resampled = ratio(weights @ losses, weights @ counts)  # [resamples, D]
    rises = resampled / resampled[:, -1:] - 1
    rise_mean = cross_entropy["mean"] / cross_entropy["mean"][-1] - 1
    low, high = np.nanpercentile(rises, [2.5, 97.5], axis=0)
    reached = [effective_context(row.tolist(), within) for row in resampled]
    far = np.array([np.inf if d is None else d for d in reached])
    reach_low, reach_high = np.quantile(far, [0.025, 0.975], method="inverted_cdf")

    def distance(value: float) -> int | None:
        return None if np.isinf(value) else int(value)

    return {
        "observations": len(per_observation),
        "positions": int(counts[:, 0].sum()),
        "positions_at_0": int(stacked("top1_count")[:, 0].sum()),
        "distances": list(DISTANCES),
        "cross_entropy": _interval(cross_entropy),
        "rise": _interval({"mean": rise_mean, "low": low, "high": high}),
        "top1_at_0": _interval(bootstrap(stacked("top1_sum"), stacked("top1_count"), resamples, seed)),
        "top1_at_0_as_original": _interval(
            bootstrap(stacked("original_sum"), stacked("original_count"), resamples, seed)
        ),
        "effective_context": {
            "mean": effective_context(cross_entropy["mean"].tolist(), within),
            "low": distance(reach_low),
            "high": distance(reach_high),
        },
        "within": within,
        "resamples": resamples,
        "seed": seed,
    }


@torch.no_grad()
def measure(
    model: Model,
    data: Dataset,
    observations: int | None = None,
    resamples: int = RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    chunk: int = CHUNK_OBSERVATIONS,
) -> dict:
    """test.truncated of `model` (on the device it is on) over the first `observations` of the test
    split (None: all of them)."""
    model.eval()
    total = len(data.inputs["test"])
    count = total if observations is None else min(observations, total)
    if count < 1:
        raise ValueError(f"the test split has no observations to take context from ({total} in it)")
    per_observation = []
    for first in range(0, count, chunk):
        rows = slice(first, min(first + chunk, count))
        chars = data.inputs["test"][rows].astype(np.int64)
        targets = data.targets["test"][rows].astype(np.int64)
        per_observation += measure_observations(model, chars, targets)
    return summarise(per_observation, resamples, seed)


def measure_trained(profile: profiles.Profile, key: str, device: torch.device | None = None) -> dict:
    """A trained model's truncated.json over the profile's `context_observations`, on `device`
    (default: the CPU)."""
    model, _ = load_trained(profile, key, device or torch.device("cpu"))
    return measure(model, dataset_stage.load(profile), profile.context_observations)


def main() -> None:
    parser = argparse.ArgumentParser(description="Measure how much of its context a trained model uses.")
    profiles.add_arguments(parser)
    parser.add_argument("--model", required=True, help="the trained model -> <run>/<model>/truncated.json")
    args = parser.parse_args()
    profile = profiles.from_arguments(args)
    target = model_dir(profile, args.model) / TRUNCATED
    try:
        started = time.perf_counter()
        with cpu.settings(profile):
            truncated = measure_trained(profile, args.model, pick_device())
    except (CheckpointError, FileNotFoundError, KeyError, ValueError) as error:
        sys.exit(f"error: {error}")
    write_json(truncated, target)
    rise = truncated["rise"]
    reach = truncated["effective_context"]
    print(
        f"{target}: {truncated['positions']:,} positions of {truncated['observations']} observations in "
        f"{time.perf_counter() - started:.1f} s; cross entropy rises {rise['mean'][0]:.1%} "
        f"[{rise['low'][0]:.1%}, {rise['high'][0]:.1%}] with the current word alone; effective context "
        f"{reach['mean']} characters [{reach['low']}, {reach['high']}]"
    )


if __name__ == "__main__":
    main()
