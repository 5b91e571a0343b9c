"""Checkpoints and trained models: the files of training (checkpoint.pt while it runs, model.pt when it is
done), written atomically, read back with their identity checked, and turned into a model.

Every stage that runs a model imports this module; those that only read and write text and JSON import
build/run_files.py alone, which needs no PyTorch.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from build.model import Model
from build.profiles import ModelConfig, Profile
from build.run_files import IDENTITY_DEFAULTS, TRAINED, dataset_key, model_dir, replacing

CHECKPOINT_FORMAT = 1


class CheckpointError(RuntimeError):
    """A checkpoint is unreadable or belongs to another run; never silently restarted from scratch."""


def save_checkpoint(payload: dict, path: Path) -> None:
    with replacing(path) as temporary:
        torch.save(payload, temporary)


def read_checkpoint(path: Path, expected: dict | None = None) -> dict:
    """Load a checkpoint and check it against `expected` (fields of its identity); errors name the file
    and the field."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a damaged file
        raise CheckpointError(
            f"{path}: unreadable checkpoint ({error}); delete it to train from scratch"
        ) from error
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not a checkpoint of this build; delete it to train from scratch")
    for field, wanted in (expected or {}).items():
        found = payload["identity"].get(field, IDENTITY_DEFAULTS.get(field))
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


def trained_implementation(payload: dict) -> str:
    """Which implementation of the loss trained a checkpoint ("fused" or "reference", stored under
    "path"); those written before the fused one existed lack the field and were plain PyTorch."""
    return payload.get("path", "reference")


def load_trained(profile: Profile, key: str, device: torch.device | None = None) -> tuple[Model, dict]:
    """The final model of a finished training run, checked against the profile and its dataset."""
    path = model_dir(profile, key) / TRAINED
    if not path.exists():
        raise CheckpointError(
            f"{path}: missing; run `python -m build.train --profile {profile.name} --model {key}`"
        )
    payload = read_checkpoint(
        path,
        {
            "profile": profile.name,
            "corpus": profile.corpus,
            "model": dataclasses.asdict(profile.model(key)),
            "dataset": dataset_key(profile),
            "flush_denormal": profile.flush_denormal,
            "train_seed": profile.model_seed,  # another seed's model is never read as this one
        },
    )
    model = Model.for_profile(profile, key)
    load_weights(model, payload["weights"], path)
    return model.to(device or torch.device("cpu")).eval(), payload


def trained_summary(config: ModelConfig, payload: dict) -> dict:
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
        "path": trained_implementation(payload),
        "selected": payload.get("selected"),
    }
