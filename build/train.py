"""Stage 3, training: Adam on mini-batches of observations, checkpoints, resume, and a loss CSV.

Deterministic: the initial weights come from the profile's train seed, and the batch of step s is a
function of s alone (a seeded permutation per epoch), so a run resumed from a checkpoint ends with the
same weights as one that was never interrupted. Writes, per model, in <run>/<model>/:
  checkpoint.pt  the latest state (weights, Adam, step, clock), replaced atomically
  losses.csv     step, seconds, train_loss, valid_loss (valid_loss at intervals)
  model.pt       the final weights and what produced them (Make's target for this stage)

Two paths compute the same loss: "fused" (build/fused.py: the output layer and its cross entropy in
chunks, never all logits at once; the default on CUDA) and "reference" (plain PyTorch; the default on the
CPU, whose results it leaves unchanged, and `--reference` anywhere). Checkpoints record theirs.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from build import dataset as dataset_stage
from build import profiles
from build.dataset import Dataset
from build.model import Model
from build.profiles import Profile

CHECKPOINT_FORMAT = 1
CSV_FIELDS = ["step", "seconds", "train_loss", "valid_loss"]
PATHS = ("fused", "reference")


class CheckpointError(RuntimeError):
    """A checkpoint is unreadable or belongs to another run; never silently restarted from scratch."""


def pick_device(requested: str | None = None) -> torch.device:
    if requested:
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def default_path(device: torch.device) -> str:
    """Fused on CUDA, where the [N, V] logits are half of a step's time; on the CPU plain PyTorch, so the
    small profile's numbers and checkpoints stay exactly what they were (fused agrees only to rounding)."""
    return "fused" if device.type == "cuda" else "reference"


def trained_path(payload: dict) -> str:
    """The path a checkpoint was trained on; those written before the fused path existed lack the field
    and were plain PyTorch. Kept out of `identity`, whose every field an older checkpoint must match."""
    return payload.get("path", "reference")


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"


def model_dir(profile: Profile, key: str) -> Path:
    return profile.run_dir / key


def identity(profile: Profile, key: str, data: Dataset) -> dict:
    """What a checkpoint must agree with to be resumed or used: profile, model, dataset, optimiser."""
    return {
        "profile": profile.name,
        "corpus": profile.corpus,
        "model": dataclasses.asdict(profile.model(key)),
        "vocab_size": profile.vocab_size,
        "embedding": profile.embedding,
        "dataset": data.key,
        "train_seed": profile.train_seed,
        "batch_size": profile.batch_size,
        "learning_rate": profile.learning_rate,
    }


def save_atomic(payload: dict, path: Path) -> None:
    """torch.save to a temporary file, then rename: a kill never leaves half a checkpoint behind."""
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    torch.save(payload, temporary)
    os.replace(temporary, path)


def read_checkpoint(path: Path, expected: dict | None = None) -> dict:
    """Load a checkpoint and check it against `expected` (see `identity`); errors name the file and field."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a damaged file
        raise CheckpointError(
            f"{path}: unreadable checkpoint ({error}); delete it to train from scratch"
        ) from error
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not a checkpoint of this build; delete it to train from scratch")
    for field, wanted in (expected or {}).items():
        found = payload["identity"].get(field)
        if found != wanted:
            raise CheckpointError(
                f"{path}: made with {field} = {found!r}, but this run has {field} = {wanted!r}; "
                f"delete {path.parent} to train this model from scratch"
            )
    return payload


def load_weights(model: Model, weights: dict, path: Path) -> None:
    """Load a state dict, turning a shape or name mismatch (the model's code changed) into a clear error."""
    try:
        model.load_state_dict(weights)
    except RuntimeError as error:
        raise CheckpointError(
            f"{path}: its weights do not fit this model ({error}); delete {path.parent} to train it afresh"
        ) from error


def batch_indices(step: int, train_count: int, batch_size: int, seed: int) -> np.ndarray:
    """Rows of the training split that form mini-batch `step` (epochs reshuffle with their own seed)."""
    per_epoch = train_count // batch_size
    if per_epoch == 0:
        raise ValueError(f"{train_count} training observations cannot fill one batch of {batch_size}")
    epoch, index = divmod(step, per_epoch)
    order = np.random.RandomState([seed, epoch]).permutation(train_count)
    return order[index * batch_size : (index + 1) * batch_size]


def to_batch(
    data: Dataset, split: str, rows: np.ndarray, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    chars = torch.from_numpy(data.inputs[split][rows].astype(np.int64)).to(device)
    targets = torch.from_numpy(data.targets[split][rows].astype(np.int64)).to(device)
    return chars, targets


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
        chars, targets = to_batch(data, "valid", rows[start : start + profile.batch_size], device)
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


def train(
    profile: Profile,
    key: str,
    device: torch.device | None = None,
    on_step: Callable[[int], None] | None = None,
    progress: bool = True,
    path: str | None = None,
) -> Path:
    """Train model `key` of `profile` to `profile.steps`, resuming from its checkpoint; returns model.pt.

    `path` is "fused" or "reference"; None means the device's default for a new run and the checkpoint's
    own path for a resumed one (a run never changes path midway: its weights would depend on where it
    was interrupted). An explicit `path` that differs from the checkpoint's is an error.
    """
    device = device or pick_device()
    if path is not None and path not in PATHS:
        raise ValueError(f"path must be one of {PATHS}, not {path!r}")
    training_path = path or default_path(device)
    data = dataset_stage.load(profile)
    directory = model_dir(profile, key)
    directory.mkdir(parents=True, exist_ok=True)
    checkpoint_path, final_path, csv_path = (
        directory / "checkpoint.pt",
        directory / "model.pt",
        directory / "losses.csv",
    )
    expected = identity(profile, key, data)

    torch.manual_seed(profile.train_seed)
    model = Model.for_profile(profile, key).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=profile.learning_rate)
    step, elapsed = 0, 0.0
    if checkpoint_path.exists():
        payload = read_checkpoint(checkpoint_path, expected)
        if path is not None and trained_path(payload) != path:
            raise CheckpointError(
                f"{checkpoint_path}: trained on the {trained_path(payload)} path, but this run asks for the "
                f"{path} path; delete {directory} to train it afresh on that path"
            )
        training_path = trained_path(payload)
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
        print(f"{key}: resuming from {checkpoint_path} at step {step}")
    rows = read_losses(csv_path, step)

    def checkpoint(final: bool = False) -> None:
        payload = {
            "format": CHECKPOINT_FORMAT,
            "identity": expected,
            "step": step,
            "elapsed": elapsed,
            "path": training_path,
            "weights": model.state_dict(),
        }
        save_atomic({**payload, "optimizer": optimizer.state_dict()}, checkpoint_path)
        if final:
            save_atomic(
                {**payload, "parameters": model.parameter_counts(), "device": describe_device(device)},
                final_path,
            )

    fused = training_path == "fused"
    if hasattr(model.rnn, "fused"):  # a unit with its own kernels (Nested LSTM): off on the reference path
        model.rnn.fused = None if fused else False
    print(
        f"{key}: training {profile.model(key).name} on {describe_device(device)} for {profile.steps} steps "
        f"({training_path} path)"
    )
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
            chars, targets = to_batch(data, "train", rows_of_batch, device)
            loss_sum, count, _ = model.loss(chars, targets, fused=fused)
            loss = loss_sum / count
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            train_loss = loss.item()
            step += 1
            valid = ""
            if step % profile.validate_every == 0 or step == profile.steps or step == 1:
                valid = f"{validation_loss(model, data, profile, device, fused):.5f}"
                last_valid = valid
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


def load_trained(profile: Profile, key: str, device: torch.device | None = None) -> tuple[Model, dict]:
    """The final model of a finished training run, checked against the profile and its dataset."""
    path = model_dir(profile, key) / "model.pt"
    if not path.exists():
        raise CheckpointError(
            f"{path}: missing; run `python -m build.train --profile {profile.name} --model {key}`"
        )
    data_key = dataset_stage.load_key(profile)
    payload = read_checkpoint(
        path,
        {
            "profile": profile.name,
            "corpus": profile.corpus,
            "model": dataclasses.asdict(profile.model(key)),
            "dataset": data_key,
        },
    )
    model = Model.for_profile(profile, key)
    load_weights(model, payload["weights"], path)
    return model.to(device or torch.device("cpu")).eval(), payload


def trained_summary(config: profiles.ModelConfig, payload: dict) -> dict:
    """What the results and the manifest say about a trained model: its configuration and its training."""
    return {
        "key": config.key,
        "name": config.name,
        "unit": config.unit,
        "units": config.units,
        "layers": config.layers,
        "options": config.options,
        "parameters": payload["parameters"],
        "steps": payload["step"],
        "training_seconds": round(payload["elapsed"], 2),
        "device": payload["device"],
        "path": trained_path(payload),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Train one model of a profile (resumes where it stopped).")
    profiles.add_arguments(parser)
    parser.add_argument("--model", required=True, help="model key, e.g. gru, lstm, nlstm")
    parser.add_argument("--steps", type=int, help="train to this many steps instead of the profile's")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: cuda when present)")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="plain PyTorch for the output layer even on CUDA, where the fused path is the default",
    )
    args = parser.parse_args()
    profile = profiles.from_arguments(args)
    if args.steps:
        profile = dataclasses.replace(profile, steps=args.steps)
    if torch.cuda.is_available():
        torch.backends.cudnn.deterministic = True
    try:
        path = "reference" if args.reference else None
        train(profile, args.model, pick_device(args.device), progress=True, path=path)
    except (CheckpointError, FileNotFoundError, KeyError, ValueError) as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
