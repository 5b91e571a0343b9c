"""Make's questions about a run, answered from its profile (build/profiles.py): the run directory and
model keys, the options every stage gets, how many models train at once, the folders of every training
seed, and the variables that rebuild a run. Like build/profiles.py it needs only the standard library, so
Make asks before the virtual environment exists: `python3 -m build.make_plan plan ...`.
"""

from __future__ import annotations

import argparse
import os
import re

from build.profiles import (
    PROFILES,
    STUDY_SETTINGS,
    Profile,
    Setting,
    for_seed,
    given,
    load,
    study,
)
from build.unit_files import relative_to_root


def make_variables(profile: Profile) -> list[str]:
    """The Make variables that rebuild `profile` from its named one (CORPUS=, MODELS=, STEPS= ...), only
    those that differ: `make article PROFILE=<name>` followed by these reproduces it."""
    own = PROFILES[profile.name]
    words = [] if profile.corpus == own.corpus else [f"CORPUS={profile.corpus}"]
    keys = [m.key for m in profile.models]
    if keys != [m.key for m in own.models]:
        words.append(f"MODELS={','.join(keys)}")
    for variable, field_name in STUDY_SETTINGS.items():
        if variable == "units":
            value, default = profile.models[0].units, own.models[0].units
        else:
            value, default = getattr(profile, field_name), getattr(own, field_name)
        if value != default:
            words.append(
                f"{variable.upper()}={value:g}" if isinstance(value, float) else f"{variable.upper()}={value}"
            )
    return words


def stage_arguments(profile_name: str, corpus: str | None = None, **settings: Setting) -> str:
    """The options that hand a run to every stage, for Make (only those given)."""
    words = ["--profile", profile_name, *(["--corpus", corpus] if corpus else [])]
    for variable, value in settings.items():
        if given(value):
            words += [f"--{variable}", re.sub(r"\s+", "", str(value))]
    return " ".join(words)


def plan(profile_name: str, corpus: str | None = None, model: str | None = None, **settings: Setting) -> str:
    """Make's plan of a build in one line: the run directory, then the model keys. Raises SystemExit with
    one line naming the valid choices when the profile, corpus, a model or a setting is wrong."""
    profile = load(profile_name, corpus or None, **settings)
    keys = [m.key for m in profile.models]
    if model and model not in keys:
        raise SystemExit(
            f"unknown model {model!r} in profile {profile.name!r}: choose one of {', '.join(keys)}"
        )
    return " ".join([str(relative_to_root(profile.run_dir)), *keys])


def train_jobs(profile: Profile) -> int:
    """How many models Make trains at once: all of the run's when the profile fixes each training's CPU
    threads (one process per model, side by side), else one at a time on every core."""
    return len(profile.models) if profile.train_threads else 1


def seed_dirs(profile: Profile) -> list[str]:
    """The folders under the run directory that hold the models of every seed but the first."""
    return [for_seed(profile, seed).seed_dir for seed in profile.training_seeds[1:]]


def main() -> None:
    """Answers Make's questions: `plan` (run directory and model keys on one line), `run-dir`, `models`,
    `stage` (the options every stage gets), `train-jobs` (how many models train at once), `seed-dirs`
    (the folders of every training seed but the first, seed2 seed3 ...).

    Arguments are taken as given (an empty one means the profile's own), and a wrong one exits with status
    2 and one line on stdout, which the Makefile turns into `$(error ...)`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("question", choices=["plan", "run-dir", "models", "stage", "train-jobs", "seed-dirs"])
    parser.add_argument("--profile", default=os.environ.get("PROFILE") or "small")
    parser.add_argument("--corpus", default=os.environ.get("CORPUS") or None)
    parser.add_argument("--model", default=None)
    parser.add_argument("--models", default=os.environ.get("MODELS", ""))
    for variable in STUDY_SETTINGS:
        parser.add_argument(f"--{variable}", default=os.environ.get(variable.upper(), ""))
    args = parser.parse_args()
    settings = study(args)
    try:
        answer = plan(args.profile, args.corpus, args.model, **settings).split(" ")
    except SystemExit as error:
        print(f"error: {error}")
        raise SystemExit(2) from None
    if args.question == "plan":
        print(" ".join(answer))
    elif args.question == "run-dir":
        print(answer[0])
    elif args.question == "models":
        print(" ".join(answer[1:]))
    elif args.question == "train-jobs":
        print(train_jobs(load(args.profile, args.corpus or None, **settings)))
    elif args.question == "seed-dirs":
        print(" ".join(seed_dirs(load(args.profile, args.corpus or None, **settings))))
    else:
        print(stage_arguments(args.profile, args.corpus or None, **settings))


if __name__ == "__main__":
    main()
