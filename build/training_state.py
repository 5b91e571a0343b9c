"""One model's training in progress and its files: a new run, a resumed one, and what it saves.

A checkpoint records the identity of its run (profile, model, dataset, optimiser and schedule settings,
the unit's source) and is resumed only by a run with the same identity; checkpoint.pt holds weights,
Adam's state, the step and the clock, model.pt the weights that ship. build/train.py runs the steps:
setup and resume here, then its loop and finish.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from build import dataset as dataset_stage
from build import profiles, units
from build.checkpoints import (
    CHECKPOINT_FORMAT,
    CheckpointError,
    load_weights,
    read_checkpoint,
    save_checkpoint,
    trained_implementation,
)
from build.dataset import Dataset
from build.model import Model
from build.profiles import Profile
from build.run_files import CHECKPOINT, TRAINED, model_dir, sha256_bytes, training_settings

IMPLEMENTATIONS = ("fused", "reference")


def default_implementation(device: torch.device) -> str:
    """Fused on CUDA, where the [N, V] logits are half of a step's time; on the CPU plain PyTorch, so the
    small profile's numbers and checkpoints stay exactly what they were (fused agrees only to rounding)."""
    return "fused" if device.type == "cuda" else "reference"


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    threads = torch.get_num_threads()
    return f"cpu ({threads} thread{'s' if threads != 1 else ''})"


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
        "train_seed": profile.model_seed,
        "batch_size": profile.batch_size,
        "learning_rate": profile.learning_rate,
        **training_settings(profile),
        "init": profile.init,
        "unit_source": unit_source(config.unit),
    }


def unit_source(unit: str) -> str:
    """SHA-256 of the unit's file and of its kernels if it has any: an edited unit trains afresh."""
    files = [units.located(unit), profiles.ROOT / "build" / "kernels" / f"{unit}.py"]
    return sha256_bytes(b"".join(f.read_bytes() for f in files if f and f.exists()))


@dataclass
class Run:
    """One model's training: what stays fixed, and the state that a checkpoint holds."""

    profile: Profile
    key: str
    device: torch.device
    data: Dataset
    identity: dict
    model: Model
    optimizer: torch.optim.Optimizer
    implementation: str  # "fused" or "reference"
    directory: Path
    step: int = 0
    elapsed: float = 0.0  # seconds of training so far, resumed runs included
    saved: int | None = None  # the step checkpoint.pt holds, for the message when the loss breaks
    best: dict | None = None  # keep_best: {"step", "valid_loss", "weights"} of the best validation so far
    last_valid: str = ""  # the last validation loss logged, as losses.csv writes it

    @property
    def fused(self) -> bool:
        return self.implementation == "fused"

    @property
    def checkpoint_path(self) -> Path:
        return self.directory / CHECKPOINT

    @property
    def final_path(self) -> Path:
        return self.directory / TRAINED

    @contextlib.contextmanager
    def clock(self) -> Iterator[None]:
        """Adds the block's wall-clock seconds to `elapsed`, the training time that checkpoints carry
        across a resume (a block that raises adds nothing: its step is redone)."""
        started = time.perf_counter()
        yield
        self.elapsed += time.perf_counter() - started

    def keep_if_best(self, valid_loss: float) -> None:
        """With the profile's keep_best, remembers the weights of the lowest validation loss so far (of
        equal ones the first), which model.pt ships instead of the last step's."""
        if self.profile.keep_best and (self.best is None or valid_loss < self.best["valid_loss"]):
            self.best = {
                "step": self.step,
                "valid_loss": valid_loss,
                "weights": copy.deepcopy(self.model.state_dict()),
            }


def setup(profile: Profile, key: str, device: torch.device, implementation: str | None) -> Run:
    """A new run of model `key` at step 0: unit checked, dataset loaded, weights from the train seed."""
    if implementation is not None and implementation not in IMPLEMENTATIONS:
        raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}, not {implementation!r}")
    config = profile.model(key)
    units.check(config.unit, config.units, config.layers, config.options)  # before anything is written
    data = dataset_stage.load(profile)
    directory = model_dir(profile, key)
    directory.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(profile.model_seed)
    model = Model.for_profile(profile, key).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=profile.learning_rate)  # set each step
    chosen = implementation or default_implementation(device)
    return Run(profile, key, device, data, identity(profile, key, data), model, optimizer, chosen, directory)


def resume(run: Run, implementation: str | None) -> bool:
    """Continue `run` from its checkpoint.pt, if there is one made by the same profile, data and unit, and
    say so; False when model.pt already holds the profile's last step, so nothing is left to train."""
    _load_checkpoint(run, implementation)
    if run.step == run.profile.steps and run.final_path.exists():
        print(f"{run.key}: up to date ({run.final_path}, {run.profile.steps} steps)")
        return False
    if run.step:
        print(f"{run.key}: resuming from {run.checkpoint_path} at step {run.step}")
    if hasattr(run.model.rnn, "fused"):  # a unit with its own kernels (Nested LSTM): off for the reference
        run.model.rnn.fused = None if run.fused else False
    return True


def _load_checkpoint(run: Run, implementation: str | None) -> None:
    """The weights, Adam's state, step, clock and best weights of checkpoint.pt, when it belongs to `run`.

    A run keeps the implementation it started with (its weights would otherwise depend on where it was
    interrupted): an explicit `implementation` that differs from the checkpoint's is an error."""
    path = run.checkpoint_path
    if not path.exists():
        return
    payload = read_checkpoint(path, {k: v for k, v in run.identity.items() if k != "unit_source"})
    # Checkpoints written before the unit's source was recorded are taken as made by this source.
    if payload["identity"].get("unit_source", run.identity["unit_source"]) != run.identity["unit_source"]:
        unit = units.unit_file(run.profile.model(run.key).unit)
        print(f"{run.key}: {unit} changed since {path} was written: training from scratch")
        return
    trained_with = trained_implementation(payload)
    if implementation is not None and trained_with != implementation:
        raise CheckpointError(
            f"{path}: trained with the {trained_with} implementation, but this run asks for the "
            f"{implementation} one; delete {run.directory} to train it afresh with it"
        )
    if payload["step"] > run.profile.steps:
        raise CheckpointError(
            f"{path}: already at step {payload['step']}, past this profile's {run.profile.steps} steps; "
            f"delete {run.directory} to train again"
        )
    load_weights(run.model, payload["weights"], path)
    run.optimizer.load_state_dict(payload["optimizer"])
    run.implementation = trained_with
    run.step, run.elapsed, run.saved = payload["step"], payload["elapsed"], payload["step"]
    run.best = payload.get("best")


def save(run: Run, final: bool = False) -> None:
    """Write checkpoint.pt (weights, Adam, step, clock) and, at the end, model.pt (the shipped weights)."""
    run.saved = run.step
    payload = {
        "format": CHECKPOINT_FORMAT,
        "identity": run.identity,
        "step": run.step,
        "elapsed": run.elapsed,
        "path": run.implementation,  # the implementation (a field name older checkpoints already use)
        "weights": run.model.state_dict(),
    }
    save_checkpoint(
        {**payload, "optimizer": run.optimizer.state_dict(), "best": run.best}, run.checkpoint_path
    )
    if not final:
        return
    shipped = {**payload, "parameters": run.model.parameter_counts(), "device": describe_device(run.device)}
    if run.best is not None:
        shipped["weights"] = run.best["weights"]
        shipped["selected"] = {
            "rule": "best validation loss",
            "step": run.best["step"],
            "valid_loss": run.best["valid_loss"],
            "last_step": run.step,
            "last_valid_loss": float(run.last_valid) if run.last_valid else None,
        }
    save_checkpoint(shipped, run.final_path)


def diverged(run: Run, what: str, value: float) -> units.UnitError:
    """The error for a non-finite loss; these weights are never saved, an earlier checkpoint stays."""
    kept = (
        f"{run.checkpoint_path} keeps step {run.saved}"
        if run.saved is not None
        else "no checkpoint was written"
    )
    return units.UnitError(
        f"{units.unit_file(run.profile.model(run.key).unit)}: {what} is {value} at step {run.step}; the "
        "model's outputs are no longer finite (a unit that overflows or divides by zero, or a learning rate "
        f"too high), so training stopped without saving these weights ({kept})"
    )
