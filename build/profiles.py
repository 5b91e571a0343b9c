"""Every size, seed and path of a build in one place.

A profile names a corpus, the recipe of the dataset, the models and how long they train. Make reads
`python3 -m build.profiles ...` before the virtual environment exists, so this module imports only the
standard library (and build/unit_files.py, which does too).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from build.unit_files import default_name, unit_settings
from build.unit_files import relative_to_root as relative_to_root  # the stages name files with it

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = Path(os.environ.get("MEMORIZATION_CACHE") or ROOT / "cache")  # unset or empty: the default
RUNS_DIR = Path(os.environ.get("MEMORIZATION_RUNS") or ROOT / "runs")

SEED = 450849059  # the original's seed for the vocabulary shuffle and the split
RUN_FORMAT = 1  # raised when what a run directory holds changes shape: older run directories are refused
CORPORA = ("text8", "brown")
TOP_K = 3  # how many guesses of a model the article shows and scores (top-1 to top-3 accuracy)
ARTICLE_MODELS = ("gru", "lstm", "nlstm")  # the original's three models, every profile's default list
LAYERS = 2  # layers of a model whose unit file does not say (the original stacks its GRU and LSTM twice)
MAX_MODELS = 6  # the page has six distinct model colours
# Settings a quick study may override (Make variables and --options of every stage): variable -> field.
STUDY_SETTINGS = {
    "steps": "steps",
    "units": "units",
    "lr": "learning_rate",
    "seed": "train_seed",
    "seeds": "seeds",
}
MAX_SEEDS = 10  # training runs per model that one build may ask for


@dataclass(frozen=True)
class ModelConfig:
    """One recurrent model: which unit (a file in build/units/), how wide and how deep."""

    key: str  # file-system name inside a run directory, e.g. "nlstm"
    name: str  # the label the article shows, e.g. "Nested LSTM"
    unit: str  # module name in build/units/
    units: int
    layers: int
    options: dict = field(default_factory=dict)  # unit-specific, e.g. {"depth": 2} for the Nested LSTM


@dataclass(frozen=True)
class Profile:
    name: str
    corpus: str
    vocab_bits: int  # 2**vocab_bits most frequent words, plus <eos> and <unknown>
    embedding: int
    models: tuple[ModelConfig, ...]
    batch_size: int
    steps: int
    learning_rate: float = 1e-3  # Adam's rate; with a schedule, its peak
    # The learning rate's schedule: "constant" (the original's) or "cosine": a linear warm-up over
    # `warmup_steps` to `learning_rate`, then a cosine decay to `min_learning_rate` at the last step.
    lr_schedule: str = "constant"
    warmup_steps: int = 0
    min_learning_rate: float = 0.0
    clip_norm: float | None = None  # clip the gradient's global L2 norm to this (None: no clipping)
    # CPU threads of one training process (None: PyTorch's default, one per core). When set, Make trains
    # all of the run's models at once, a process each, which with one thread each on two cores makes
    # more steps per second than one model at a time on both (bench/RESULTS.md). Float sums depend on
    # the thread count, so a run is reproducible for a fixed count, which this setting fixes.
    train_threads: int | None = None
    # Subnormal floats flushed to zero on the CPU in every stage (build/cpu.py): a trained Nested LSTM's
    # gate products fall into that range, which some CPUs compute many times slower.
    flush_denormal: bool = True
    max_length: int = 200
    seed: int = SEED
    train_seed: int = 1  # initial weights and batch order (of the first of the run's seeds)
    # How many times each model trains, with the training seeds train_seed, train_seed + 1, ...: every
    # measurement is made on each, and the page runs the first seed's weights.
    seeds: int = 1
    # Which of the run's seeds a stage works on (0: the first, whose files keep a one-seed run's layout);
    # chosen per stage (--training-seed), never a setting of the run, so run.json leaves it out.
    seed_offset: int = 0
    checkpoint_every: int = 200
    validate_every: int = 100
    validation_batches: int = 8  # how many validation mini-batches each logged validation loss averages
    corpus_limit: int | None = None  # use only the first N characters of the normalised corpus
    eval_observations: int | None = None  # evaluate on the first N test observations only (None: all)
    # How far back each model looks (build/lookback.py) over the first N test observations (None: all).
    context_observations: int | None = 200
    # Training keeps the weights every `keep_every` steps (None: none kept) so that build/during.py can
    # measure how the share before the word grows with skill, over the first `during_observations` test
    # observations; neither changes the trained weights, so neither is part of a checkpoint's identity.
    keep_every: int | None = None
    during_observations: int = 50
    keep_best: bool = False  # ship the weights of the best validation loss, not the last step's
    # Initial weights: "original" (TensorFlow 1.x's defaults, as the original started; build/init.py) or
    # "pytorch" (PyTorch's defaults, which train much faster in a short budget).
    init: str = "pytorch"
    # What a quick study changed from the profile's own settings, e.g. "steps8-lr0.01" ("" for none): it
    # names the run directory, so a study never mixes its models with the profile's own.
    variant: str = ""

    @property
    def vocab_size(self) -> int:
        return 2**self.vocab_bits + 2

    @property
    def run_name(self) -> str:
        default = PROFILES[self.name].corpus
        name = self.name if self.corpus == default else f"{self.name}-{self.corpus}"
        return f"{name}-{self.variant}" if self.variant else name

    @property
    def run_dir(self) -> Path:
        return RUNS_DIR / self.run_name

    @property
    def training_seeds(self) -> tuple[int, ...]:
        """The run's training seeds, in order; the first is the one whose weights the page runs."""
        return tuple(range(self.train_seed, self.train_seed + self.seeds))

    @property
    def model_seed(self) -> int:
        """The training seed of the models this profile's stage works on."""
        return self.train_seed + self.seed_offset

    @property
    def seed_dir(self) -> str:
        """Where this seed's models live under the run directory: "" for the first seed (a one-seed run's
        layout), "seed<k>" for the others."""
        return f"seed{self.model_seed}" if self.seed_offset else ""

    def model(self, key: str) -> ModelConfig:
        for config in self.models:
            if config.key == key:
                return config
        raise KeyError(f"profile {self.name!r} has no model {key!r}; it has {[m.key for m in self.models]}")


def for_seed(profile: Profile, seed: int | str) -> Profile:
    """`profile` working on the models of training seed `seed`, one of the run's seeds."""
    try:
        number = int(str(seed).strip())
    except ValueError:
        number = None
    if number not in profile.training_seeds:
        seeds = profile.training_seeds
        raise SystemExit(
            f"--training-seed {seed!r}: this run trains with seeds {seeds[0]} to {seeds[-1]}"
            if len(seeds) > 1
            else f"--training-seed {seed!r}: this run trains with seed {seeds[0]} only"
        )
    return dataclasses.replace(profile, seed_offset=number - profile.train_seed)


def model_configs(keys: tuple[str, ...] | list[str], units: int) -> tuple[ModelConfig, ...]:
    """One model per key, each key naming its unit file; `units` wide, as deep as the unit file says
    (LAYERS, default 2), with the unit's own OPTIONS and display NAME (default derived from the key)."""
    configs = []
    for key in keys:
        settings = unit_settings(key)
        configs.append(
            ModelConfig(
                key,
                settings.get("NAME") or default_name(key),
                key,
                units,
                settings.get("LAYERS", LAYERS),
                settings.get("OPTIONS", {}),
            )
        )
    return tuple(configs)


def _three_models(units: int) -> tuple[ModelConfig, ...]:
    """The article's trio: GRU and LSTM stacked twice, and one Nested LSTM layer of depth 2."""
    return model_configs(ARTICLE_MODELS, units)


PROFILES: dict[str, Profile] = {
    # The original's settings (spec sections 1-2): meant for a GPU.
    "paper": Profile(
        name="paper",
        corpus="text8",
        vocab_bits=14,
        embedding=600,
        models=_three_models(600),
        batch_size=64,
        steps=14_278,
        keep_every=1_400,  # about ten kept steps
        during_observations=50,
        checkpoint_every=500,
        validate_every=250,
        validation_batches=16,
        # On Brown (CORPUS=brown, 1/17 of text8) 14,278 steps are about 34 epochs: the site shows the
        # weights of the best validation loss, never an overfitted last step.
        keep_best=True,
        init="original",
    ),
    # The default: the whole `make article` within 20 minutes on two CPU cores. The recipe was chosen by
    # the trials of bench/RESULTS.md ("The small profile's recipe"): 1,000 steps of 16 see the same
    # observations as the old 500 of 32 (0.6 epochs), in less time with the three models trained side by
    # side on one thread each; the LSTMs gain most from the extra updates of the smaller batch.
    "small": Profile(
        name="small",
        corpus="brown",
        vocab_bits=12,
        embedding=128,
        models=_three_models(128),
        batch_size=16,
        steps=1000,
        # Under one epoch: at Adam's default 1e-3 the LSTMs would still be near the unigram plateau. The
        # rate starts at its peak (a warm-up fills Adam's second moments with the first, largest
        # gradients and held the LSTMs back for hundreds of steps) and its cosine decay settles the
        # models lower than a constant rate does in the same steps.
        learning_rate=1.5e-2,
        lr_schedule="cosine",
        min_learning_rate=1e-3,
        train_threads=1,
        checkpoint_every=200,
        validate_every=100,
        validation_batches=8,
        keep_every=100,
        during_observations=50,
    ),
    # The paper's sizes on the embedded corpus for a handful of small steps (not trained): the whole
    # paper path (export, web formats, precompute, render, browser) on two CPU cores.
    "paper-shapes": Profile(
        name="paper-shapes",
        corpus="brown",
        vocab_bits=14,
        embedding=600,
        models=_three_models(600),
        batch_size=4,
        steps=6,
        checkpoint_every=3,
        validate_every=3,
        validation_batches=1,
        eval_observations=256,
        # Every output position of an observation costs a backward pass through the paper's sizes: a few
        # observations show the measurement works; the page says how few.
        context_observations=4,
        init="original",
    ),
    # For tests: seconds.
    "tiny": Profile(
        name="tiny",
        corpus="brown",
        vocab_bits=8,
        embedding=16,
        models=_three_models(16),
        batch_size=8,
        steps=12,
        checkpoint_every=4,
        validate_every=4,
        validation_batches=1,
        corpus_limit=60_000,
        context_observations=None,  # all of its test observations
        keep_every=5,  # steps 5 and 10 of 12, then the final model
        during_observations=4,
        train_threads=1,  # as small: Make trains the models side by side
    ),
}


Setting = str | int | float | None  # a study setting as Make passes it ("" or None: not given)


def given(value: Setting) -> bool:
    return value is not None and str(value).strip() != ""


def _number(
    variable: str,
    value: Setting,
    kind: type,
    minimum: float,
    strict: bool = False,
    maximum: float | None = None,
) -> int | float:
    """`value` as an int or float of at least `minimum` (above it when `strict`) and at most `maximum`,
    or one clear line."""
    try:
        number = kind(str(value).strip())
    except ValueError:
        number = None
    if (
        number is None
        or not math.isfinite(number)
        or number < minimum
        or (strict and number == minimum)
        or (maximum is not None and number > maximum)
    ):
        what = "an integer" if kind is int else "a number"
        bound = f"{'above' if strict else 'at least'} {minimum:g}"
        if maximum is not None:
            bound = f"from {minimum:g} to {maximum:g}"
        raise SystemExit(f"{variable}={value!r}: must be {what} {bound}")
    return number


def model_keys(value: Setting) -> tuple[str, ...]:
    """MODELS as given ("gru,lstm,mycell", commas or spaces) -> its keys, each naming a unit file."""
    keys = tuple(k for k in re.split(r"[,\s]+", str(value).strip()) if k)
    for key in keys:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", key):
            raise SystemExit(
                f"MODELS={value!r}: {key!r} is not a unit file's name (lower-case letters, digits, _)"
            )
    if len(set(keys)) != len(keys):
        raise SystemExit(f"MODELS={value!r}: a model is listed twice")
    if not 1 <= len(keys) <= MAX_MODELS:
        raise SystemExit(f"MODELS={value!r}: list 1 to {MAX_MODELS} models")
    return keys


def load(
    name: str,
    corpus: str | None = None,
    *,
    models: Setting = None,
    steps: Setting = None,
    units: Setting = None,
    lr: Setting = None,
    seed: Setting = None,
    seeds: Setting = None,
) -> Profile:
    """The named profile, with its corpus replaced when `corpus` is given (e.g. paper shapes on Brown),
    its models when `models` lists unit files, and its training settings for a quick study. A study
    setting that differs from the profile's names the run directory (tiny-steps8-lr0.01)."""
    if name not in PROFILES:
        raise SystemExit(f"unknown profile {name!r}: choose one of {', '.join(PROFILES)}")
    profile = PROFILES[name]
    changes: dict = {}
    if corpus:
        if corpus not in CORPORA:
            raise SystemExit(f"unknown corpus {corpus!r}: choose one of {', '.join(CORPORA)}")
        changes["corpus"] = corpus
    width = profile.models[0].units
    variant = []
    study = {"steps": (steps, int, 1, False), "units": (units, int, 1, False), "lr": (lr, float, 0, True)}
    study["seed"] = (seed, int, 0, False)
    study["seeds"] = (seeds, int, 1, False)
    for variable, (value, kind, minimum, strict) in study.items():
        if not given(value):
            continue
        maximum = MAX_SEEDS if variable == "seeds" else None
        number = _number(variable.upper(), value, kind, minimum, strict, maximum)
        current = width if variable == "units" else getattr(profile, STUDY_SETTINGS[variable])
        if number == current:
            continue
        variant.append(f"{variable}{number:g}" if kind is float else f"{variable}{number}")
        if variable == "units":
            width = number
        else:
            changes[STUDY_SETTINGS[variable]] = number
    keys = model_keys(models) if given(models) else tuple(m.key for m in profile.models)
    if given(models) or width != profile.models[0].units:
        changes["models"] = model_configs(keys, width)
    if variant:
        changes["variant"] = "-".join(variant)
    return dataclasses.replace(profile, **changes) if changes else profile


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every stage's command line takes, with defaults from the environment (PROFILE, CORPUS,
    MODELS, STEPS, UNITS, LR, SEED, SEEDS): which run, a quick study's changes to it, and which of its
    training seeds a stage works on."""
    parser.add_argument("--profile", default=os.environ.get("PROFILE") or "small", choices=sorted(PROFILES))
    parser.add_argument("--corpus", default=os.environ.get("CORPUS") or None, choices=CORPORA)
    parser.add_argument(
        "--models", default=os.environ.get("MODELS", ""), help="unit files to train, e.g. gru,lstm,mycell"
    )
    for variable, field_name in STUDY_SETTINGS.items():
        parser.add_argument(
            f"--{variable}",
            default=os.environ.get(variable.upper(), ""),
            help=f"the profile's {field_name} for a quick study (its own run directory)",
        )
    parser.add_argument(
        "--training-seed",
        default="",
        help="work on the models of this one of the run's training seeds (default: the first)",
    )


def study(args: argparse.Namespace) -> dict[str, Setting]:
    """The models and study settings of parsed arguments, as `load` takes them."""
    return {"models": args.models, **{variable: getattr(args, variable) for variable in STUDY_SETTINGS}}


def from_arguments(args: argparse.Namespace) -> Profile:
    profile = load(args.profile, args.corpus, **study(args))
    seed = getattr(args, "training_seed", "")
    return for_seed(profile, seed) if given(seed) else profile
