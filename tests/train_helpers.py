"""What tests of training share: a run interrupted, as by Ctrl-C, right after a given step."""

from __future__ import annotations

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
