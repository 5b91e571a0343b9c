"""Time one training step (forward, backward, Adam) per unit at a profile's shapes.

Ours is the pipeline's own step (build.model.Model.loss: the dense layer only on counted positions).
Fused is the same step with the output layer and its cross entropy fused in chunks (build/fused.py,
`Model.loss(fused=True)`: never all [N, V] logits at once; the training default on CUDA). The baseline,
written out below, is the plain textbook PyTorch step: logits at every position, then cross entropy with
ignore_index. Kernels is fused with the unit's Triton time step too (the Nested LSTM's,
build/kernels/nlstm.py; CUDA only, the other columns run its plain PyTorch layer). Loop is ours with
the unit's sequence computed by the reference loop over `step` (RecurrentUnit.forward), for a unit whose
own layer is plain PyTorch (the Nested LSTM: its layer computes the input's share of the gates for all
steps before the loop; the GRU and the LSTM use torch's own layers, not timed so); loop / ours says how
much its layer saves. All run in this process on the same batch, and the table prints the ratios of the
baseline to each (above 1: faster).

    python bench/train_step.py                  # the small profile (CPU default)
    python bench/train_step.py --profile paper  # the original's shapes (meant for a GPU)
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from build import profiles  # noqa: E402
from build.model import (
    Model,  # noqa: E402
    pick_device,  # noqa: E402
)
from build.training_state import describe_device  # noqa: E402
from build.units import RecurrentUnit  # noqa: E402


def plain_step(model: Model, chars: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The baseline: dense layer at every position, padding and unknowns only ignored in the loss."""
    logits = model(chars)
    masked = torch.where(targets > 1, targets, torch.full_like(targets, -100))
    return F.cross_entropy(logits.flatten(0, 1), masked.flatten(), ignore_index=-100)


def our_step(model: Model, chars: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    total, count, _ = model.loss(chars, targets)
    return total / count


def fused_step(model: Model, chars: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    total, count, _ = model.loss(chars, targets, fused=True)
    return total / count


def random_batch(
    profile: profiles.Profile, device: torch.device, unknown_rate: float = 0.14
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of the profile's shape: random characters, random targets, `unknown_rate` of them unknown."""
    generator = torch.Generator().manual_seed(0)
    shape = (profile.batch_size, profile.max_length)
    chars = torch.randint(1, 28, shape, generator=generator)
    targets = torch.randint(2, profile.vocab_size, shape, generator=generator)
    targets[torch.rand(shape, generator=generator) < unknown_rate] = 1
    return chars.to(device), targets.to(device)


def time_steps(
    step, model: Model, chars, targets, repeats: int, device: torch.device, warmup: int = 2
) -> float:
    """Median seconds of `repeats` training steps (forward, backward, Adam) after `warmup` untimed ones."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    for i in range(repeats + warmup):
        if device.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        loss = step(model, chars, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if i >= warmup:
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    profiles.add_arguments(parser)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--unknown-rate",
        type=float,
        default=0.14,
        help="share of positions whose target is <unknown> (Brown at 2^12 words: 0.14)",
    )
    args = parser.parse_args()
    profile = profiles.from_arguments(args)
    device = pick_device()
    chars, targets = random_batch(profile, device, args.unknown_rate)

    print(
        f"profile {profile.name}: batch {profile.batch_size} x {profile.max_length} characters, "
        f"{profile.vocab_size:,} classes, on {describe_device(device)}, torch {torch.__version__}"
    )
    if device.type != "cuda":
        print(f"kernels: the Triton time steps are CUDA-only, not timed on {device.type}")
    print(
        "| unit | units x layers | plain PyTorch ms/step | ours ms/step | ratio | fused ms/step | ratio "
        "| kernels ms/step | ratio | loop over step ms/step | loop / ours |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    steps = (
        ("plain", plain_step),
        ("ours", our_step),
        ("fused", fused_step),
        ("kernels", fused_step),
        ("loop", our_step),
    )
    for config in profile.models:
        times = {}
        for name, step in steps:
            torch.manual_seed(profile.train_seed)
            model = Model.for_profile(profile, config.key).to(device)
            has_kernels = hasattr(model.rnn, "fused")  # a unit with a Triton step (build/kernels/)
            if name in ("kernels", "loop") and not has_kernels:
                continue
            if name == "kernels" and device.type != "cuda":
                continue
            if has_kernels:  # explicit: the unit's own default would pick the kernels on CUDA
                model.rnn.fused = name == "kernels"
            if name == "loop":
                model.rnn.forward = functools.partial(RecurrentUnit.forward, model.rnn)
            times[name] = time_steps(step, model, chars, targets, args.repeats, device)
        if "kernels" in times:
            kernels = f"{times['kernels'] * 1e3:.1f} | {times['plain'] / times['kernels']:.2f}"
        else:  # this unit has no kernels (cuDNN is its fast layer), or they were not run off CUDA
            kernels = "CUDA-only | -" if has_kernels else "- | -"
        loop = (
            f"{times['loop'] * 1e3:.1f} | {times['loop'] / times['ours']:.2f}" if "loop" in times else "- | -"
        )
        print(
            f"| {config.name} | {config.units} x {config.layers} | {times['plain'] * 1e3:.1f} | "
            f"{times['ours'] * 1e3:.1f} | {times['plain'] / times['ours']:.2f} | "
            f"{times['fused'] * 1e3:.1f} | {times['plain'] / times['fused']:.2f} | {kernels} | {loop} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
