"""Every size, seed and path of a build in one place.

A profile names a corpus, the recipe of the dataset, the models and how long they train. Make reads
`python3 -m build.profiles ...` before the virtual environment exists, so this module imports only the
standard library.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = Path(os.environ.get("MEMORIZATION_CACHE", ROOT / "cache"))
RUNS_DIR = Path(os.environ.get("MEMORIZATION_RUNS", ROOT / "runs"))

SEED = 450849059  # the original's seed for the vocabulary shuffle and the split
CORPORA = ("text8", "brown")


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
    learning_rate: float = 1e-3
    max_length: int = 200
    seed: int = SEED
    train_seed: int = 1  # initial weights and batch order
    checkpoint_every: int = 200
    validate_every: int = 100
    validation_batches: int = 8  # how many validation mini-batches each logged validation loss averages
    corpus_limit: int | None = None  # use only the first N characters of the normalised corpus

    @property
    def vocab_size(self) -> int:
        return 2**self.vocab_bits + 2

    @property
    def run_name(self) -> str:
        default = PROFILES[self.name].corpus
        return self.name if self.corpus == default else f"{self.name}-{self.corpus}"

    @property
    def run_dir(self) -> Path:
        return RUNS_DIR / self.run_name

    def model(self, key: str) -> ModelConfig:
        for config in self.models:
            if config.key == key:
                return config
        raise KeyError(f"profile {self.name!r} has no model {key!r}; it has {[m.key for m in self.models]}")


def _three_models(units: int, layers: int = 2) -> tuple[ModelConfig, ...]:
    """The article's trio: GRU and LSTM stacked `layers` deep, and one Nested LSTM layer of depth 2."""
    return (
        ModelConfig("gru", "GRU", "gru", units, layers),
        ModelConfig("lstm", "LSTM", "lstm", units, layers),
        ModelConfig("nlstm", "Nested LSTM", "nlstm", units, 1, {"depth": 2}),
    )


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
        checkpoint_every=500,
        validate_every=250,
        validation_batches=16,
    ),
    # The default: the whole `make article` within 20 minutes on two CPU cores.
    "small": Profile(
        name="small",
        corpus="brown",
        vocab_bits=12,
        embedding=128,
        models=_three_models(128),
        batch_size=32,
        steps=500,
        # 500 steps is under one epoch: at Adam's default 1e-3 the LSTMs are still near the unigram
        # plateau (valid loss 6.0 at step 250), at 1e-2 they are at 2.8 (bench/RESULTS.md).
        learning_rate=1e-2,
        checkpoint_every=100,
        validate_every=50,
        validation_batches=4,
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
    ),
}


def load(name: str, corpus: str | None = None, **overrides: object) -> Profile:
    """The named profile, with its corpus replaced when `corpus` is given (e.g. paper shapes on Brown)."""
    if name not in PROFILES:
        raise SystemExit(f"unknown profile {name!r}: choose one of {', '.join(PROFILES)}")
    profile = PROFILES[name]
    if corpus:
        if corpus not in CORPORA:
            raise SystemExit(f"unknown corpus {corpus!r}: choose one of {', '.join(CORPORA)}")
        overrides["corpus"] = corpus
    return dataclasses.replace(profile, **overrides) if overrides else profile


def relative_to_root(path: Path) -> Path:
    """`path` relative to the repository when inside it (short, stable names in messages and files)."""
    path = Path(path).resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def write_if_changed(path: Path, text: str) -> bool:
    """Write `text` atomically unless the file already holds it: an unchanged file keeps its mtime, so
    Make sees that nothing after this stage needs redoing."""
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
    return True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The --profile/--corpus pair every stage's command line takes (defaults from PROFILE and CORPUS)."""
    parser.add_argument("--profile", default=os.environ.get("PROFILE") or "small", choices=sorted(PROFILES))
    parser.add_argument("--corpus", default=os.environ.get("CORPUS") or None, choices=CORPORA)


def from_arguments(args: argparse.Namespace) -> Profile:
    return load(args.profile, args.corpus)


def main() -> None:
    """Answers Make's questions: `run-dir` and `models` of a profile, one per line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("question", choices=["run-dir", "models"])
    add_arguments(parser)
    args = parser.parse_args()
    profile = from_arguments(args)
    if args.question == "run-dir":
        print(relative_to_root(profile.run_dir))
    else:
        print(" ".join(m.key for m in profile.models))


if __name__ == "__main__":
    main()
