"""Stage 3, training: Adam on mini-batches of observations, checkpoints, resume, and a loss CSV.

Deterministic: the initial weights come from the profile's train seed, and the batch of step s is a
function of s alone (a seeded permutation per epoch), so a run resumed from a checkpoint ends with the
same weights as one that was never interrupted. Writes, per model, in <run>/<model>/:
  checkpoint.pt  the latest state (weights, Adam, step, clock; with the profile's keep_best also the
                 weights of the best validation loss so far), replaced atomically
  losses.csv     step, seconds, train_loss, valid_loss (valid_loss at intervals)
  model.pt       the final weights and what produced them (Make's target for this stage): the last
                 step's, or with keep_best the best validation loss's (model.pt's "selected" says which)

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
import copy
import csv
import dataclasses
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from build import dataset as dataset_stage
from build import profiles, units
from build.dataset import Dataset
from build.model import Model, pick_device
from build.profiles import Profile
from build.run_files import (
    CHECKPOINT,
    CHECKPOINT_FORMAT,
    LOSSES,
    TRAINED,
    CheckpointError,
    load_weights,
    model_dir,
    read_checkpoint,
    save_checkpoint,
    sha256_bytes,
    trained_implementation,
)

CPU_HOURS_WITHOUT_ASKING = 2.0  # a longer CPU run needs --yes
ESTIMATE_FROM_STEPS = 1000  # runs with fewer steps left to train are not worth timing first
CSV_FIELDS = ["step", "seconds", "train_loss", "valid_loss"]
IMPLEMENTATIONS = ("fused", "reference")


class TooSlowError(RuntimeError):
    """Training here would take far longer than anyone expects from `make`; the message says how long."""


def default_implementation(device: torch.device) -> str:
    """Fused on CUDA, where the [N, V] logits are half of a step's time; on the CPU plain PyTorch, so the
    small profile's numbers and checkpoints stay exactly what they were (fused agrees only to rounding)."""
    return "fused" if device.type == "cuda" else "reference"


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"


def identity(profile: Profile, key: str, data: Dataset) -> dict:
    """What a checkpoint must agree with to be resumed or used: profile, model, dataset, optimiser."""
    config = profile.model(key)
    return {
        "profile": profile.name,
        "corpus": profile.corpus,
        "model": dataclasses.asdict(config),
        "vocab_size": profile.vocab_size,
        "embedding": profile.embedding,
        "dataset": data.key,
        "train_seed": profile.train_seed,
        "batch_size": profile.batch_size,
        "learning_rate": profile.learning_rate,
        "init": profile.init,
        "unit_source": unit_source(config.unit),
    }


def unit_source(unit: str) -> str:
    """SHA-256 of the unit's file and of its kernels if it has any: an edited unit trains afresh."""
    files = [units.located(unit), profiles.ROOT / "build" / "kernels" / f"{unit}.py"]
    return sha256_bytes(b"".join(f.read_bytes() for f in files if f and f.exists()))


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
    rows = batch_indices(0, len(data.inputs["train"]), profile.batch_size, profile.train_seed)
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


def check_cpu_time(
    model: Model, data: Dataset, profile: Profile, key: str, device: torch.device, remaining: int, fused: bool
) -> None:
    """On a CPU, refuse (TooSlowError) a run whose measured estimate exceeds CPU_HOURS_WITHOUT_ASKING."""
    if device.type != "cpu" or remaining < ESTIMATE_FROM_STEPS:
        return
    step = seconds_per_step(model, data, profile, device, fused)
    total = step * remaining
    print(f"{key}: about {describe_duration(total)} on this CPU ({remaining:,} steps at {step:.2f} s each)")
    if total > CPU_HOURS_WITHOUT_ASKING * 3600:
        raise TooSlowError(
            f"training {key} of profile {profile.name!r} on this CPU would take about "
            f"{describe_duration(total)} ({remaining:,} steps at {step:.2f} s, measured); train it on a GPU, "
            "or pass --yes (make ... YES=1) to go ahead on the CPU"
        )


def train(
    profile: Profile,
    key: str,
    device: torch.device | None = None,
    on_step: Callable[[int], None] | None = None,
    progress: bool = True,
    implementation: str | None = None,
    yes: bool = False,
) -> Path:
    """Train model `key` of `profile` to `profile.steps`, resuming from its checkpoint; returns model.pt.

    `implementation` is "fused" or "reference"; None means the device's default for a new run and the
    checkpoint's own for a resumed one (a run never changes implementation midway: its weights would
    depend on where it was interrupted). An explicit one that differs from the checkpoint's is an error.
    """
    device = device or pick_device()
    if implementation is not None and implementation not in IMPLEMENTATIONS:
        raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}, not {implementation!r}")
    chosen = implementation or default_implementation(device)
    config = profile.model(key)
    units.check(config.unit, config.units, config.layers, config.options)  # before anything is written
    data = dataset_stage.load(profile)
    directory = model_dir(profile, key)
    directory.mkdir(parents=True, exist_ok=True)
    checkpoint_path, final_path, csv_path = (
        directory / CHECKPOINT,
        directory / TRAINED,
        directory / LOSSES,
    )
    expected = identity(profile, key, data)

    torch.manual_seed(profile.train_seed)
    model = Model.for_profile(profile, key).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=profile.learning_rate)
    step, elapsed = 0, 0.0
    saved: int | None = None  # the step checkpoint.pt holds, for the message when the loss breaks
    best: dict | None = None  # keep_best: {"step", "valid_loss", "weights"} of the best validation so far
    payload = None
    if checkpoint_path.exists():
        payload = read_checkpoint(checkpoint_path, {k: v for k, v in expected.items() if k != "unit_source"})
        # Checkpoints written before the unit's source was recorded are taken as made by this source.
        if payload["identity"].get("unit_source", expected["unit_source"]) != expected["unit_source"]:
            unit = units.unit_file(config.unit)
            print(f"{key}: {unit} changed since {checkpoint_path} was written: training from scratch")
            payload = None
    if payload is not None:
        if implementation is not None and trained_implementation(payload) != implementation:
            raise CheckpointError(
                f"{checkpoint_path}: trained with the {trained_implementation(payload)} implementation, but "
                f"this run asks for the {implementation} one; delete {directory} to train it afresh with it"
            )
        chosen = trained_implementation(payload)
        if payload["step"] > profile.steps:
            raise CheckpointError(
                f"{checkpoint_path}: already at step {payload['step']}, past this profile's {profile.steps} "
                f"steps; delete {directory} to train again"
            )
        if payload["step"] == profile.steps and final_path.exists():
            print(f"{key}: up to date ({final_path}, {profile.steps} steps)")
            return final_path
        load_weights(model, payload["weights"], checkpoint_path)
        optimizer.load_state_dict(payload["optimizer"])
        step, elapsed = payload["step"], payload["elapsed"]
        saved = step
        best = payload.get("best")
        print(f"{key}: resuming from {checkpoint_path} at step {step}")
    rows = read_losses(csv_path, step)

    def checkpoint(final: bool = False) -> None:
        nonlocal saved
        saved = step
        payload = {
            "format": CHECKPOINT_FORMAT,
            "identity": expected,
            "step": step,
            "elapsed": elapsed,
            "path": chosen,  # the implementation (a field name older checkpoints already use)
            "weights": model.state_dict(),
        }
        save_checkpoint({**payload, "optimizer": optimizer.state_dict(), "best": best}, checkpoint_path)
        if final:
            shipped = {**payload, "parameters": model.parameter_counts(), "device": describe_device(device)}
            if best is not None:
                shipped["weights"] = best["weights"]
                shipped["selected"] = {
                    "rule": "best validation loss",
                    "step": best["step"],
                    "valid_loss": best["valid_loss"],
                    "last_step": step,
                    "last_valid_loss": float(last_valid) if last_valid else None,
                }
            save_checkpoint(shipped, final_path)

    def diverged(what: str, value: float, bar: Any) -> units.UnitError:
        """The error for a non-finite loss; these weights are never saved, an earlier checkpoint stays. Closes
        the progress bar, so that the one-line error does not land on the bar's line."""
        if bar is not None:
            bar.close()
        kept = f"{checkpoint_path} keeps step {saved}" if saved is not None else "no checkpoint was written"
        return units.UnitError(
            f"{units.unit_file(config.unit)}: {what} is {value} at step {step}; the model's outputs are no "
            f"longer finite (a unit that overflows or divides by zero, or a learning rate too high), so "
            f"training stopped without saving these weights ({kept})"
        )

    def remember_if_best(valid_loss: float) -> None:
        nonlocal best
        if profile.keep_best and (best is None or valid_loss < best["valid_loss"]):
            best = {"step": step, "valid_loss": valid_loss, "weights": copy.deepcopy(model.state_dict())}

    fused = chosen == "fused"
    if hasattr(model.rnn, "fused"):  # a unit with its own kernels (Nested LSTM): off for the reference
        model.rnn.fused = None if fused else False
    print(
        f"{key}: training {config.name} on {describe_device(device)} for {profile.steps} steps "
        f"({chosen} implementation)"
    )
    if not yes:
        check_cpu_time(model, data, profile, key, device, profile.steps - step, fused)
    model.train()
    with open(csv_path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
        handle.flush()
        bar = _progress(progress, profile.steps, step, key)
        last_valid = rows[-1]["valid_loss"] if rows else ""
        while step < profile.steps:
            started = time.perf_counter()
            rows_of_batch = batch_indices(
                step, len(data.inputs["train"]), profile.batch_size, profile.train_seed
            )
            chars, targets = data.batch("train", rows_of_batch, device)
            loss_sum, count, _ = model.loss(chars, targets, fused=fused)
            loss = loss_sum / count
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            train_loss = loss.item()
            step += 1
            if not math.isfinite(train_loss):
                raise diverged("loss", train_loss, bar)
            valid = ""
            if step % profile.validate_every == 0 or step == profile.steps or step == 1:
                valid_loss = validation_loss(model, data, profile, device, fused)
                if not math.isfinite(valid_loss):
                    raise diverged("validation loss", valid_loss, bar)
                valid = f"{valid_loss:.5f}"
                last_valid = valid
                remember_if_best(float(valid))
            elapsed += time.perf_counter() - started
            writer.writerow(
                {
                    "step": step,
                    "seconds": f"{elapsed:.3f}",
                    "train_loss": f"{train_loss:.5f}",
                    "valid_loss": valid,
                }
            )
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{train_loss:.3f}", valid=last_valid[:5], refresh=False)
            if step % profile.checkpoint_every == 0 or step == profile.steps:
                handle.flush()
                checkpoint(final=step == profile.steps)
            if on_step is not None:
                on_step(step)
        if bar is not None:
            bar.close()
    if not final_path.exists():  # resumed at the very end: the last checkpoint already holds the final state
        checkpoint(final=True)
    print(f"{key}: {step} steps in {elapsed:.0f} s -> {final_path}")
    return final_path


def _progress(enabled: bool, total: int, initial: int, key: str):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=key, unit="step", dynamic_ncols=True, mininterval=1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description="Train one model of a profile (resumes where it stopped).")
    profiles.add_arguments(parser)
    parser.add_argument("--model", required=True, help="model key, e.g. gru, lstm, nlstm")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: cuda when present)")
    parser.add_argument(
        "--yes", action="store_true", help="train on the CPU even when the estimate runs to hours or days"
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
        train(profile, args.model, device, progress=True, implementation=implementation, yes=args.yes)
    except (units.UnitError, CheckpointError, TooSlowError, FileNotFoundError, KeyError, ValueError) as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
