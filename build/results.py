"""The run's results: everything the article quotes about a profile's models, gathered from the files
the stages wrote (training curves and summaries, eval.json, context.json, truncated.json, baseline.json,
the dataset's description, versions and commit) into one results.json.

A run that trains each model with several seeds (SEEDS=n) keeps, per model, the first seed's values
where a one-seed run has them (the page runs that seed's weights), every seed's test values under
`seeds`, and their spread under `across_seeds`: mean, lowest and highest seed, and for three seeds or
more a 95% t-interval of the mean over seeds.

    python -m build.results   -> <run>/results.json
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import statistics
import sys
from pathlib import Path

from build import profiles
from build.checkpoints import CheckpointError, load_trained, trained_summary
from build.evaluate import ORIGINAL_BATCH
from build.lookback import LETTER_GROUPS
from build.profiles import Profile
from build.run_files import (
    BASELINE,
    CONTEXT,
    DATASET_RECORD,
    DURING,
    EVALUATION,
    LOSSES,
    RESULTS,
    TRUNCATED,
    git_commit,
    model_dir,
    training_settings,
    versions,
    write_json,
)


def training_curve(path: Path) -> dict:
    """The loss CSV as columns (valid_loss only where it was measured)."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    valid = [r for r in rows if r["valid_loss"]]
    return {
        "step": [int(r["step"]) for r in rows],
        "seconds": [float(r["seconds"]) for r in rows],
        "train_loss": [float(r["train_loss"]) for r in rows],
        "valid_step": [int(r["step"]) for r in valid],
        "valid_seconds": [float(r["seconds"]) for r in valid],
        "valid_loss": [float(r["valid_loss"]) for r in valid],
    }


REACH = 0.9  # connectivity_90: the distance within which this share of a row's connectivity lies


def connectivity_reach(curve: list[float | None], share: float = REACH) -> int:
    """The distance back within which `share` of a row's connectivity lies at the space before a word,
    from test.context's mean curve by distance (each row scaled to sum 1), as a share of what the curve
    holds within its distances (its tail beyond them is below 1e-6 of a row in trained models)."""
    values = [value or 0.0 for value in curve]
    bound, running = share * sum(values), 0.0
    for distance, value in enumerate(values):
        running += value
        if running >= bound:
            return distance
    return len(values) - 1


def read_measure(path: Path) -> dict:
    """A measurement file of a model's (context.json, truncated.json), or an error naming it."""
    try:
        return json.loads(path.read_text())
    except ValueError as error:
        raise ValueError(f"{path}: not JSON ({error}); make remakes it from the model") from error


# The two-sided 95% quantile of Student's t by degrees of freedom, for up to profiles.MAX_SEEDS seeds.
T_975 = {2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}
INTERVAL_FROM_SEEDS = 3  # fewer seeds give no interval of the mean worth printing


def seed_test(directory: Path) -> dict:
    """One seed's test values of one model: its eval.json with its context.json as `context` and its
    truncated.json as `truncated`, beside which the reach of its gradient (`connectivity_90`)."""
    test = json.loads((directory / EVALUATION).read_text())
    test["context"] = read_measure(directory / CONTEXT)  # build/lookback.py
    truncated = read_measure(directory / TRUNCATED)  # build/truncated.py
    reach = connectivity_reach(test["context"]["by_distance"]["0"])
    test["truncated"] = {**truncated, "connectivity_90": reach}
    return test


def test_numbers(test: dict) -> dict[str, float]:
    """The numbers of one seed's test values that `across_seeds` summarises, by name."""
    numbers = {
        "cross_entropy": test["cross_entropy"],
        "accuracy": test["accuracy"],
        "as_original_cross_entropy": test["as_original"]["cross_entropy"],
        "as_original_accuracy": test["as_original"]["accuracy"],
    }
    for letters, value in enumerate(test["accuracy_by_letters"]["top1"]):
        numbers[f"accuracy_{letters}"] = value
    shares = test.get("context", {}).get("share_before_word", {})
    for group in LETTER_GROUPS:
        if shares.get(group, {}).get("mean") is not None:
            numbers[f"share_before_word_{group}"] = shares[group]["mean"]
    if "truncated" in test:
        truncated = test["truncated"]
        rises = zip(truncated["distances"], truncated["rise"]["mean"], strict=True)
        # the whole observation's rise (distance null) is 0 by definition
        numbers |= {f"rise_{distance}": rise for distance, rise in rises if distance is not None}
        if truncated["effective_context"]["mean"] is not None:
            numbers["effective_context"] = truncated["effective_context"]["mean"]
    return numbers


def spread(values: list[float]) -> dict:
    """Mean, lowest and highest of one number over seeds, and from three seeds on the 95% t-interval of
    the mean (`low`, `high`)."""
    summary = {"mean": statistics.fmean(values), "min": min(values), "max": max(values)}
    if len(values) >= INTERVAL_FROM_SEEDS:
        half = T_975[len(values) - 1] * statistics.stdev(values) / math.sqrt(len(values))
        summary |= {"low": summary["mean"] - half, "high": summary["mean"] + half}
    return summary


def across_seeds(tests: list[dict]) -> dict:
    """Every number of `test_numbers` that all seeds have, summarised over the seeds (`spread`)."""
    numbers = [test_numbers(test) for test in tests]
    shared = [name for name in numbers[0] if all(name in n for n in numbers)]
    return {name: spread([n[name] for n in numbers]) for name in shared}


def gather(profile: Profile) -> dict:
    """Everything the article quotes about this profile's models, gathered from the stages' files."""
    run = profile.run_dir
    description = json.loads((run / DATASET_RECORD).read_text())
    models = []
    for config in profile.models:
        seeds = []
        for seed in profile.training_seeds:
            seeded = profiles.for_seed(profile, seed)
            directory = model_dir(seeded, config.key)
            _, payload = load_trained(seeded, config.key)
            curve = training_curve(directory / LOSSES)
            test = seed_test(directory)
            agreement = test.pop("connectivity_vs_published", None)
            seeds.append(
                {
                    "seed": seed,
                    "test": test,
                    # build/during.py: the kept steps' validation cross entropy and share, the final last
                    "during_training": read_measure(directory / DURING)["during_training"],
                    "training_seconds": round(payload["elapsed"], 2),
                    "final_train_loss": curve["train_loss"][-1],
                    "final_valid_loss": curve["valid_loss"][-1],
                    **({"connectivity_vs_published": agreement} if agreement else {}),
                }
            )
            if seed == profile.train_seed:  # the page's seed: its values where a one-seed run has them
                first = {
                    **trained_summary(config, payload),
                    "final_train_loss": curve["train_loss"][-1],
                    "final_valid_loss": curve["valid_loss"][-1],
                    "test": test,
                    **({"connectivity_vs_published": agreement} if agreement else {}),
                }
        models.append({**first, "seeds": seeds, "across_seeds": across_seeds([s["test"] for s in seeds])})
    return {
        "profile": profile.name,
        "corpus": profile.corpus,
        "dataset": description,
        "training": {
            "batch_size": profile.batch_size,
            "steps": profile.steps,
            "learning_rate": profile.learning_rate,
            **training_settings(profile),
            "train_seed": profile.train_seed,
            "seeds": list(profile.training_seeds),  # every model trained once with each
            "embedding": profile.embedding,
            "vocab_size": profile.vocab_size,
            "init": profile.init,
        },
        "evaluation": {
            # the first N test observations (None: all of them)
            "observations": profile.eval_observations,
            "test_observations": description["stats"]["test_observations"],
            "original_batch": ORIGINAL_BATCH,
            # how far back the models look (test.context): the first N test observations (None: all)
            "context_observations": profile.context_observations,
            # each seed's during_training: weights kept every N steps, measured on the first M observations
            "keep_every": profile.keep_every,
            "during_observations": profile.during_observations,
        },
        "models": models,
        "baseline": json.loads((run / BASELINE).read_text()),
        "versions": versions(),
        "commit": git_commit(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Gather a run's results into <run>/results.json.")
    profiles.add_arguments(parser)
    profile = profiles.from_arguments(parser.parse_args())
    target = profile.run_dir / RESULTS
    try:
        write_json(gather(profile), target)
    except (CheckpointError, FileNotFoundError, KeyError, ValueError) as error:
        sys.exit(f"error: {error}")
    print(f"{target}: written")


if __name__ == "__main__":
    main()
