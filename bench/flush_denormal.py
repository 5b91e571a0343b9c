"""Time one forward and backward pass per model with subnormal floats kept and flushed to zero.

The same weights, the same batch, one thread, the two settings alternating step by step so that a busy
machine slows both alike. The weights are a run's trained ones when it has them (model.pt, else the latest
checkpoint.pt: subnormals appear as a model trains, so an untrained model shows little), else the
profile's initial weights. Also counts, with the flush off, which share of the values every operation of a
pass computes are subnormal: whether there is anything to flush.

    python bench/flush_denormal.py                       # runs/small, one thread
    python bench/flush_denormal.py --profile tiny --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from build import cpu, profiles  # noqa: E402
from build.checkpoints import load_weights, read_checkpoint  # noqa: E402
from build.model import Model  # noqa: E402
from build.run_files import CHECKPOINT, TRAINED, model_dir  # noqa: E402

SMALLEST_NORMAL = torch.finfo(torch.float32).tiny


def trained_model(profile: profiles.Profile, key: str) -> tuple[Model, str]:
    """The model with the run's latest weights for `key` and where they came from (initial if none)."""
    torch.manual_seed(profile.train_seed)
    model = Model.for_profile(profile, key)
    for name in (TRAINED, CHECKPOINT):
        path = model_dir(profile, key) / name
        if path.exists():
            payload = read_checkpoint(path)
            load_weights(model, payload["weights"], path)
            return model, f"{profiles.relative_to_root(path)} (step {payload['step']})"
    return model, "initial weights"


def a_batch(profile: profiles.Profile) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed batch of the profile's shape: characters, with words' targets at most positions."""
    generator = torch.Generator().manual_seed(0)
    shape = (profile.batch_size, profile.max_length)
    chars = torch.randint(1, 28, shape, generator=generator)
    targets = torch.randint(2, profile.vocab_size, shape, generator=generator)
    return chars, targets


def forward_backward(model: Model, chars: torch.Tensor, targets: torch.Tensor) -> float:
    """Seconds of one forward and backward pass (gradients cleared first)."""
    model.zero_grad(set_to_none=True)
    started = time.perf_counter()
    total, count, _ = model.loss(chars, targets)
    (total / count).backward()
    return time.perf_counter() - started


class SubnormalCount(TorchDispatchMode):
    """Counts, while active, the float values every operation computes and how many are subnormal."""

    def __init__(self) -> None:
        super().__init__()
        self.values = self.subnormal = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204 (torch's API)
        out = func(*args, **(kwargs or {}))
        for value in tree_flatten(out)[0]:
            if isinstance(value, torch.Tensor) and value.is_floating_point():
                self.values += value.numel()
                self.subnormal += int(((value != 0) & (value.abs() < SMALLEST_NORMAL)).sum())
        return out


def subnormal_share(model: Model, chars: torch.Tensor, targets: torch.Tensor) -> float:
    """The share of the values one forward and backward pass computes that are subnormal, flush off."""
    cpu.flush_denormal(False)
    with SubnormalCount() as count:
        forward_backward(model, chars, targets)
    cpu.flush_denormal(True)
    return count.subnormal / max(count.values, 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    profiles.add_arguments(parser)
    parser.add_argument("--repeats", type=int, default=5, help="timed passes per setting (after one each)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    profile = profiles.from_arguments(args)
    torch.set_num_threads(args.threads)
    chars, targets = a_batch(profile)
    print(
        f"profile {profile.name}: batch {profile.batch_size} x {profile.max_length}, {args.threads} "
        f"thread(s), torch {torch.__version__}; median of {args.repeats} passes per setting, alternating"
    )
    print("| model | weights | subnormal share of the values a pass computes | off ms | on ms | off / on |")
    print("|---|---|---|---|---|---|")
    for config in profile.models:
        model, weights = trained_model(profile, config.key)
        model.train()
        times: dict[bool, list[float]] = {False: [], True: []}
        for repeat in range(args.repeats + 1):
            for flush in (False, True):
                cpu.flush_denormal(flush)
                seconds = forward_backward(model, chars, targets)
                if repeat:
                    times[flush].append(seconds)
        subnormal = subnormal_share(model, chars, targets)
        off, on = (statistics.median(times[flush]) * 1e3 for flush in (False, True))
        print(
            f"| {config.name} | {weights} | {subnormal:.2e} | {off:.1f} | {on:.1f} | {off / on:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
