"""Time the context measurement (build/lookback.py) of each trained model against the plain way.

Ours: build.lookback.measure, the whole test.context over the profile's `context_observations`
(one forward pass per chunk of observations, then one backward step per (row, step) pair, vmapped over
the rows). The baseline: build.connectivity.connectivity per observation, the passage figures' way,
which copies an observation once per output position and runs forward and backward over the whole
span for every copy. The baseline measures fewer observations (--baseline-observations) and the table
scales both to seconds per 200 observations, so the ratio compares the same work.

    python bench/lookback.py                          # the small profile's trained models (make article)
    python bench/lookback.py --baseline-observations 20
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from build import dataset as dataset_stage  # noqa: E402
from build import lookback, profiles  # noqa: E402
from build.alphabet import EOS  # noqa: E402
from build.checkpoints import load_trained  # noqa: E402
from build.connectivity import connectivity  # noqa: E402
from build.training_state import describe_device  # noqa: E402

PER = 200  # the table's unit: seconds per this many observations


def baseline_seconds(model: torch.nn.Module, data: dataset_stage.Dataset, observations: int) -> float:
    """Seconds of build.connectivity.connectivity over every position of the first `observations`."""
    started = time.perf_counter()
    for row in range(observations):
        chars, targets = data.batch("test", np.array([row]), torch.device("cpu"))
        length = int((chars[0] != EOS).sum())
        wanted = torch.where(targets[0, :length] > 1, targets[0, :length], -1)
        connectivity(model, chars[0, :length], wanted)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="small")
    parser.add_argument("--baseline-observations", type=int, default=40)
    args = parser.parse_args()
    profile = profiles.load(args.profile)
    data = dataset_stage.load(profile)
    device = torch.device("cpu")
    print(f"profile {profile.name}, {describe_device(device)}, torch {torch.__version__}")
    print(f"| model | observations | positions | ours s | ours s/{PER} | plain s/{PER} | plain / ours |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for config in profile.models:
        model, _ = load_trained(profile, config.key, device)
        started = time.perf_counter()
        context = lookback.measure(model, data, profile.context_observations)
        ours = time.perf_counter() - started
        count = context["observations"]
        plain = baseline_seconds(model, data, min(args.baseline_observations, count))
        ours_per = ours / count * PER
        plain_per = plain / min(args.baseline_observations, count) * PER
        print(
            f"| {config.name} | {count} | {context['positions']:,} | {ours:.1f} | {ours_per:.1f} | "
            f"{plain_per:.1f} | {plain_per / ours_per:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
