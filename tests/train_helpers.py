"""What tests of training and of Make share: a run interrupted, as by Ctrl-C, right after a given step, and
a built run copied for a test of its own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from build import profiles, train


def interrupted_at(profile: profiles.Profile, key: str, step: int, implementation: str | None = None) -> None:
    """Train `key` of `profile` on the CPU until `step` is done, then stop it with KeyboardInterrupt."""

    def stop(at: int) -> None:
        if at == step:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train.train(
            profile, key, torch.device("cpu"), on_step=stop, progress=False, implementation=implementation
        )


def copy_runs_and_cache(root: Path, destination: Path) -> Path:
    """The runs and caches under `root` (as conftest's tiny_root holds them) copied to `destination`, their
    times kept, so that Make finds the copy exactly as up to date as the original, and a test may change
    it without touching what other tests read."""
    for name in ("runs", "cache"):
        shutil.copytree(root / name, destination / name, symlinks=True, dirs_exist_ok=True)
    return destination
