"""Stage 3, training: Adam on mini-batches of observations, checkpoints, resume, and a loss CSV.

Deterministic for a given thread count (the profile may fix it: `train_threads`; build/cpu.py applies it
with the profile's flush of subnormal floats): the initial weights
come from the profile's train seed, and the batch and the learning rate of step s are functions of s alone
(a seeded permutation per epoch; the profile's schedule), so a run resumed from a checkpoint ends with the
same weights as one that was never interrupted. Writes, per model, in <run>/<model>/:
  checkpoint.pt  the latest state (weights, Adam, step, clock; with the profile's keep_best also the
                 weights of the best validation loss so far), replaced atomically
  losses.csv     step, seconds, train_loss, valid_loss (valid_loss at intervals)
  model.pt       the final weights and what produced them (Make's target for this stage): the last
                 step's, or with keep_best the best validation loss's (model.pt's "selected" says which)

train() runs four stages in order: setup and resume (build/training_state.py: a new run, then the state of
its checkpoint, if it has one), loop (the steps, with validations, checkpoints and progress) and finish
(model.pt when the loop did not write it, and the closing line).

On a CPU, a run that would take hours (the paper profile: days) first measures one step, prints the
estimate and stops unless told to go ahead (`--yes`; `make ... YES=1`).

Two implementations compute the same loss: "fused" (build/fused.py: the output layer and its cross entropy
in chunks, never all logits at once, and the Nested LSTM's Triton kernels; the default on CUDA) and
"reference" (plain PyTorch; the default on the CPU, whose results it leaves unchanged, and `--reference`
anywhere). Checkpoints record theirs.

Before anything is written, the model's unit file is checked (build.units.check), so a researcher's broken
build/units/<name>.py stops the run with one line naming the file; a loss that turns NaN or infinite
stops it too, without saving those weights.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import math
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch

from build import cpu, profiles, units
from build.checkpoints import CheckpointError
from build.dataset import Dataset
from build.model import Model, pick_device
from build.profiles import Profile
from build.run_files import LOSSES, kept_path
from build.training_state import Run, describe_device, diverged, resume, save, setup

CPU_HOURS_WITHOUT_ASKING = 2.0  # a longer CPU run needs --yes
ESTIMATE_FROM_STEPS = 1000  # runs with fewer steps left to train are not worth timing first
CSV_FIELDS = ["step", "seconds", "train_loss", "valid_loss"]


class TooSlowError(RuntimeError):
    """Training here would take far longer than anyone expects from `make`; the message says how long."""


def learning_rate(profile: Profile, step: int) -> float:
    """Adam's learning rate for the step that follows `step` steps: a function of the step alone, so a
    resumed run takes the same steps as one never interrupted."""
    peak = profile.learning_rate
    if profile.lr_schedule == "constant":
        return peak
    if profile.lr_schedule != "cosine":
        raise ValueError(
            f"profile {profile.name!r}: lr_schedule {profile.lr_schedule!r} is not 'constant' or 'cosine'"
        )
    if step < profile.warmup_steps:
        return peak * (step + 1) / profile.warmup_steps
    decay = max(profile.steps - profile.warmup_steps, 1)
    done = min((step - profile.warmup_steps) / decay, 1.0)
    floor = profile.min_learning_rate
    return floor + 0.5 * (peak - floor) * (1.0 + math.cos(math.pi * done))


def batch_indices(step: int, train_count: int, batch_size: int, seed: int) -> np.ndarray:
    """Rows of the training split that form mini-batch `step` (epochs reshuffle with their own seed)."""
    per_epoch = train_count // batch_size
    if per_epoch == 0:
        raise ValueError(f"{train_count} training observations cannot fill one batch of {batch_size}")
    epoch, index = divmod(step, per_epoch)
    order = np.random.RandomState([seed, epoch]).permutation(train_count)
    return order[index * batch_size : (index + 1) * batch_size]


@torch.no_grad()
def validation_loss(
    model: Model, data: Dataset, profile: Profile, device: torch.device, fused: bool = False
) -> float:
    """Mean masked cross entropy over the first `validation_batches` mini-batches of the validation split."""
    model.eval()
    total, count = 0.0, 0
    rows = np.arange(len(data.inputs["valid"]))
    for start in range(0, profile.validation_batches * profile.batch_size, profile.batch_size):
        if start >= len(rows):
            break
        chars, targets = data.batch("valid", rows[start : start + profile.batch_size], device)
        loss, n, _ = model.loss(chars, targets, fused=fused)
        total, count = total + loss.item(), count + int(n)
    model.train()
    return total / max(count, 1)


def read_losses(path: Path, up_to_step: int) -> list[dict]:
    """Rows of an earlier run's CSV up to the checkpoint's step (later rows are redone on resume)."""
    if not path.exists():
        return []
    with open(path, newline="") as handle:
        return [row for row in csv.DictReader(handle) if int(row["step"]) <= up_to_step]


def seconds_per_step(
    model: Model, data: Dataset, profile: Profile, device: torch.device, fused: bool
) -> float:
    """Wall-clock seconds of one training step, measured on a throwaway copy of the model."""
    trial = copy.deepcopy(model)
    optimizer = torch.optim.Adam(trial.parameters(), lr=profile.learning_rate)
    rows = batch_indices(0, len(data.inputs["train"]), profile.batch_size, profile.model_seed)
    chars, targets = data.batch("train", rows, device)
    started = time.perf_counter()
    loss_sum, count, _ = trial.loss(chars, targets, fused=fused)
    (loss_sum / count).backward()
    optimizer.step()
    return time.perf_counter() - started


def describe_duration(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 60:.0f} minutes"


def check_cpu_time(run: Run) -> None:
    """On a CPU, refuse (TooSlowError) the steps left to `run` when their measured estimate exceeds
    CPU_HOURS_WITHOUT_ASKING."""
    remaining = run.profile.steps - run.step
    if run.device.type != "cpu" or remaining < ESTIMATE_FROM_STEPS:
        return
    step = seconds_per_step(run.model, run.data, run.profile, run.device, run.fused)
    total = step * remaining
    print(
        f"{run.key}: about {describe_duration(total)} on this CPU ({remaining:,} steps at {step:.2f} s each)"
    )
    if total > CPU_HOURS_WITHOUT_ASKING * 3600:
        raise TooSlowError(
            f"training {run.key} of profile {run.profile.name!r} on this CPU would take about "
            f"{describe_duration(total)} ({remaining:,} steps at {step:.2f} s, measured); train it on a GPU, "
            "or pass --yes (make ... YES=1) to go ahead on the CPU"
        )


def take_step(run: Run) -> float:
    """One optimiser step on mini-batch `run.step` at the schedule's learning rate; its training loss."""
    profile = run.profile
    rows = batch_indices(run.step, len(run.data.inputs["train"]), profile.batch_size, profile.model_seed)
    chars, targets = run.data.batch("train", rows, run.device)
    loss_sum, count, _ = run.model.loss(chars, targets, fused=run.fused)
    loss = loss_sum / count
    run.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if profile.clip_norm is not None:
        torch.nn.utils.clip_grad_norm_(run.model.parameters(), profile.clip_norm)
    for group in run.optimizer.param_groups:
        group["lr"] = learning_rate(profile, run.step)
    run.optimizer.step()
    run.step += 1
    value = loss.item()
    if not math.isfinite(value):
        raise diverged(run, "loss", value)
    return value


def validate_if_due(run: Run) -> str:
    """The validation loss after the first step, every `validate_every` and the last ("" otherwise); with
    keep_best, remembers the weights of the best one."""
    profile = run.profile
    if not (run.step % profile.validate_every == 0 or run.step == profile.steps or run.step == 1):
        return ""
    valid_loss = validation_loss(run.model, run.data, profile, run.device, run.fused)
    if not math.isfinite(valid_loss):
        raise diverged(run, "validation loss", valid_loss)
    run.last_valid = f"{valid_loss:.5f}"
    run.keep_if_best(float(run.last_valid))  # as logged, so model.pt's choice matches losses.csv
    return run.last_valid


def train(
    profile: Profile,
    key: str,
    device: torch.device | None = None,
    on_step: Callable[[int], None] | None = None,
    progress: bool | str = True,
    implementation: str | None = None,
    yes: bool = False,
) -> Path:
    """Train model `key` of `profile` to `profile.steps`, resuming from its checkpoint; returns model.pt.

    `implementation` is "fused" or "reference"; None means the device's default for a new run and the
    checkpoint's own for a resumed one. `on_step(step)` is called after every step (tests interrupt there).
    `progress`: True or "bar" for a progress bar, "lines" for a line at every validation (trainings side by
    side share a terminal), False for neither. `yes` trains on a CPU however long the estimate.
    """
    device = device or pick_device()
    with cpu.settings(profile):
        run = setup(profile, key, device, implementation)
        if not resume(run, implementation):
            return run.final_path  # model.pt already holds the last step
        loop(run, on_step, progress, yes)
        return finish(run)


def loop(run: Run, on_step: Callable[[int], None] | None, progress: bool | str, yes: bool) -> None:
    """The steps from the run's to the profile's last, each logged to losses.csv, with validations and
    checkpoints at their intervals and progress shown as `train` describes."""
    profile = run.profile
    print(
        f"{run.key}: training {profile.model(run.key).name} on {describe_device(run.device)} for "
        f"{profile.steps} steps ({run.implementation} implementation)"
    )
    if not yes:
        check_cpu_time(run)
    run.model.train()
    with _loss_log(run) as log, _progress(progress in (True, "bar"), profile.steps, run.step, run.key) as bar:
        while run.step < profile.steps:
            with run.clock():
                train_loss = take_step(run)
                valid = validate_if_due(run)
            log.write(run, train_loss, valid)
            _show(run, train_loss, valid, progress == "lines", bar)
            keep_if_due(run)
            if run.step % profile.checkpoint_every == 0 or run.step == profile.steps:
                log.flush()
                save(run, final=run.step == profile.steps)
            if on_step is not None:
                on_step(run.step)


def keep_if_due(run: Run) -> None:
    """Save the weights every `keep_every` steps before the last (the final model is model.pt). Only
    reads the model, never the RNG or the batch order, so the trained numbers stay the same; a resumed
    run redoes the steps after its checkpoint and so writes the later kept steps again."""
    every = run.profile.keep_every
    if every and run.step % every == 0 and run.step < run.profile.steps:
        path = kept_path(run.directory, run.step)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({k: v.detach().clone() for k, v in run.model.state_dict().items()}, path)


def finish(run: Run) -> Path:
    """model.pt, and the closing line. The loop's last checkpoint writes model.pt; a run resumed at its very
    end writes it here, from the checkpoint's state, which is the final one."""
    if not run.final_path.exists():
        save(run, final=True)
    print(f"{run.key}: {run.step} steps in {run.elapsed:.0f} s -> {run.final_path}")
    return run.final_path


class LossLog:
    """losses.csv as the loop writes it: a header, the rows kept from before, then a row a step."""

    def __init__(self, handle: TextIO, kept: list[dict]) -> None:
        self.handle = handle
        self.writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        self.writer.writeheader()
        self.writer.writerows(kept)
        handle.flush()

    def write(self, run: Run, train_loss: float, valid: str) -> None:
        self.writer.writerow(
            {
                "step": run.step,
                "seconds": f"{run.elapsed:.3f}",
                "train_loss": f"{train_loss:.5f}",
                "valid_loss": valid,
            }
        )

    def flush(self) -> None:
        """Rows on disk before a checkpoint, so that losses.csv reaches at least the checkpoint's step."""
        self.handle.flush()


@contextlib.contextmanager
def _loss_log(run: Run) -> Iterator[LossLog]:
    """losses.csv rewritten for the steps to come: an earlier run's rows up to `run.step` stay (later ones
    are redone), and the last validation loss among them is the run's `last_valid`."""
    path = run.directory / LOSSES
    kept = read_losses(path, run.step)
    run.last_valid = next((r["valid_loss"] for r in reversed(kept) if r["valid_loss"]), "")
    with open(path, "w", newline="") as handle:
        yield LossLog(handle, kept)


def _show(run: Run, train_loss: float, valid: str, lines: bool, bar: Any) -> None:
    """A step's progress: a line when it was validated (with `lines`), and the bar (when there is one)."""
    if lines and valid:
        print(
            f"{run.key}: step {run.step}/{run.profile.steps}, loss {train_loss:.3f}, valid {valid[:5]}, "
            f"{run.elapsed:.0f} s",
            flush=True,
        )
    if bar is not None:
        bar.update(1)
        bar.set_postfix(loss=f"{train_loss:.3f}", valid=run.last_valid[:5], refresh=False)


@contextlib.contextmanager
def _progress(enabled: bool, total: int, initial: int, key: str) -> Iterator[Any]:
    """A tqdm bar while the block runs (None when disabled), closed on the way out, errors included, so
    that a one-line error does not land on the bar's line."""
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(total=total, initial=initial, desc=key, unit="step", dynamic_ncols=True, mininterval=1.0)
    try:
        yield bar
    finally:
        bar.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Train one model of a profile (resumes where it stopped).")
    profiles.add_arguments(parser)
    parser.add_argument("--model", required=True, help="model key, e.g. gru, lstm, nlstm")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: cuda when present)")
    parser.add_argument(
        "--yes", action="store_true", help="train on the CPU even when the estimate runs to hours or days"
    )
    parser.add_argument(
        "--progress",
        choices=["bar", "lines", "none"],
        default="bar",
        help="a progress bar, a line at every validation (for trainings side by side), or neither",
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="plain PyTorch even on CUDA, where the fused implementation is the default",
    )
    args = parser.parse_args()
    profile = profiles.from_arguments(args)
    if torch.cuda.is_available():
        torch.backends.cudnn.deterministic = True
    try:
        implementation = "reference" if args.reference else None
        device = pick_device(args.device)
        progress = {"bar": True, "lines": "lines", "none": False}[args.progress]
        train(profile, args.model, device, progress=progress, implementation=implementation, yes=args.yes)
    except (units.UnitError, CheckpointError, TooSlowError, FileNotFoundError, KeyError, ValueError) as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
