"""How far back each model looks, measured over the test split (results.json: models[].test.context).

One passage illustrates; this stage measures. Over the first N observations of the test split, in the
split's order (N: the profile's `context_observations`, None for all), it computes the connectivity of
every output position (build/connectivity.py's definition: the squared norm of d logit_k / d onehot,
k the target word, or the model's own first guess where the target is not a word of the vocabulary)
and reduces each row to:
- the share of the row, up to and including its position, that falls before the current word's space
  (the page's `share_before_word`), grouped by the letters of the word already read: 0, 1, 2, 3, 4, 5+;
- the row normalised to sum 1, read against the distance back from the output position, 0 to
  MAX_DISTANCE characters, for the positions with 0 letters read and for those with 3 or more. A
  distance counts the rows that reach that far back (position >= distance).
Each mean has a 95% interval from a bootstrap over observations (build/bootstrap.py: RESAMPLES resamples,
a fixed seed): positions of one observation share their context, so they are resampled together.

All rows of a chunk of observations come from one forward pass and one reversed pass: the forward keeps
the unit's state at every step; going back, step t's vector-Jacobian product (torch.func.vjp, vmapped
over the rows) carries the cotangent of every output position p >= t at once, and the part reaching the
input at t is that column of the connectivity. That costs one backward step per (row, step) pair with
p >= t, half of what copying the passage once per row costs (build.connectivity.connectivity, forward
and backward over the whole span per row), and its matrix products are over all rows at once.

    python -m build.lookback --model gru   -> <run>/gru/context.json
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
from build.bootstrap import BOOTSTRAP_SEED, RESAMPLES, bootstrap
from build.checkpoints import CheckpointError, load_trained
from build.dataset import Dataset
from build.model import Model, pick_device
from build.run_files import CONTEXT, model_dir, write_json
from build.units import RecurrentUnit

LETTER_GROUPS = ("0", "1", "2", "3", "4", "5+")
DISTANCE_GROUPS = {"0": (0, 0), "3+": (3, None)}  # letters read: first and last (None: no limit)
MAX_DISTANCE = 100
CHUNK_OBSERVATIONS = 16  # observations whose rows go back together (their states stay in cache)
SPACE = 1  # the alphabet id of " "


def word_starts(chars: np.ndarray) -> np.ndarray:
    """Per position of one observation's ids [T], the index of the space that begins its word (0 where
    no space precedes it), the same as build.evaluate.letters_seen counts from."""
    positions = np.arange(len(chars))
    return np.maximum.accumulate(np.where(chars == SPACE, positions, 0))


def chosen_words(model: Model, hidden: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The word whose logit each row differentiates: the target where it is a word of the vocabulary,
    else the model's own first guess (as the passage figures do)."""
    chosen = targets.clone()
    own = targets <= UNKNOWN
    if own.any():
        chosen[own] = model.dense(hidden[own]).argmax(-1)
    return chosen


def batched_vjp(
    unit: RecurrentUnit, x: torch.Tensor, state: torch.Tensor, to_output: torch.Tensor, to_state: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The vector-Jacobian products of `unit.step` at (x [B, E], state [B, S]) for a stack of R cotangents
    of its output [R, B, H] and new state [R, B, S]: what reaches x [R, B, E] and state [R, B, S].
    torch.func.vmap runs the one backward over all R at once."""
    _, backward = torch.func.vjp(unit.step, x, state)
    return torch.func.vmap(backward)((to_output, to_state))


def copied_vjp(
    unit: RecurrentUnit, x: torch.Tensor, state: torch.Tensor, to_output: torch.Tensor, to_state: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The same products from plain autograd on R copies of the step, which any differentiable step
    supports: for a step torch.func cannot transform (a custom autograd.Function without vmap support,
    say, in a researcher's own unit)."""
    rows = len(to_output)
    with torch.enable_grad():
        xs = x.repeat(rows, 1).requires_grad_(True)
        states = state.repeat(rows, 1).requires_grad_(True)
        output, new_state = unit.step(xs, states)
        to_x, to_previous = torch.autograd.grad(
            (output, new_state),
            (xs, states),
            (to_output.flatten(0, 1), to_state.flatten(0, 1)),
            allow_unused=True,
            materialize_grads=True,
        )
    return to_x.view(rows, *x.shape), to_previous.view(rows, *state.shape)


@torch.no_grad()
def connectivity_matrices(model: Model, chars: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Connectivity [B, T, T] of observations `chars` [B, T] (alphabet ids, <eos>-padded): entry
    [b, p, t] is input t's connectivity to output position p of observation b (zero for t > p and for
    padded positions). `targets` [B, T] are word ids (<unknown> or <eos>: the model's own first guess)."""
    model.eval()
    unit = model.rnn
    batch, length = chars.shape
    embedded = model.embedding(chars)
    states = [unit.initial_state(batch, embedded)]
    outputs = []
    for t in range(length):
        h, state = unit.step(embedded[:, t], states[-1])
        outputs.append(h)
        states.append(state)
    hidden = torch.stack(outputs, dim=1)
    real = chars != EOS
    # The cotangent each row starts with: d logit_k / d h at its own position (zero for padding).
    start = model.dense.weight[chosen_words(model, hidden, targets.long())] * real[..., None]
    to_onehot = model.embedding.weight.T  # [E, alphabet]
    values = embedded.new_zeros(batch, length, length)
    carried = embedded.new_zeros(0, batch, unit.state_size)  # row r: output position t + 1 + r
    back = batched_vjp
    for t in range(length - 1, -1, -1):
        from_output = embedded.new_zeros(length - t, batch, unit.hidden_size)
        from_output[0] = start[:, t]
        carried = torch.cat([embedded.new_zeros(1, batch, unit.state_size), carried])
        try:
            to_input, carried = back(unit, embedded[:, t], states[t], from_output, carried)
        except (RuntimeError, NotImplementedError):
            if back is copied_vjp:
                raise
            back = copied_vjp  # this step cannot be vmapped: copies from here on, not a retry per step
            to_input, carried = back(unit, embedded[:, t], states[t], from_output, carried)
        values[:, t:, t] = (to_input @ to_onehot).pow(2).sum(-1).T
    return values


def observation_sums(values: np.ndarray, chars: np.ndarray) -> dict[str, np.ndarray]:
    """One observation's sums and counts: shares before the word by letter group, and normalised
    connectivity by distance for each distance group. `values` [T, T] as connectivity_matrices gives,
    `chars` [T] its ids (<eos> padding is left out)."""
    length = int((chars != EOS).sum())
    values = values[:length, :length].astype(np.float64)
    starts = word_starts(chars[:length])
    positions = np.arange(length)
    letters = positions - starts
    running = np.cumsum(values, axis=1)
    totals = running[positions, positions]
    before = np.where(starts > 0, running[positions, np.maximum(starts - 1, 0)], 0.0)
    scored = totals > 0  # a row with no connectivity at all has no share
    share = np.where(scored, before / np.where(scored, totals, 1.0), 0.0)
    group = np.minimum(letters, len(LETTER_GROUPS) - 1)
    sums = {
        "share_sum": np.bincount(group[scored], share[scored], minlength=len(LETTER_GROUPS)),
        "share_count": np.bincount(group[scored], minlength=len(LETTER_GROUPS)).astype(np.float64),
    }
    normalised = values / np.where(scored, totals, 1.0)[:, None]
    distance = positions[:, None] - positions[None, :]  # [p, t]: p - t
    near = (distance >= 0) & (distance <= MAX_DISTANCE)
    for name, (low, high) in DISTANCE_GROUPS.items():
        rows = scored & (letters >= low) & (letters <= (high if high is not None else length))
        cells = near & rows[:, None]
        sums[f"{name}_sum"] = np.bincount(distance[cells], normalised[cells], minlength=MAX_DISTANCE + 1)
        sums[f"{name}_count"] = np.bincount(distance[cells], minlength=MAX_DISTANCE + 1).astype(np.float64)
    return sums


def _number(value: float) -> float | None:
    """Six significant digits (the tail of a distance curve is far below 1e-6), None for no value."""
    return None if np.isnan(value) else float(f"{value:.6g}")


def summarise(per_observation: list[dict[str, np.ndarray]], resamples: int, seed: int) -> dict:
    """test.context from the observations' sums, in the shape results.json documents: means, intervals
    and counts of the shares by letters read; the mean curves by distance, with their intervals and counts
    under by_distance_low, by_distance_high and by_distance_positions."""

    def summary(name: str) -> dict[str, np.ndarray]:
        sums = np.stack([sums[f"{name}_sum"] for sums in per_observation])
        counts = np.stack([sums[f"{name}_count"] for sums in per_observation])
        return bootstrap(sums, counts, resamples, seed)

    shares = summary("share")
    curves = {name: summary(name) for name in DISTANCE_GROUPS}

    def listed(part: str) -> dict[str, list]:
        return {name: [_number(v) for v in curve[part]] for name, curve in curves.items()}

    return {
        "observations": len(per_observation),
        "positions": int(shares["positions"].sum()),
        "share_before_word": {
            group: {
                "mean": _number(shares["mean"][i]),
                "low": _number(shares["low"][i]),
                "high": _number(shares["high"][i]),
                "positions": int(shares["positions"][i]),
            }
            for i, group in enumerate(LETTER_GROUPS)
        },
        "by_distance": listed("mean"),
        "by_distance_low": listed("low"),
        "by_distance_high": listed("high"),
        "by_distance_positions": {
            name: curve["positions"].astype(int).tolist() for name, curve in curves.items()
        },
        "max_distance": MAX_DISTANCE,
        "resamples": resamples,
        "seed": seed,
    }


def measure(
    model: Model,
    data: Dataset,
    observations: int | None = None,
    resamples: int = RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    chunk: int = CHUNK_OBSERVATIONS,
) -> dict:
    """test.context of `model` (on the device it is on) over the first `observations` of the test split
    (None: all of them)."""
    total = len(data.inputs["test"])
    count = total if observations is None else min(observations, total)
    if count < 1:
        raise ValueError(f"the test split has no observations to measure context on ({total} in it)")
    device = next(model.parameters()).device
    per_observation = []
    for first in range(0, count, chunk):
        rows = np.arange(first, min(first + chunk, count))
        chars, targets = data.batch("test", rows, device)
        width = int((chars != EOS).sum(1).max())
        values = connectivity_matrices(model, chars[:, :width], targets[:, :width]).cpu().numpy()
        ids = chars[:, :width].cpu().numpy()
        per_observation += [observation_sums(values[b], ids[b]) for b in range(len(rows))]
    return summarise(per_observation, resamples, seed)


def measure_trained(profile: profiles.Profile, key: str, device: torch.device | None = None) -> dict:
    """A trained model's context.json: test.context over the profile's `context_observations`, on
    `device` (default: the CPU)."""
    model, _ = load_trained(profile, key, device or torch.device("cpu"))
    return measure(model, dataset_stage.load(profile), profile.context_observations)


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Measure how far back a trained model looks on the test split."
    )
    profiles.add_arguments(parser)
    parser.add_argument("--model", required=True, help="the trained model -> <run>/<model>/context.json")
    args = parser.parse_args()
    profile = profiles.from_arguments(args)
    target = model_dir(profile, args.model) / CONTEXT
    try:
        started = time.perf_counter()
        with cpu.settings(profile):
            context = measure_trained(profile, args.model, pick_device())
    except (CheckpointError, FileNotFoundError, KeyError, ValueError) as error:
        sys.exit(f"error: {error}")
    write_json(context, target)
    at_space = context["share_before_word"]["0"]
    print(
        f"{target}: {context['positions']:,} positions of {context['observations']} observations in "
        f"{time.perf_counter() - started:.1f} s; share before the word at 0 letters {at_space['mean']:.1%} "
        f"[{at_space['low']:.1%}, {at_space['high']:.1%}]"
    )


if __name__ == "__main__":
    main()
