"""Stage 6, precompute: the data files the page reads, under site/data/.

    passages/<id>.json  per passage: the text, each model's top-3 words and probabilities at every
                        position, and connectivity for every output position (lower-triangular)
    passages/<id>.steps.json   the same entries for each weight set training kept (build/passage_steps.py),
                        read by the passage figure's training-step control; none when training kept none
    vocab.json          output class id -> word
    results.json, curves.json, published.json, vanishing.json   the other figures' data (figure_data.py)
    manifest.json       the one index the page reads: models, graphs, passages, and what produced them

A passage file records a hash of everything it was computed from (its text and options, the model
weights, this format); a passage whose hash is unchanged is not recomputed, nor its file rewritten. A steps
file does the same with the kept weights' hashes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import sys
import zipfile
from pathlib import Path

import onnx
import onnxruntime

from build import cpu, figure_kinds, passage_steps, profiles, site_layout
from build import dataset as dataset_stage
from build import passages as passage_stage
from build.checkpoints import CheckpointError, load_trained, trained_summary
from build.connectivity import passage_targets
from build.model import Model
from build.profiles import Profile
from build.run_files import (
    ARTICLE_DIR,
    EXPORT_REPORT,
    TRAINED,
    git_commit,
    model_dir,
    replace_bytes,
    sha256_file,
    site_dir,
    versions,
    write_if_changed,
)

FORMAT = 1


def article_sources() -> list[Path]:
    """The article's Markdown files (README.md documents how to write them and is not part of it)."""
    return [path for path in ARTICLE_DIR.glob("*.md") if path.name != "README.md"]


def compute_passage(
    passage: passage_stage.Passage, trained: dict[str, Model], data: dataset_stage.Dataset, digest: str
) -> dict:
    chars = passage_steps.passage_chars(passage)
    targets = passage_targets(passage.text, data)
    models = {key: passage_steps.model_entry(trained[key], chars, targets) for key in passage.models}
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
    files = sorted(article_files if article_files is not None else article_sources())
    keys = tuple(m.key for m in profile.models)
    passages = passage_stage.read([profiles.relative_to_root(f) for f in files], keys)
    data = dataset_stage.load(profile)
    trained = {key: load_trained(profile, key) for key in keys}  # key -> (model, checkpoint payload)
    model_hashes = {key: sha256_file(model_dir(profile, key) / TRAINED) for key in keys}
    models = {key: model for key, (model, _) in trained.items()}

    entries = []
    for passage in passages:
        path = site_layout.under(site, site_layout.passage_file(passage.id))
        digest = passage_hash(passage, model_hashes)
        if stored_hash(path) != digest:
            write_if_changed(
                path,
                json.dumps(compute_passage(passage, models, data, digest), separators=(",", ":")) + "\n",
            )
            print(f"passage {passage.id}: computed ({passage.source}) -> {path}")
        entry = {
            "id": passage.id,
            "file": site_layout.passage_file(passage.id),
            "source": passage.source,
            "characters": len(passage.text),
            "sha256": sha256_file(path),
        }
        final_step = int(trained[passage.models[0]][1]["step"])
        steps = _steps_file(profile, passage, models, data, site, final_step)
        if steps is not None:
            entry["steps"] = steps
        entries.append(entry)
    wanted = {e["file"] for e in entries} | {e["steps"]["file"] for e in entries if "steps" in e}
    for stale in site_layout.under(site, site_layout.PASSAGES).glob("*.json"):
        if stale.relative_to(site).as_posix() not in wanted:
            stale.unlink()
    vocab = site_layout.under(site, site_layout.VOCAB)
    write_if_changed(vocab, json.dumps(data.words, separators=(",", ":")) + "\n")
    for data_file in figure_kinds.data_files():  # what the figure kinds read, each by its writer
        value = figure_kinds.resolve(data_file.writer)(profile)
        write_if_changed(
            site_layout.under(site, data_file.url), json.dumps(value, separators=(",", ":")) + "\n"
        )

    manifest = {
        "run": profile.run_name,
        "profile": profile.name,
        "corpus": profile.corpus,
        "corpus_sha256": data.stats["corpus_sha256"],
        "dataset": data.key,
        "seeds": {"dataset": profile.seed, "training": profile.train_seed},
        "cpu": {"flush_denormal": profile.flush_denormal, "threads": profile.train_threads},
        "commit": git_commit(),
        "versions": {**versions(), "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__},
        "vocab": site_layout.VOCAB,
        "models": [_model_entry(profile, config, trained[config.key][1], site) for config in profile.models],
        "passages": entries,
    }
    _remove_stale_models(site, manifest["models"])
    write_if_changed(site_layout.under(site, site_layout.MANIFEST), json.dumps(manifest, indent=1) + "\n")
    return manifest


def _steps_file(
    profile: Profile,
    passage: passage_stage.Passage,
    models: dict[str, Model],
    data: dataset_stage.Dataset,
    site: Path,
    final_step: int,
) -> dict | None:
    """Write the passage's steps file unless its hash is unchanged; -> its manifest entry (the file, its
    sha256, the kept steps and the final step), or None when the models kept no weights."""
    kept = passage_steps.kept_weights({key: model_dir(profile, key) for key in passage.models}, final_step)
    if not kept:
        return None
    path = site_layout.under(site, site_layout.passage_steps_file(passage.id))
    digest = passage_steps.steps_hash(passage, kept)
    if stored_hash(path) != digest:
        value = passage_steps.compute_steps(passage, models, data, kept, digest)
        write_if_changed(path, json.dumps(value, separators=(",", ":")) + "\n")
        print(f"passage {passage.id}: {len(kept)} training steps computed -> {path}")
    return {
        "file": site_layout.passage_steps_file(passage.id),
        "sha256": sha256_file(path),
        "steps": list(kept),
        "final": final_step,
    }


def _model_entry(profile: Profile, config: profiles.ModelConfig, payload: dict, site: Path) -> dict:
    """A model's description and its browser files (two graphs and the weights file both read), copied
    into site/models/<key>/."""
    directory = model_dir(profile, config.key)
    report = json.loads((directory / EXPORT_REPORT).read_text())
    web = report["web"]

    def ship(name: str) -> dict:
        target = site_layout.under(site, site_layout.model_file(config.key, name))
        digest = sha256_file(directory / name)
        if not target.exists() or sha256_file(target) != digest:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(directory / name, target)
        return {
            "file": site_layout.model_file(config.key, name),
            "bytes": target.stat().st_size,
            "sha256": digest,
        }

    if "weights" not in web:
        raise FileNotFoundError(f"{directory / EXPORT_REPORT}: made by an older export; export it again")
    graphs = {name: ship(graph["file"]) for name, graph in web["graphs"].items()}
    weights = ship(web["weights"]["file"])
    download = _download(
        site,
        config.key,
        [directory / web["weights"]["file"]]
        + [directory / graph["file"] for graph in web["graphs"].values()],
    )
    return {
        **trained_summary(config, payload),
        "embedding": profile.embedding,
        "vocab_size": profile.vocab_size,
        "state_size": report["state_size"],
        "weights": web["format"],
        "formats": web["formats"],
        "weights_file": weights,
        "graphs": graphs,
        "download_bytes": weights["bytes"] + sum(g["bytes"] for g in graphs.values()),
        "download": download,
    }


def _download(site: Path, key: str, files: list[Path]) -> dict:
    """One zip of a model's web graphs and the weights file they both read (ONNX external data, found
    beside the graph), so a download runs on its own; byte-identical for the same files (fixed dates)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(f"{key}/{path.name}", date_time=(2019, 4, 25, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    target = site_layout.under(site, site_layout.download_file(key))
    if not target.exists() or target.read_bytes() != buffer.getvalue():
        replace_bytes(target, buffer.getvalue())
    return {
        "file": site_layout.download_file(key),
        "bytes": target.stat().st_size,
        "sha256": sha256_file(target),
    }


def _remove_stale_models(site: Path, models: list[dict]) -> None:
    """Model files no manifest entry names (another profile's, an older export's) leave site/models/."""
    wanted = {
        f["file"]
        for model in models
        for f in [*model["graphs"].values(), model["weights_file"], model["download"]]
    }
    folders = [site_layout.under(site, site_layout.MODELS), site_layout.under(site, site_layout.DOWNLOADS)]
    for path in sorted([path for folder in folders for path in folder.rglob("*")], reverse=True):
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
        with cpu.settings(profile):
            manifest = precompute(profile)
    except (passage_stage.PassageError, CheckpointError, FileNotFoundError) as error:
        sys.exit(f"error: {error}")
    print(
        f"{site_layout.under(site_dir(), site_layout.MANIFEST)}: {len(manifest['models'])} models, "
        f"{len(manifest['passages'])} passages"
    )


if __name__ == "__main__":
    main()
