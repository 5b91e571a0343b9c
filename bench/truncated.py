"""Time the context taken away (build/truncated.py) of each trained model against the plain way.

Ours: build.truncated.measure, the whole test.truncated over the profile's `context_observations` (the
whole observation's pass once, then one pass per word and distance, batched shortest first). The plain
way: one forward pass per output position and distance, over the window that position reads, as
tests/test_truncated.py computes by hand. The plain way measures fewer observations (--plain-observations)
and the table scales both to seconds per 200 observations, so the ratio compares the same work.

    python bench/truncated.py                        # the small profile's trained models (make article)
    python bench/truncated.py --plain-observations 4
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from build import cpu, profiles, truncated  # noqa: E402
from build import dataset as dataset_stage  # noqa: E402
from build.alphabet import EOS, UNKNOWN  # noqa: E402
from build.checkpoints import load_trained  # noqa: E402
from build.training_state import describe_device  # noqa: E402

PER = 200  # the table's unit: seconds per this many observations


@torch.no_grad()
def plain_seconds(model: torch.nn.Module, data: dataset_stage.Dataset, observations: int) -> float:
    """Seconds of one forward pass per scored position and distance over the first `observations`."""
    started = time.perf_counter()
    for row in range(observations):
        chars = data.inputs["test"][row].astype(np.int64)
        targets = data.targets["test"][row].astype(np.int64)
        length = int((chars != EOS).sum())
        spaces = truncated.word_spaces(chars[:length])
        for p in range(length):
            if targets[p] <= UNKNOWN:
                continue
            for distance in truncated.DISTANCES:
                first = 0 if distance is None else max(0, spaces[p] - distance)
                window = torch.from_numpy(chars[first : p + 1])[None]
                torch.log_softmax(model(window)[0, -1], -1)[targets[p]]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="small")
    parser.add_argument("--plain-observations", type=int, default=4)
    args = parser.parse_args()
    profile = profiles.load(args.profile)
    data = dataset_stage.load(profile)
    device = torch.device("cpu")
    print(f"profile {profile.name}, {describe_device(device)}, torch {torch.__version__}")
    print(f"| model | observations | positions | ours s | ours s/{PER} | plain s/{PER} | plain / ours |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with cpu.settings(profile):
        for config in profile.models:
            model, _ = load_trained(profile, config.key, device)
            started = time.perf_counter()
            cut = truncated.measure(model, data, profile.context_observations)
            ours = time.perf_counter() - started
            count = cut["observations"]
            few = min(args.plain_observations, count)
            plain = plain_seconds(model, data, few)
            ours_per, plain_per = ours / count * PER, plain / few * PER
            print(
                f"| {config.name} | {count} | {cut['positions']:,} | {ours:.1f} | {ours_per:.1f} | "
                f"{plain_per:.1f} | {plain_per / ours_per:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
