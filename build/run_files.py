"""A run's files: where each stage writes, how a file is written and read back, and what made it.

Every stage imports this module and the stages whose data it reads, never another stage to find a file.
It needs no PyTorch (build/checkpoints.py reads and writes the checkpoints), so the corpus, the render
and the preview never load it.

    runs/<run>/run.json          what made the run directory (profile settings, file format)
    runs/<run>/dataset.json      the dataset stage's description: its cache key, recipe and counts
    runs/<run>/<model>/          training (checkpoint.pt, model.pt, losses.csv, the weights kept every
                                 `keep_every` steps as kept/stepNNNNN.pt), evaluation (eval.json),
                                 context over the test split (context.json), the context taken away
                                 (truncated.json), export (export.json and the graphs it names)
    runs/<run>/seed<k>/<model>/  the same for each further training seed k of the run (SEEDS=n), but
                                 export: the page runs the first seed's models, kept where one seed's are
    runs/<run>/baseline.json, results.json   evaluation of the no-context baseline, and of the whole run
    cache/datasets/<key>.npz     the encoded dataset, shared by every run with the same recipe and corpus
    site/                        precompute's data (site/data/) and render's page

Files are replaced atomically (a temporary file, then a rename), so a browser, Make or a later stage never
sees half a file, and an interrupted stage never leaves one behind.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import json
import os
import platform
import subprocess
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import numpy as np

from build import profiles
from build.profiles import Profile

ARTICLE_DIR = profiles.ROOT / "article"
REFERENCE_DIR = ARTICLE_DIR / "reference"  # the original's published results, shown beside ours

# The files of a run directory, by the stage that writes them.
RUN_RECORD = "run.json"
DATASET_RECORD = "dataset.json"  # dataset
CHECKPOINT, TRAINED, LOSSES = "checkpoint.pt", "model.pt", "losses.csv"  # train, per model
EVALUATION = "eval.json"  # evaluate, per model
CONTEXT = "context.json"  # lookback, per model: how far back it looks over the test split
TRUNCATED = "truncated.json"  # truncated, per model: what it loses with its context taken away
KEPT = "kept"  # train, per model: the weights every `keep_every` steps, kept/stepNNNNN.pt
DURING = "during.json"  # during, per model: the kept weights' validation cross entropy and share
BASELINE, RESULTS = "baseline.json", "results.json"  # evaluate, per run
EXPORT_REPORT = "export.json"  # export, per model
# Training settings that older checkpoints and run records lack, with the value their training had: a
# constant learning rate, no clipping, PyTorch's own thread count, subnormal floats kept. Such a run still
# resumes under them; one whose setting differs from the profile's is refused, naming the setting.
IDENTITY_DEFAULTS = {
    "lr_schedule": "constant",
    "warmup_steps": 0,
    "min_learning_rate": 0.0,
    "clip_norm": None,
    "train_threads": None,
    "flush_denormal": False,
}

# Profile settings that only stages after training read (the context measurement's size): a run
# directory recorded before one existed takes the profile's value.
LATER_STAGE_SETTINGS = ("context_observations", "keep_every", "during_observations")


def training_settings(profile: Profile) -> dict:
    """The profile's settings of how training spends its steps beside the learning rate (the fields of
    IDENTITY_DEFAULTS), as checkpoints and results.json record them."""
    return {setting: getattr(profile, setting) for setting in IDENTITY_DEFAULTS}


def model_dir(profile: Profile, key: str) -> Path:
    """Model `key`'s folder for the training seed the profile works on (profiles.for_seed)."""
    return profile.run_dir / profile.seed_dir / key


def kept_path(directory: Path, step: int) -> Path:
    """Where training keeps the weights of `step` (a state dict only) in model folder `directory`, for the
    measurements during training and the passages' training steps."""
    return directory / KEPT / f"step{step:05d}.pt"


def kept_steps(directory: Path) -> list[tuple[int, Path]]:
    """The kept weights under `directory`/kept, by step (none for a run trained before weights were kept)."""
    found = [(int(p.stem.removeprefix("step")), p) for p in (directory / KEPT).glob("step*.pt")]
    return sorted(found)


def dataset_cache(key: str) -> Path:
    return profiles.CACHE_DIR / "datasets" / f"{key}.npz"


def site_dir() -> Path:
    return Path(os.environ.get("MEMORIZATION_SITE", profiles.ROOT / "site"))


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to; renamed over `path` when the block ends without an
    error, removed when it raises."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def replace_bytes(path: Path, data: bytes) -> None:
    with replacing(path) as temporary:
        temporary.write_bytes(data)


def write_if_changed(path: Path, text: str) -> bool:
    """Write `text` atomically unless the file already holds it: an unchanged file keeps its mtime, so
    Make sees that nothing after this stage needs redoing."""
    if path.exists() and path.read_text() == text:
        return False
    replace_bytes(path, text.encode())
    return True


def write_json(payload: dict, path: Path) -> None:
    replace_bytes(path, (json.dumps(payload, indent=1) + "\n").encode())


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def git_commit() -> str | None:
    """The checkout's commit, with "-dirty" when its files differ from it (None outside git)."""
    try:
        run = {"cwd": profiles.ROOT, "capture_output": True, "text": True, "check": True}
        commit = subprocess.run(["git", "rev-parse", "HEAD"], **run).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], **run).stdout.strip()  # ignored files aside
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("-dirty" if dirty else "")


def versions() -> dict[str, str]:
    """The versions that decide a run's numbers, recorded beside them."""
    try:  # read from the installed package, so that a stage which needs no torch never imports it
        torch_version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = None
    return {"python": platform.python_version(), "torch": torch_version, "numpy": np.__version__}


class RunDirError(RuntimeError):
    """A run directory holds another profile's or another code version's files."""


def run_record(profile: Profile) -> dict:
    """What made a run directory: the format of its files and every setting of its profile but the list
    of models (each model's own checkpoint records its configuration, so models can be added to a run) and
    the seed a stage works on (the run's seeds are a setting)."""
    settings = {k: v for k, v in dataclasses.asdict(profile).items() if k not in ("models", "seed_offset")}
    return {"format": profiles.RUN_FORMAT, "run": profile.run_name, "profile": settings}


def claim_run_dir(profile: Profile) -> Path:
    """Record in <run>/run.json what makes this run, or check that the run directory was made the same
    way: files made by another profile, other settings or another code version are never reused."""
    path = profile.run_dir / RUN_RECORD
    wanted = json.loads(json.dumps(run_record(profile)))  # tuples as lists, as read back
    if path.exists():
        try:
            found = json.loads(path.read_text())
        except ValueError:
            found = {}
        if isinstance(found, dict) and isinstance(found.get("profile"), dict):
            # Records written before models could be chosen per run list them; before studies, no variant.
            found["profile"].pop("models", None)
            found["profile"].setdefault("variant", "")
            found["profile"].setdefault("seeds", 1)  # before seeds, every run trained once
            for setting, value in IDENTITY_DEFAULTS.items():  # before schedules: constant, no clipping
                found["profile"].setdefault(setting, value)
            # Settings of later stages only, which older records lack: their files are made afresh.
            for setting in LATER_STAGE_SETTINGS:
                found["profile"].setdefault(setting, wanted["profile"][setting])
        if found != wanted:
            old = found.get("profile", {}) if isinstance(found, dict) else {}
            differ = [k for k in wanted["profile"] if old.get(k) != wanted["profile"][k]]
            if not isinstance(found, dict) or found.get("format") != profiles.RUN_FORMAT:
                differ = ["the format of its files (another version of this code)"]
            raise RunDirError(
                f"{path}: this run directory was made with other settings ({', '.join(differ) or 'run'}); "
                f"move or delete {path.parent} (make clean-runs PROFILE=...) to build this run afresh"
            )
        return path
    write_if_changed(path, json.dumps(wanted, indent=1) + "\n")
    return path


def dataset_key(profile: Profile) -> str:
    """The key of the dataset that the dataset stage described for this profile."""
    described = profile.run_dir / DATASET_RECORD
    if not described.exists():
        raise FileNotFoundError(
            f"{described}: missing; run `python -m build.dataset --profile {profile.name}`"
        )
    return json.loads(described.read_text())["key"]


def encode_lower_triangle(values: np.ndarray) -> dict:
    """Row t~ keeps its t~ + 1 values as uint16 fractions of the row's maximum (what the figures show)."""
    rows = [values[t, : t + 1] for t in range(len(values))]
    row_max = np.array([row.max() for row in rows], dtype=np.float64)
    scale = np.where(row_max > 0, row_max, 1.0)
    quantised = np.concatenate([np.round(row / s * 65535) for row, s in zip(rows, scale, strict=True)])
    data = base64.b64encode(quantised.astype("<u2").tobytes()).decode("ascii")
    return {
        "encoding": "lower-triangular rows, uint16 little-endian, base64; value = row_max * q / 65535",
        "row_max": [float(f"{m:.8g}") for m in row_max],
        "data": data,
    }


def decode_lower_triangle(encoded: dict) -> np.ndarray:
    """The inverse of `encode_lower_triangle` (zeros above the diagonal)."""
    row_max = np.array(encoded["row_max"])
    q = np.frombuffer(base64.b64decode(encoded["data"]), dtype="<u2").astype(np.float64)
    n = len(row_max)
    out = np.zeros((n, n))
    offset = 0
    for t in range(n):
        out[t, : t + 1] = q[offset : offset + t + 1] / 65535 * row_max[t]
        offset += t + 1
    return out
