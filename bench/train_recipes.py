"""Train the small profile's models under other recipes, and time the profile against its old recipe.

A recipe is the `small` profile with some settings replaced (steps, batch size, learning rate and its
schedule, clipping, threads, width). A trial trains one model of one recipe from scratch in its own run
directory (bench/runs/small-<recipe>/, never runs/), then scores the final weights on the first 512
validation observations (more than training's own few batches, so that recipes can be told apart) and on
the whole test split (cross entropy, and top-1 at 0 letters ours and as the original counted). Each
trial prints one line and appends it, with its learning curve, to bench/runs/trials.jsonl.

    python bench/train_recipes.py --recipe peak2e-2 --model gru --threads 1 --set learning_rate=0.02
    python bench/train_recipes.py --recipe wide --model lstm --units 192 --set steps=300

`--compare` is the side-by-side run of bench/RESULTS.md: the three models under "today" (the recipe the
small profile had before its schedule: constant 1e-2, 500 steps of 32, one model at a time on every core,
as `make article` trained them) and under the small profile as it is now (trained as `make article`
trains them now: all at once when the profile gives each one thread), timed in the same run, each
training in a process of its own; then the scores, the ratio of the wall-clock times and
bench/learning_curves.png (validation loss against seconds, both recipes).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import shutil
import subprocess
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
from build import evaluate, make_plan, profiles, train  # noqa: E402
from build import results as gathering  # noqa: E402
from build.model import Model  # noqa: E402
from build.run_files import LOSSES  # noqa: E402

VALID_OBSERVATIONS = 512
TRIALS = TRIAL_RUNS / "trials.jsonl"
PLOT = HERE / "learning_curves.png"
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
}
RECORDED = {*TODAY, "embedding"}  # the settings each trial's line records


def parse_value(text: str) -> object:
    if text == "None":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def recipe_profile(name: str, settings: dict, units: int | None = None) -> profiles.Profile:
    """The small profile under recipe `name` ("today": the old recipe; "small": the profile as it is)."""
    if name == "today":
        settings = {**TODAY, **settings}
    if units:
        settings = {**settings, "models": profiles.model_configs(profiles.ARTICLE_MODELS, units)}
    return dataclasses.replace(profiles.PROFILES["small"], variant=name, **settings)


def train_only(profile: profiles.Profile, key: str) -> None:
    """Train `key` from scratch in the recipe's run directory (the dataset comes from the cache)."""
    shutil.rmtree(profile.run_dir / key, ignore_errors=True)
    dataset_stage.prepare(profile)
    train.train(profile, key, torch.device("cpu"), progress=False)


def score(name: str, profile: profiles.Profile, key: str, wall: float, cpu: float) -> dict:
    """A trained model's scores and learning curve, appended to TRIALS and printed as one line."""
    payload = torch.load(profile.run_dir / key / "model.pt", weights_only=True)
    model = Model.for_profile(profile, key).eval()
    model.load_state_dict(payload["weights"])
    data = dataset_stage.load(profile)
    metrics = evaluate.evaluate_model(model, data, 64, torch.device("cpu"))
    losses = gathering.training_curve(profile.run_dir / key / LOSSES)
    curve = [
        list(point)
        for point in zip(losses["valid_step"], losses["valid_seconds"], losses["valid_loss"], strict=True)
    ]
    # the first VALID_OBSERVATIONS validation rows, in batches of 64, as training validates
    wider = dataclasses.replace(profile, batch_size=64, validation_batches=VALID_OBSERVATIONS // 64)
    result = {
        "recipe": name,
        "model": key,
        "settings": {k: v for k, v in dataclasses.asdict(profile).items() if k in RECORDED},
        "units": profile.model(key).units,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "training_seconds": round(payload["elapsed"], 1),
        "valid_ce_512": round(train.validation_loss(model, data, wider, torch.device("cpu")), 4),
        "test_ce": round(metrics["cross_entropy"], 4),
        "top1_0_ours": metrics["accuracy_by_letters"]["top1"][0],
        "top1_0_original": metrics["as_original"]["accuracy_by_letters"]["top1"][0],
        "curve": curve,
    }
    TRIAL_RUNS.mkdir(exist_ok=True)
    with open(TRIALS, "a") as handle:
        handle.write(json.dumps(result) + "\n")
    print(
        f"{name:<20} {key:<6} wall {wall:7.1f} s  cpu {cpu:7.1f} s  valid CE (512) "
        f"{result['valid_ce_512']:.4f}  test CE {result['test_ce']:.4f}  top-1 at 0 letters "
        f"{result['top1_0_ours']:.2%} / as the original {result['top1_0_original']:.2%}",
        flush=True,
    )
    return result


def trial(name: str, key: str, settings: dict, threads: int | None, units: int | None) -> dict:
    profile = recipe_profile(name, settings, units)
    if threads:
        profile = dataclasses.replace(profile, train_threads=threads)
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    train_only(profile, key)
    return score(name, profile, key, time.perf_counter() - wall_started, time.process_time() - cpu_started)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_trainings(recipe: str, keys: list[str], at_once: bool) -> tuple[float, float]:
    """Wall-clock and CPU seconds of training `keys` under `recipe`, each in a process of its own,
    one after another or all at once."""
    command = [sys.executable, __file__, "--train-only", "--recipe", recipe]
    cpu, started = children_cpu(), time.perf_counter()
    if at_once:
        running = [subprocess.Popen([*command, "--model", key]) for key in keys]
        codes = [process.wait() for process in running]
    else:
        codes = [subprocess.run([*command, "--model", key]).returncode for key in keys]
    if any(codes):
        raise SystemExit(f"a training of recipe {recipe} failed: exit codes {codes}")
    return time.perf_counter() - started, children_cpu() - cpu


def compare() -> None:
    """The old recipe against the profile as it is, trained as `make article` trains each."""
    keys = list(profiles.ARTICLE_MODELS)
    now = profiles.PROFILES["small"]
    timings = {
        "today": timed_trainings("today", keys, at_once=False),
        "small": timed_trainings("small", keys, at_once=make_plan.train_jobs(now) > 1),
    }
    baseline = evaluate.evaluate_baseline(dataset_stage.load(recipe_profile("small", {})))["cross_entropy"]
    rows = []
    for name, (wall, cpu) in timings.items():
        profile = recipe_profile(name, {})
        for key in keys:
            result = score(name, profile, key, wall, cpu)
            rows.append((name, key, result))
    print(f"\nno-context baseline: test cross entropy {baseline:.4f}")
    print(
        "| recipe | model | training (s, the model's own clock) | valid CE (512 obs) | test CE | below the "
        "baseline | top-1 at 0 letters, ours / as the original |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, key, r in rows:
        print(
            f"| {name} | {key} | {r['training_seconds']:.0f} | {r['valid_ce_512']:.4f} | "
            f"{r['test_ce']:.4f} | {1 - r['test_ce'] / baseline:.1%} | {r['top1_0_ours']:.1%} / "
            f"{r['top1_0_original']:.1%} |"
        )
    (old_wall, old_cpu), (new_wall, new_cpu) = timings["today"], timings["small"]
    print("\n| recipe | wall clock, all three models (s) | CPU (s) |\n|---|---|---|")
    print(f"| today | {old_wall:.0f} | {old_cpu:.0f} |\n| small now | {new_wall:.0f} | {new_cpu:.0f} |")
    print(f"\nwall-clock ratio, now / today: {new_wall / old_wall:.2f}; CPU ratio {new_cpu / old_cpu:.2f}")
    plot([r for _, _, r in rows], PLOT)
    print(f"learning curves -> {PLOT}")


def plot(results: list[dict], path: Path) -> None:
    """Validation loss against training seconds, one line per trial, drawn with Pillow."""
    from PIL import Image, ImageDraw

    width, height, left, right, top, bottom = 960, 560, 70, 200, 30, 50
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    curves = [(r, [(s, v) for _, s, v in r["curve"] if v < 4.0]) for r in results]
    x_max = max(s for _, c in curves for s, _ in c)
    values = [v for _, c in curves for _, v in c]
    y_min, y_max = min(values) - 0.05, max(values) + 0.05

    def at(seconds: float, value: float) -> tuple[float, float]:
        x = left + (width - left - right) * seconds / x_max
        y = top + (height - top - bottom) * (y_max - value) / (y_max - y_min)
        return x, y

    draw.rectangle([left, top, width - right, height - bottom], outline="black")
    for tick in np.linspace(y_min, y_max, 6):
        x, y = at(0, tick)
        draw.text((8, y - 6), f"{tick:.2f}", fill="black")
    for tick in np.linspace(0, x_max, 6):
        x, y = at(tick, y_min)
        draw.text((x - 10, height - bottom + 8), f"{tick:.0f} s", fill="black")
    draw.text(
        (left, 8), "validation cross entropy against training seconds (each model's own clock)", fill="black"
    )
    colours = {"gru": (31, 119, 180), "lstm": (214, 39, 40), "nlstm": (44, 160, 44)}
    for index, (result, curve) in enumerate(curves):
        colour = colours.get(result["model"], (90, 90, 90))
        points = [at(s, v) for s, v in curve]
        if len(points) > 1:
            if result["recipe"] == "today":  # dashed: the old recipe
                for a, b in zip(points[::2], points[1::2], strict=False):
                    draw.line([a, b], fill=colour, width=2)
            else:
                draw.line(points, fill=colour, width=3)
        draw.text(
            (width - right + 10, top + 18 * index), f"{result['recipe']} {result['model']}", fill=colour
        )
    image.save(path)


def describe(settings: dict, units: int) -> str:
    """A recipe in a table cell: batch x steps, the rate and its schedule, clipping, width if not 128."""
    rate = f"{settings['learning_rate']:g}"
    if settings.get("lr_schedule") == "cosine":
        warmup = settings.get("warmup_steps", 0)
        floor = settings["min_learning_rate"]
        rate = f"{'warm-up ' + str(warmup) + ', ' if warmup else ''}{rate} cosine to {floor:g}"
    clip = settings.get("clip_norm")
    width = "" if units == 128 else f", {units} units"
    return (
        f"{settings['batch_size']} x {settings['steps']:,}, {rate}{f', clip {clip:g}' if clip else ''}{width}"
    )


def table() -> None:
    """The trials of TRIALS as a Markdown table, in the order they ran."""
    print(
        "| recipe | model | threads | training s | CPU s | valid CE (512 obs) | test CE | top-1 at 0 "
        "letters, ours / as the original |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for line in TRIALS.read_text().splitlines():
        r = json.loads(line)
        threads = r.get("settings", {}).get("train_threads") or r.get("threads") or "default"
        print(
            f"| {describe(r['settings'], r.get('units', 128))} | {r['model']} | {threads} | "
            f"{r.get('training_seconds', r['wall_seconds']):.0f} | {r['cpu_seconds']:.0f} | "
            f"{r['valid_ce_512']:.4f} | "
            f"{r['test_ce']:.4f} | {r['top1_0_ours']:.1%} / {r['top1_0_original']:.1%} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recipe", default="small")
    parser.add_argument("--model", action="append", default=[])
    parser.add_argument("--set", action="append", default=[], help="a profile setting, e.g. steps=800")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--units", type=int, default=None, help="the width of every model")
    parser.add_argument("--compare", action="store_true", help="today's recipe against the profile's")
    parser.add_argument("--table", action="store_true", help="the trials so far as a Markdown table")
    parser.add_argument("--train-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    settings = {}
    for item in args.set:
        field, _, value = item.partition("=")
        settings[field] = parse_value(value)
    if args.compare or args.table:
        compare() if args.compare else table()
        return
    for key in args.model or list(profiles.ARTICLE_MODELS):
        if args.train_only:
            train_only(recipe_profile(args.recipe, settings, args.units), key)
        else:
            trial(args.recipe, key, settings, args.threads, args.units)


if __name__ == "__main__":
    main()
