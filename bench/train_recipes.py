"""Train the small profile's models under other recipes and compare them with the profile's own.

Each recipe is the `small` profile with some settings replaced (steps, batch size, learning rate and
its schedule, clipping, threads). A trial trains one model of one recipe from scratch in its own run
directory (under bench/runs/, never runs/), then scores its final weights on the first 512 validation
observations (more than training's own 4 batches, so that recipes can be told apart). It prints one
line and appends it as JSON to bench/runs/trials.jsonl, with the learning curve (valid loss against
seconds) from losses.csv.

    python bench/train_recipes.py --recipe today --model gru --threads 2
    python bench/train_recipes.py --recipe small --model nlstm --threads 1   # the profile as it is
    python bench/train_recipes.py --recipe x --model lstm --set steps=800 --set lr_schedule=cosine

`--compare` trains the three models under "today" (the recipe the small profile had before its
schedule) and under the profile as it is, back to back in one process, and prints the side-by-side table
of training time (wall clock and CPU seconds) and scores. `--plot` draws bench/learning_curves.png from
the trials file.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TRIAL_RUNS = HERE / "runs"
os.environ.setdefault("MEMORIZATION_RUNS", str(TRIAL_RUNS))
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from build import dataset as dataset_stage  # noqa: E402
from build import evaluate, profiles, train  # noqa: E402
from build.model import Model  # noqa: E402
from build.run_files import DATASET_RECORD, LOSSES  # noqa: E402

VALID_OBSERVATIONS = 512
# The small profile's recipe before it had a schedule: what "today" means in bench/RESULTS.md.
TODAY = {
    "batch_size": 32,
    "steps": 500,
    "learning_rate": 1e-2,
    "lr_schedule": "constant",
    "warmup_steps": 0,
    "min_learning_rate": 0.0,
    "clip_norm": None,
    "train_threads": None,
    "checkpoint_every": 100,
    "validate_every": 50,
}


def parse_value(text: str) -> object:
    if text == "None":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def recipe_profile(name: str, settings: dict) -> profiles.Profile:
    base = profiles.PROFILES["small"]
    if name == "today":
        settings = {**TODAY, **settings}
    return dataclasses.replace(base, variant=name, **settings)


@torch.no_grad()
def valid_score(profile: profiles.Profile, key: str, model: Model) -> float:
    """Mean cross entropy over the counted positions of the first VALID_OBSERVATIONS validation rows."""
    data = dataset_stage.load(profile)
    model.eval()
    total, count = 0.0, 0
    for start in range(0, VALID_OBSERVATIONS, 64):
        rows = np.arange(start, min(start + 64, VALID_OBSERVATIONS))
        chars, targets = data.batch("valid", rows, torch.device("cpu"))
        loss, n, _ = model.loss(chars, targets)
        total, count = total + loss.item(), count + int(n)
    return total / count


def trial(name: str, key: str, settings: dict, threads: int | None, test: bool = True) -> dict:
    """Train `key` under recipe `name` from scratch; its time, final scores and curve."""
    profile = recipe_profile(name, settings)
    if threads:
        profile = dataclasses.replace(profile, train_threads=threads)
    shutil.rmtree(profile.run_dir / key, ignore_errors=True)
    profile.run_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(profiles.ROOT / "runs" / "small" / DATASET_RECORD, profile.run_dir / DATASET_RECORD)
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    path = train.train(profile, key, torch.device("cpu"), progress=False)
    wall, cpu = time.perf_counter() - wall_started, time.process_time() - cpu_started
    model = Model.for_profile(profile, key)
    model.load_state_dict(torch.load(path, weights_only=True)["weights"])
    curve = []
    for line in (profile.run_dir / key / LOSSES).read_text().splitlines()[1:]:
        step, seconds, _, valid = line.split(",")
        if valid:
            curve.append([int(step), float(seconds), float(valid)])
    result = {
        "recipe": name,
        "model": key,
        "settings": {k: v for k, v in dataclasses.asdict(profile).items() if k in {*TODAY, "embedding"}},
        "units": profile.model(key).units,
        "threads": profile.train_threads or torch.get_num_threads(),
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "valid_ce_512": round(valid_score(profile, key, model), 4),
        "curve": curve,
    }
    if test:
        metrics = evaluate.evaluate_model(
            model, dataset_stage.load(profile), 64, torch.device("cpu"), observations=None
        )
        result["test_ce"] = round(metrics["cross_entropy"], 4)
        result["top1_0_ours"] = metrics["accuracy_by_letters"]["top1"][0]
        result["top1_0_original"] = metrics["as_original"]["accuracy_by_letters"]["top1"][0]
    with open(TRIAL_RUNS / "trials.jsonl", "a") as handle:
        handle.write(json.dumps(result) + "\n")
    print(
        f"{name:<24} {key:<6} wall {wall:7.1f} s  cpu {cpu:7.1f} s  valid CE (512 obs) "
        f"{result['valid_ce_512']:.4f}  test CE {result.get('test_ce')}  top-1 at 0 letters "
        f"{result.get('top1_0_ours')} / as the original {result.get('top1_0_original')}",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recipe", default="small")
    parser.add_argument("--model", action="append", default=[])
    parser.add_argument("--set", action="append", default=[], help="a profile setting, e.g. steps=800")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--units", type=int, default=None, help="the width of every model")
    args = parser.parse_args()
    settings = {}
    for item in args.set:
        field, _, value = item.partition("=")
        settings[field] = parse_value(value)
    if args.units:
        settings["models"] = profiles.model_configs(profiles.ARTICLE_MODELS, args.units)
    TRIAL_RUNS.mkdir(exist_ok=True)
    for key in args.model or list(profiles.ARTICLE_MODELS):
        trial(args.recipe, key, settings, args.threads)


if __name__ == "__main__":
    main()
