"""The data of the figures that are not passages, written by the precompute stage into site/data/.

    results.json     the run's results (test metrics, accuracy by letters seen, the no-context baseline)
    curves.json      each model's training curves from its losses.csv: the training loss thinned to at
                     most MAX_POINTS rows, every validation value kept
    published.json   the original's published results (article/reference/, MIT), compacted: P1's
                     connectivity and top-3 per model, accuracy by letters, training curves, test table,
                     and the recipe that produced them (corpus, sizes, steps, initialisation), which the
                     article checks a build against before it calls two numbers comparable
    vanishing.json   how much of the gradient reaches earlier inputs of a vanilla RNN (figure 2), computed

The published files stay unchanged in article/reference/ (their provenance is in its README); the page
only ever reads the compact copy, credited, beside our own numbers.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import torch

from build import profiles
from build.connectivity import distance_agreement, published_connectivity
from build.run_files import LOSSES, REFERENCE_DIR, RESULTS, encode_lower_triangle
from build.units import unit_class

MAX_POINTS = 400
# The original's names in its files -> our model keys.
PUBLISHED_NAMES = {"gru": "GRU", "lstm": "LSTM", "nlstm": "Nested LSTM"}
# Spec section 3: the original's test table (text8 test split).
PUBLISHED_RESULTS = {
    "gru": {"cross_entropy": 2.1170, "accuracy": 0.5201},
    "lstm": {"cross_entropy": 2.1713, "accuracy": 0.5140},
    "nlstm": {"cross_entropy": 2.4950, "accuracy": 0.4710},
}
PUBLISHED_TRAINING_SECONDS = 22500  # per model, one GPU, TensorFlow 1.x
# Spec sections 1-2: the recipe behind the published numbers, what a build is compared with.
PUBLISHED_RECIPE = {
    "corpus": "text8",
    "units": 600,
    "layers": {"gru": 2, "lstm": 2, "nlstm": 1},
    "embedding": 600,
    "vocabulary": 2**14,
    "steps": 14_278,
    "batch_size": 64,
    "learning_rate": 1e-3,
    "init": "original",
    # test accuracy: every character at batch 1; accuracy by letters: padded batches of 16
    "accuracy": "as_original",
}
PUBLISHED_CREDIT = (
    "A. Madsen, Visualizing memorization in RNNs, Distill 2019: published results of its text8 models, "
    "from github.com/distillpub/post--memorization-in-rnns (public/data, MIT licence, copyright nearForm)."
)
VANISHING_LENGTH = 30
VANISHING_UNITS = 64
VANISHING_SCALES = (0.5, 0.9, 1.0, 1.5)


def thin(count: int, limit: int = MAX_POINTS) -> list[int]:
    """At most `limit` evenly spread indices of `count` rows, always keeping the first and the last."""
    if count <= limit:
        return list(range(count))
    return sorted({round(i * (count - 1) / (limit - 1)) for i in range(limit)})


def training_curves(run_dir: Path, models: tuple[profiles.ModelConfig, ...]) -> dict:
    """Train and validation loss against step and wall-clock seconds, per model."""
    curves = {}
    for config in models:
        path = run_dir / config.key / LOSSES
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
        if not rows:
            raise ValueError(f"{path}: no rows (was training interrupted before its first step?)")
        # every logged validation value stays: they are few (one every 100 steps) and the thinned rows
        # would keep only those whose steps happen to fall on the thinning's grid
        measured = {i for i, row in enumerate(rows) if row.get("valid_loss") not in ("", None)}
        keep = sorted(set(thin(len(rows))) | measured)

        def column(name: str, cast: type, keep: list[int] = keep, rows: list[dict] = rows) -> list:
            return [cast(rows[i][name]) if rows[i][name] not in ("", None) else None for i in keep]

        curves[config.key] = {
            "name": config.name,
            "step": column("step", int),
            "seconds": column("seconds", float),
            "train_loss": column("train_loss", float),
            "valid_loss": column("valid_loss", float),
        }
    return {"models": curves}


def published(reference_dir: Path = REFERENCE_DIR) -> dict:
    """The original's results in the shapes our figures read (passage data as in our passage files)."""
    passage: dict = {"text": None, "models": {}}
    for key, name in PUBLISHED_NAMES.items():
        path = reference_dir / f"connectivity_{key}.json"
        entries = json.loads(path.read_text())
        text, values = published_connectivity(entries, path)
        if passage["text"] not in (None, text):
            raise ValueError(f"{path}: its passage differs from the other models' ({text[:30]!r}...)")
        passage["text"] = text
        passage["models"][key] = {
            "name": name,
            "targets": [entry["target"] for entry in entries],
            "top_words": [entry["predict"] for entry in entries],
            "top_probs": [[round(p, 5) for p in entry["probability"]] for entry in entries],
            "connectivity": encode_lower_triangle(values),
            # the rank agreement that ordering characters by distance alone reaches with these rows
            "distance_agreement": {k: v for k, v in distance_agreement(values).items() if k != "spearman"},
        }

    accuracy_path = reference_dir / "word-length-results.json"
    accuracy_source = json.loads(accuracy_path.read_text())
    accuracy = {
        key: dict(zip(("top1", "top2", "top3"), accuracy_source[name], strict=True))
        for key, name in PUBLISHED_NAMES.items()
    }

    curves: dict = {key: {"train": [], "valid": []} for key in PUBLISHED_NAMES}
    keys = {name: key for key, name in PUBLISHED_NAMES.items()}
    with open(reference_dir / "autocomplete-training.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            curves[keys[row["model"]]][row["dataset"]].append(row)
    for sets in curves.values():
        for split, rows in sets.items():
            keep = thin(len(rows))
            sets[split] = {
                "step": [int(rows[i]["step"]) for i in keep],
                "seconds": [float(rows[i]["sec"]) for i in keep],
                "loss": [float(rows[i]["loss"]) for i in keep],
            }
    return {
        "credit": PUBLISHED_CREDIT,
        "passage": passage,
        "accuracy": accuracy,
        "curves": curves,
        "results": PUBLISHED_RESULTS,
        "training_seconds": PUBLISHED_TRAINING_SECONDS,
        "recipe": PUBLISHED_RECIPE,
    }


def vanishing_gradient(
    length: int = VANISHING_LENGTH, units: int = VANISHING_UNITS, scales: tuple[float, ...] = VANISHING_SCALES
) -> dict:
    """|| d h_last / d x_t || for a vanilla RNN whose recurrent matrix has spectral radius `scale`.

    Computed with the project's own vanilla unit (build/units/rnn.py) on a fixed random input, so the
    figure shows what the equations do, not a drawing.
    """
    cases = []
    for scale in scales:
        generator = torch.Generator().manual_seed(0)
        unit = unit_class("rnn")(units, units, 1)
        with torch.no_grad():
            recurrent = torch.randn(units, units, generator=generator) / units**0.5
            recurrent *= scale / torch.linalg.eigvals(recurrent).abs().max()
            unit.kernels[0][:units] = torch.randn(units, units, generator=generator) / units**0.5
            unit.kernels[0][units:] = recurrent
        inputs = torch.randn(length, 1, units, generator=generator).requires_grad_(True)
        state = torch.zeros(1, units)
        for t in range(length):
            h, state = unit.step(inputs[t], state)
        # Squared Frobenius norm of the Jacobian d h_last / d x_t, one backward pass per output unit.
        norms = torch.zeros(length, dtype=torch.float64)
        for k in range(units):
            (grad,) = torch.autograd.grad(h[0, k], inputs, retain_graph=True)
            norms += grad.double().pow(2).sum(dim=(1, 2))
        norms = norms.sqrt()
        cases.append(
            {
                "label": f"recurrent weights with spectral radius {scale:g}",
                "scale": scale,
                "values": [float(f"{v:.6g}") for v in (norms / norms.max()).tolist()],
            }
        )
    return {"length": length, "units": units, "cases": cases}


# The writers build/figure_kinds.py names for its data files: each returns a file's JSON value.


def results_file(profile: profiles.Profile) -> dict:
    """results.json: the run's results as build/results.py gathered them."""
    return json.loads((profile.run_dir / RESULTS).read_text())


def curves_file(profile: profiles.Profile) -> dict:
    """curves.json: the run's training curves."""
    return training_curves(profile.run_dir, profile.models)


def published_file(profile: profiles.Profile) -> dict:
    """published.json: the original's results (the same for every run)."""
    return published()


def vanishing_file(profile: profiles.Profile) -> dict:
    """vanishing.json: the vanilla RNN's gradient (the same for every run)."""
    return vanishing_gradient()
