"""Memory against skill: for each weight set training kept (build/train.py keeps one every `keep_every`
steps) and for the final model, the validation cross entropy over the first `during_observations`
observations of the validation split and the share before the word at 0 letters (build/lookback.py, with
its bootstrap interval) over the first `during_observations` test observations -> <model dir>/during.json
({"during_training": [...]}, by step, the final model last): when in training the share rises, measured
rather than assumed.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from build import cpu, lookback, profiles
from build import dataset as dataset_stage
from build.checkpoints import CheckpointError, load_trained
from build.dataset import Dataset
from build.evaluate import evaluate_model
from build.model import Model, pick_device
from build.run_files import DURING, kept_steps, model_dir, write_json


def measure_point(model: Model, data: Dataset, step: int, observations: int, batch_size: int) -> dict:
    """One entry of during.json: the step, its validation cross entropy and its share at 0 letters."""
    device = next(model.parameters()).device
    valid = evaluate_model(model, data, batch_size, device, split="valid", observations=observations)
    share = lookback.measure(model, data, observations)["share_before_word"]["0"]
    return {
        "step": step,
        "valid_cross_entropy": float(f"{valid['cross_entropy']:.6g}"),
        "share_before_word_0": {k: share[k] for k in ("mean", "low", "high")},
    }


def measure_trained(profile: profiles.Profile, key: str, device: torch.device | None = None) -> list[dict]:
    """during.json of model `key`: each kept step (below the last), then the final model."""
    model, payload = load_trained(profile, key, device or torch.device("cpu"))
    data = dataset_stage.load(profile)
    batch = 2 * profile.batch_size
    final_weights = {k: v.clone() for k, v in model.state_dict().items()}
    points = []
    for step, path in kept_steps(model_dir(profile, key)):
        if step >= profile.steps:
            continue
        model.load_state_dict(torch.load(path, map_location=next(model.parameters()).device))
        points.append(measure_point(model, data, step, profile.during_observations, batch))
    model.load_state_dict(final_weights)
    points.append(measure_point(model, data, int(payload["step"]), profile.during_observations, batch))
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description="Measure the kept weights of a training run.")
    profiles.add_arguments(parser)
    parser.add_argument("--model", required=True, help="the trained model -> <run>/<model>/during.json")
    args = parser.parse_args()
    profile = profiles.from_arguments(args)
    target = model_dir(profile, args.model) / DURING
    try:
        started = time.perf_counter()
        with cpu.settings(profile):
            points = measure_trained(profile, args.model, pick_device())
    except (CheckpointError, FileNotFoundError, KeyError, ValueError) as error:
        sys.exit(f"error: {error}")
    write_json({"during_training": points}, target)
    print(f"{target}: {len(points)} steps measured in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
