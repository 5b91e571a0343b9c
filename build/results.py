"""The run's results: everything the article quotes about a profile's models, gathered from the files
the stages wrote (training curves and summaries, eval.json, context.json, truncated.json, baseline.json,
the dataset's description, versions and commit) into one results.json.

    python -m build.results   -> <run>/results.json
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from build import profiles
from build.checkpoints import CheckpointError, load_trained, trained_summary
from build.evaluate import ORIGINAL_BATCH
from build.profiles import Profile
from build.run_files import (
    BASELINE,
    CONTEXT,
    DATASET_RECORD,
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


def gather(profile: Profile) -> dict:
    """Everything the article quotes about this profile's models, gathered from the stages' files."""
    run = profile.run_dir
    description = json.loads((run / DATASET_RECORD).read_text())
    models = []
    for config in profile.models:
        directory = model_dir(profile, config.key)
        _, payload = load_trained(profile, config.key)
        curve = training_curve(directory / LOSSES)
        test = json.loads((directory / EVALUATION).read_text())
        test["context"] = read_measure(directory / CONTEXT)  # build/lookback.py
        truncated = read_measure(directory / TRUNCATED)  # build/truncated.py
        # beside what the model uses, how far back its gradient reaches (the gradient's ordering)
        reach = connectivity_reach(test["context"]["by_distance"]["0"])
        test["truncated"] = {**truncated, "connectivity_90": reach}
        agreement = test.pop("connectivity_vs_published", None)
        models.append(
            {
                **trained_summary(config, payload),
                "final_train_loss": curve["train_loss"][-1],
                "final_valid_loss": curve["valid_loss"][-1],
                "test": test,
                **({"connectivity_vs_published": agreement} if agreement else {}),
            }
        )
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
