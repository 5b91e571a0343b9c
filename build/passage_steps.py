"""A passage through the models as training went: each model's entry of a passage file (its top-3 words and
probabilities and its connectivity at every output position), computed with the final weights for
data/passages/<id>.json and with every kept weight set (build/train.py keeps one every `keep_every` steps)
for data/passages/<id>.steps.json, which the passage figure loads only when the reader asks for a step.

    {"format", "hash", "id", "steps": [s1, s2, ...], "models": {key: {"<step>": entry}}}

The steps are those every model of the passage kept below the final step (the final model stands for the
last); a run that kept none has no steps file. Its hash covers the passage's text, its models and each kept
weight file's sha256, so unchanged kept weights are never computed again. Not a stage: build/precompute.py
writes these files.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from build import dataset as dataset_stage
from build.connectivity import connectivity, passage_targets
from build.model import Model
from build.passages import Passage
from build.run_files import encode_lower_triangle, kept_steps, sha256_file

FORMAT = 1


def model_entry(model: Model, chars: torch.Tensor, targets: list[int]) -> dict:
    """One model's entry in a passage file: its top-3 words and probabilities and its connectivity."""
    result = connectivity(model, chars, torch.tensor(targets))
    return {
        "top_ids": result.top_ids.tolist(),
        "top_probs": [[round(float(p), 5) for p in row] for row in result.top_probs],
        "connectivity": encode_lower_triangle(result.values.double().numpy()),
    }


def passage_chars(passage: Passage) -> torch.Tensor:
    """The passage's text as the models read it."""
    return torch.from_numpy(dataset_stage.encode_text(passage.text).astype(np.int64))


def kept_weights(directories: dict[str, Path], final_step: int) -> dict[int, dict[str, Path]]:
    """Step -> {model key: its kept weights} for the steps below `final_step` that every model kept."""
    by_model = {
        key: {step: path for step, path in kept_steps(directory) if step < final_step}
        for key, directory in directories.items()
    }
    common = set.intersection(*(set(steps) for steps in by_model.values())) if by_model else set()
    return {step: {key: by_model[key][step] for key in by_model} for step in sorted(common)}


def steps_hash(passage: Passage, kept: dict[int, dict[str, Path]]) -> str:
    """What a steps file is computed from: the passage's text and models and every kept weight file."""
    blob = json.dumps(
        {
            "format": FORMAT,
            "text": passage.text,
            "models": list(passage.models),
            "kept": {
                str(step): {key: sha256_file(path) for key, path in files.items()}
                for step, files in kept.items()
            },
        }
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def compute_steps(
    passage: Passage,
    models: dict[str, Model],
    data: dataset_stage.Dataset,
    kept: dict[int, dict[str, Path]],
    digest: str,
) -> dict:
    """The steps file of `passage`: each model's entry with each kept step's weights. `models` are the final
    models, which get their final weights back afterwards."""
    chars = passage_chars(passage)
    targets = passage_targets(passage.text, data)
    entries: dict[str, dict[str, dict]] = {key: {} for key in passage.models}
    for key in passage.models:
        model = models[key]
        device = next(model.parameters()).device
        final_weights = {k: v.clone() for k, v in model.state_dict().items()}
        try:
            for step, files in kept.items():
                model.load_state_dict(torch.load(files[key], map_location=device))
                entries[key][str(step)] = model_entry(model, chars, targets)
        finally:
            model.load_state_dict(final_weights)
    return {"format": FORMAT, "hash": digest, "id": passage.id, "steps": list(kept), "models": entries}
