"""Stage 6, precompute: the data files the page reads, under site/data/.

    passages/<id>.json  per passage: the text, each model's top-3 words and probabilities at every
                        position, and connectivity for every output position (lower-triangular)
    vocab.json          output class id -> word
    results.json, curves.json, published.json, vanishing.json   the other figures' data (figure_data.py)
    manifest.json       the one index the page reads: models, graphs, passages, and what produced them

A passage file records a hash of everything it was computed from (its text and options, the model
weights, this format); a passage whose hash is unchanged is not recomputed, nor its file rewritten.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import platform
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import torch

from build import dataset as dataset_stage
from build import figure_data, profiles
from build import passages as passage_stage
from build.connectivity import connectivity
from build.corpus import sha256_file
from build.evaluate import git_commit
from build.model import Model
from build.profiles import Profile, write_if_changed
from build.train import CheckpointError, load_trained, model_dir, trained_summary

FORMAT = 1
ARTICLE_DIR = profiles.ROOT / "article"


def article_sources() -> list[Path]:
    """The article's Markdown files (README.md documents how to write them and is not part of it)."""
    return [path for path in ARTICLE_DIR.glob("*.md") if path.name != "README.md"]


def site_dir() -> Path:
    return Path(os.environ.get("MEMORIZATION_SITE", profiles.ROOT / "site"))


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


def passage_targets(text: str, data: dataset_stage.Dataset) -> list[int]:
    """Per character, the id of the word it belongs to, or -1 where that word is not in the vocabulary."""
    ids = []
    for word in text[1:].split(" "):
        word_id = data.word_id(word)
        ids += [word_id if word_id > dataset_stage.UNKNOWN else -1] * (len(word) + 1)
    return ids


def compute_passage(
    passage: passage_stage.Passage, trained: dict[str, Model], data: dataset_stage.Dataset, digest: str
) -> dict:
    chars = torch.from_numpy(dataset_stage.encode_text(passage.text).astype(np.int64))
    targets = passage_targets(passage.text, data)
    models = {}
    for key in passage.models:
        result = connectivity(trained[key], chars, torch.tensor(targets))
        models[key] = {
            "top_ids": result.top_ids.tolist(),
            "top_probs": [[round(float(p), 5) for p in row] for row in result.top_probs],
            "connectivity": encode_lower_triangle(result.values.double().numpy()),
        }
    return {
        "format": FORMAT,
        "hash": digest,
        "id": passage.id,
        "text": passage.text,
        "position": passage.position,
        "highlights": list(passage.highlights),
        "targets": targets,
        "models": models,
    }


def passage_hash(passage: passage_stage.Passage, model_hashes: dict[str, str]) -> str:
    blob = json.dumps(
        {
            "format": FORMAT,
            "text": passage.text,
            "models": [model_hashes[k] for k in passage.models],
            "position": passage.position,
            "highlights": passage.highlights,
        }  # not its file and line: prose added above a passage does not make it stale
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def stored_hash(path: Path) -> str | None:
    try:
        return json.loads(path.read_text()).get("hash")
    except (OSError, ValueError):
        return None


def precompute(profile: Profile, article_files: list[Path] | None = None) -> dict:
    """Write site/data for `profile`; returns the manifest. Only passages whose inputs changed are redone."""
    site = site_dir()
    data_dir = site / "data"
    files = sorted(article_files if article_files is not None else article_sources())
    keys = tuple(m.key for m in profile.models)
    passages = passage_stage.read([profiles.relative_to_root(f) for f in files], keys)
    data = dataset_stage.load(profile)
    trained = {key: load_trained(profile, key) for key in keys}  # key -> (model, checkpoint payload)
    model_hashes = {key: sha256_file(model_dir(profile, key) / "model.pt") for key in keys}
    models = {key: model for key, (model, _) in trained.items()}

    entries = []
    for passage in passages:
        path = data_dir / "passages" / f"{passage.id}.json"
        digest = passage_hash(passage, model_hashes)
        if stored_hash(path) != digest:
            write_if_changed(
                path,
                json.dumps(compute_passage(passage, models, data, digest), separators=(",", ":")) + "\n",
            )
            print(f"passage {passage.id}: computed ({passage.source}) -> {path}")
        entries.append(
            {
                "id": passage.id,
                "file": f"data/passages/{passage.id}.json",
                "source": passage.source,
                "characters": len(passage.text),
                "sha256": sha256_file(path),
            }
        )
    for stale in (data_dir / "passages").glob("*.json"):
        if stale.stem not in {p.id for p in passages}:
            stale.unlink()
    write_if_changed(data_dir / "vocab.json", json.dumps(data.words, separators=(",", ":")) + "\n")
    figures = {
        "results": json.loads((profile.run_dir / "results.json").read_text()),
        "curves": figure_data.training_curves(profile.run_dir, profile.models),
        "published": figure_data.published(),
        "vanishing": figure_data.vanishing_gradient(),
    }
    for name, value in figures.items():
        write_if_changed(data_dir / f"{name}.json", json.dumps(value, separators=(",", ":")) + "\n")

    manifest = {
        "profile": profile.name,
        "corpus": profile.corpus,
        "corpus_sha256": data.stats["corpus_sha256"],
        "dataset": data.key,
        "seeds": {"dataset": profile.seed, "training": profile.train_seed},
        "commit": git_commit(),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
        },
        "vocab": "data/vocab.json",
        "models": [_model_entry(profile, config, trained[config.key][1], site) for config in profile.models],
        "passages": entries,
    }
    _remove_stale_models(site, manifest["models"])
    write_if_changed(data_dir / "manifest.json", json.dumps(manifest, indent=1) + "\n")
    return manifest


def _model_entry(profile: Profile, config: profiles.ModelConfig, payload: dict, site: Path) -> dict:
    """A model's description and its web graphs, copied into site/models/<key>/."""
    directory = model_dir(profile, config.key)
    report = json.loads((directory / "export.json").read_text())
    graphs = {}
    for name, graph in report["web"]["graphs"].items():
        target = site / "models" / config.key / graph["file"]
        digest = sha256_file(directory / graph["file"])
        if not target.exists() or sha256_file(target) != digest:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(directory / graph["file"], target)
        graphs[name] = {
            "file": f"models/{config.key}/{graph['file']}",
            "bytes": graph["bytes"],
            "sha256": digest,
        }
    return {
        **trained_summary(config, payload),
        "embedding": profile.embedding,
        "vocab_size": profile.vocab_size,
        "state_size": report["state_size"],
        "weights": report["web"]["format"],
        "graphs": graphs,
    }


def _remove_stale_models(site: Path, models: list[dict]) -> None:
    """Model files no manifest entry names (another profile's, an older export's) leave site/models/."""
    wanted = {graph["file"] for model in models for graph in model["graphs"].values()}
    for path in sorted((site / "models").rglob("*"), reverse=True):
        relative = path.relative_to(site).as_posix()
        if path.is_file() and relative not in wanted and relative.removesuffix(".js") not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def main() -> None:
    parser = argparse.ArgumentParser(description="Precompute the page's data files (site/data/).")
    profiles.add_arguments(parser)
    profile = profiles.from_arguments(parser.parse_args())
    try:
        manifest = precompute(profile)
    except (passage_stage.PassageError, CheckpointError, FileNotFoundError) as error:
        sys.exit(f"error: {error}")
    print(
        f"{site_dir() / 'data' / 'manifest.json'}: {len(manifest['models'])} models, "
        f"{len(manifest['passages'])} passages"
    )


if __name__ == "__main__":
    main()
