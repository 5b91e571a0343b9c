"""Build-time snapshots: every figure's default state drawn as an SVG file from the site's data, for
readers without JavaScript (the page shows it inside <noscript>, so a reader with scripts never loads it).

    site/snapshots/<anchor>.svg

Passages and the hero: the text on cells shaded by connectivity at the figure's first position, in the
page's colours (the ramp of og_image.py, which tests hold to the page's script); charts (accuracy,
curves, lookback, vanishing): their lines on plain axes; the live figures (autocomplete, own text): their
first result, computed by the page's own graphs in onnxruntime, and that they are live when scripts run;
the units: the models and their units.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from build import figure_kinds, site_layout
from build.render import svg
from build.render.figures import Figure, describe
from build.render.og_image import colour
from build.render.svg import BASELINE, MODEL_COLOURS
from build.run_files import decode_lower_triangle, write_if_changed
from build.text import normalise


def connectivity_panels(
    passage: dict,
    keys: list[str],
    names: dict[str, str],
    words: list[str],
    position: int,
    title: str,
    length: int | None = None,
) -> str:
    """Each model's connectivity over the passage (its first `length` characters) at `position`."""
    text = passage["text"][: length or len(passage["text"])]
    parts, y = [], 16.0
    for key in keys:
        data = passage["models"][key]
        row = decode_lower_triangle(data["connectivity"])[position]
        guesses = ", ".join(
            f"{words[i]} {p:.0%}"
            for i, p in zip(data["top_ids"][position], data["top_probs"][position], strict=False)
        )
        parts.append(
            svg.text(
                4,
                y,
                f"{names.get(key, key)}: output at index {position}; top guesses {guesses}",
                12,
                svg.INK,
                font_weight="bold",
            )
        )
        drawn, y = svg.shaded_text(text, row, position, y + 6)
        parts += drawn
        y += 22
    return svg.document(parts, y, title)


@dataclass
class Inputs:
    """What every snapshot function may read: the site (its data files), the manifest and the words."""

    site: Path
    manifest: dict
    words: list[str]

    def data(self, url: str) -> Any:
        """A site data file's JSON (`url` from build/site_layout.py or a kind's DataFile)."""
        return json.loads(site_layout.under(self.site, url).read_text())

    @property
    def names(self) -> dict[str, str]:
        return {m["key"]: m["name"] for m in self.manifest["models"]}

    @property
    def keys(self) -> list[str]:
        return [m["key"] for m in self.manifest["models"]]

    @property
    def colours(self) -> dict[str, str]:
        """Each model's colour, by its place in the manifest (as Memo.colourClass gives it)."""
        return {key: MODEL_COLOURS[i % len(MODEL_COLOURS)] for i, key in enumerate(self.keys)}


def curves_snapshot(figure: Figure, inputs: Inputs) -> str:
    """Each model's training loss by step."""
    curves = inputs.data(figure_kinds.CURVES.url)["models"]
    names, colours = inputs.names, inputs.colours
    series = [
        {
            "label": f"{names.get(k, k)}, training loss",
            "colour": colours[k],
            "points": list(zip(curves[k]["step"], curves[k]["train_loss"], strict=True)),
        }
        for k in inputs.keys
    ]
    return svg.line_chart(series, "mini-batches", "cross entropy", describe(figure))


def vanishing_snapshot(figure: Figure, inputs: Inputs) -> str:
    """The gradient reaching each earlier input, one line per spectral radius."""
    cases = inputs.data(figure_kinds.VANISHING.url)["cases"]
    series = [
        {"label": c["label"], "colour": MODEL_COLOURS[i % 6], "points": list(enumerate(c["values"]))}
        for i, c in enumerate(cases)
    ]
    return svg.line_chart(series, "input step", "gradient reaching it (scaled)", describe(figure), (0, 1))


def accuracy_snapshot(figure: Figure, inputs: Inputs) -> str:
    """Top-1 accuracy by letters seen, each model's and the no-context baseline's."""
    run_results = inputs.data(figure_kinds.RESULTS.url)
    results = {m["key"]: m for m in run_results["models"]}
    names, colours = inputs.names, inputs.colours
    series = [
        {
            "label": f"{names.get(k, k)}, top-1",
            "colour": colours[k],
            "points": list(enumerate(results[k]["test"]["accuracy_by_letters"]["top1"][:13])),
        }
        for k in inputs.keys
    ]
    baseline = run_results["baseline"]["accuracy_by_letters"]["top1"][:13]
    series.append(
        {"label": "no context, top-1", "colour": BASELINE, "dash": "7 4", "points": list(enumerate(baseline))}
    )
    return svg.line_chart(
        series, "letters of the word already seen", "accuracy", describe(figure), (0, 1), y_format=svg.percent
    )


def lookback_snapshot(figure: Figure, inputs: Inputs) -> str:
    """The share of connectivity before the current word by letters read."""
    results = {m["key"]: m for m in inputs.data(figure_kinds.RESULTS.url)["models"]}
    names, colours = inputs.names, inputs.colours
    groups = ("0", "1", "2", "3", "4", "5+")
    series = [
        {
            "label": names.get(k, k),
            "colour": colours[k],
            "points": [
                (i, results[k]["test"]["context"]["share_before_word"][g]["mean"])
                for i, g in enumerate(groups)
            ],
        }
        for k in inputs.keys
    ]
    return svg.line_chart(
        series,
        "letters of the word already read",
        "share before the word",
        describe(figure),
        (0, 1),
        x_format=lambda v: groups[min(5, round(v))],
        y_format=svg.percent,
    )


def generic_snapshot(figure: Figure, inputs: Inputs) -> str:
    """A kind without a snapshot function of its own: what it shows, and that it needs JavaScript."""
    said = describe(figure)
    parts = [
        svg.text(4, 22, said.split(":")[0], 14, svg.INK, font_weight="bold"),
        svg.text(4, 46, "With JavaScript on, the page draws this figure.", 12, svg.MUTED),
    ]
    return svg.document(parts, 60, said)


def _ids(text: str) -> np.ndarray:
    """Alphabet ids of a prepared text (space 1, a-z 2..27), as the graphs read them."""
    return np.array([1 if c == " " else ord(c) - ord("a") + 2 for c in text], dtype=np.int64)


def _session(site: Path, key: str, graph: str):  # noqa: ANN202 (onnxruntime's InferenceSession)
    """The page's own graph of model `key` (site/models/<key>/<graph>.web.onnx) in onnxruntime."""
    import onnxruntime

    path = site_layout.under(site, site_layout.model_file(key, f"{graph}.web.onnx"))
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _live_start(figure: Figure, inputs: Inputs) -> tuple[str, list[str], str | None]:
    """A live figure's text prepared as the page prepares it, its input box drawn, and why nothing can be
    computed (a site without its models, as a render test's) or None."""
    text = " " + normalise(figure.options.get("text", ""))
    parts = [
        f'<rect x="2" y="2" width="{svg.WIDTH - 4}" height="30" rx="4" fill="#ffffff" stroke="#8c8c8c"/>',
        f'<text x="10" y="22" font-size="14" fill="{svg.INK}" font-family="{svg.MONO}">'
        f"{html.escape(text[1:91])}</text>",
    ]
    missing = [
        k for k in inputs.keys if not site_layout.under(inputs.site, site_layout.model_folder(k)).is_dir()
    ]
    why = f"No graphs in site/models/ for {', '.join(missing)}: nothing computed." if missing else None
    return text, parts, why


def autocomplete_snapshot(figure: Figure, inputs: Inputs) -> str:
    """The autocomplete's first suggestions for its text, computed with the page's own graph."""
    text, parts, why = _live_start(figure, inputs)
    y = 54.0
    words = inputs.words
    if why:
        parts.append(svg.text(4, y, why, 12, svg.MUTED))
    elif len(text) > 1:
        models = inputs.manifest["models"]
        model = next((m for m in models if m["key"] == figure.options.get("model")), models[0])
        state = np.zeros(model["state_size"], np.float32)
        ids, probs, _ = _session(inputs.site, model["key"], "autocomplete").run(
            None, {"chars": _ids(text), "state": state}
        )
        parts.append(
            svg.text(4, y, f"{model['name']}: the top suggestions after the last character", 12, svg.INK)
        )
        strongest = svg.rgb(colour(1.0))
        for k in range(5):
            y += 20
            width = 300 * float(probs[k]) / max(float(probs[0]), 1e-9)
            parts.append(svg.text(4, y, words[ids[k]], 13, svg.INK))
            parts.append(
                f'<rect x="140" y="{y - 11:.1f}" width="{width:.1f}" height="12" fill="{strongest}"/>'
            )
            parts.append(svg.text(450, y, f"{float(probs[k]):.1%}", 12, svg.MUTED))
    return svg.document(parts, y + 12, describe(figure))


def owntext_snapshot(figure: Figure, inputs: Inputs) -> str:
    """Every model's connectivity at the last character of the figure's text, computed with the page's
    own graphs."""
    text, parts, why = _live_start(figure, inputs)
    y = 54.0
    words = inputs.words
    if why:
        parts.append(svg.text(4, y, why, 12, svg.MUTED))
    elif len(text) > 1:
        position = len(text) - 1
        word = text[text.rfind(" ") + 1 :]
        word_id = words.index(word) if word in words else -1
        target = np.array(word_id if word_id >= 2 else -1, np.int64)
        for model in inputs.manifest["models"]:
            values, ids, probs = _session(inputs.site, model["key"], "connectivity").run(
                None, {"chars": _ids(text), "position": np.array(position, np.int64), "target": target}
            )
            guesses = ", ".join(f"{words[i]} {float(p):.0%}" for i, p in zip(ids, probs, strict=False))
            parts.append(
                svg.text(4, y, f"{model['name']}: top guesses {guesses}", 12, svg.INK, font_weight="bold")
            )
            drawn, y = svg.shaded_text(text, np.asarray(values, np.float64), position, y + 6)
            parts += drawn
            y += 22
    return svg.document(parts, y + 12, describe(figure))


def units_snapshot(figure: Figure, inputs: Inputs) -> str:
    """The models and their units."""
    models = inputs.manifest["models"]
    parts = []
    for i, m in enumerate(models):
        parts.append(
            svg.text(
                4,
                20 + 22 * i,
                f"{m['name']}: {m['unit']} unit, {m['layers']} layer(s) of {m['units']}",
                13,
                MODEL_COLOURS[i % 6],
                font_weight="bold",
            )
        )
    parts.append(
        svg.text(
            4,
            30 + 22 * len(models),
            "With JavaScript on, the figure draws each unit's diagram.",
            12,
            svg.MUTED,
        )
    )
    return svg.document(parts, 44 + 22 * len(models), describe(figure))


def passage_snapshot(figure: Figure, inputs: Inputs) -> str:
    """Each of the passage's models' connectivity at the passage's first position."""
    passage = figure.passage
    data = inputs.data(site_layout.passage_file(passage.id))
    shown = [k for k in passage.models if k in data["models"]]
    return connectivity_panels(data, shown, inputs.names, inputs.words, passage.position, describe(figure))


def hero_snapshot(figure: Figure, inputs: Inputs) -> str:
    """The hero's model's connectivity over the passage's first characters, at its first link."""
    data = inputs.data(figure_kinds.KINDS["hero"].source(figure.options))
    links = [int(v) for v in figure.options.get("links", "").split()]
    length = int(figure.options.get("chars", 70))
    model = figure.options.get("model") or inputs.keys[0]
    position = links[0] if links else data["position"]
    return connectivity_panels(data, [model], inputs.names, inputs.words, position, describe(figure), length)


def draw(figure: Figure, inputs: Inputs) -> str:
    """The figure's snapshot, drawn by the function its kind names in build/figure_kinds.py."""
    entry = figure_kinds.kind(figure.kind, figure.source)
    function = figure_kinds.resolve(entry.snapshot) if entry.snapshot else generic_snapshot
    return function(figure, inputs)


def write(site: Path, figures: list[Figure], manifest: dict) -> None:
    """site/snapshots/<anchor>.svg for each figure (only those whose bytes change are rewritten)."""
    inputs = Inputs(site, manifest, json.loads(site_layout.under(site, site_layout.VOCAB).read_text()))
    folder = site_layout.under(site, site_layout.SNAPSHOTS)
    folder.mkdir(exist_ok=True)
    wanted = set()
    for figure in figures:
        target = site_layout.under(site, site_layout.snapshot_file(figure.anchor))
        write_if_changed(target, draw(figure, inputs))
        wanted.add(target)
    for stale in set(folder.glob("*.svg")) - wanted:
        stale.unlink()
