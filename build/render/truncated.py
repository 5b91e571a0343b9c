"""The context taken away (results.json models[].test.truncated, build/truncated.py) as the page uses it:
the names its prose quotes, and the figure's snapshot for readers without JavaScript.

Distances are characters kept before the space that begins the current word; the prose also gives them
in words, at the corpus's mean length of a word with its space (characters / words of the dataset).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from build import figure_kinds
from build.render import svg
from build.render.errors import RenderError
from build.render.figures import Figure, describe

FEW_OBSERVATIONS = 200  # fewer than this: the page says that the intervals are wide


def distance_said(characters: int | None, per_word: float, largest: int) -> str:
    """A distance as the prose says it: `8 characters (1.4 words)`; None (only the whole observation
    will do): `more than 128 characters`."""
    if characters is None:
        return f"more than {largest} characters"
    unit = "character" if characters == 1 else "characters"
    return f"{characters} {unit} ({characters / per_word:.1f} words)"


def interval_said(effective: dict) -> str:
    """An effective context's interval: `4 to 8 characters`, `8 characters` when both ends agree, `8
    characters to the whole observation` where some resamples need all of it."""
    low, high = effective["low"], effective["high"]
    if low is None:
        return "the whole observation"
    if high is None:
        return f"{low} characters to the whole observation"
    return f"{low} characters" if low == high else f"{low} to {high} characters"


def truncated(model_list: list[dict], stats: dict) -> dict:
    """What the prose quotes about the context taken away, in the models' order: per model (`rows`) the
    rise in cross entropy with only the current word (`rise0`: mean, low, high, fractions), top-1
    accuracy at the space before a word with the whole observation and with the word alone (`top1_whole`,
    `top1_word`), the effective context (`effective`: mean, low, high in characters, None: only the whole
    observation; `effective_said` in characters and words, `effective_interval`), and where 90% of its
    connectivity lies (`reach90`, `reach90_said`); the measurement's size (`observations`, `positions`,
    `resamples`, `within`, `distances`, `few`) and `per_word`."""
    missing = [m["key"] for m in model_list if not m["test"].get("truncated")]
    if missing:
        raise RenderError(
            f"results.json: no test.truncated for {', '.join(missing)} (build/truncated.py writes it): "
            "run make article"
        )
    per_word = stats["characters"] / stats["words"]
    first = model_list[0]["test"]["truncated"]

    largest = max(d for d in first["distances"] if d is not None)

    def row(model: dict) -> dict:
        cut = model["test"]["truncated"]
        at = cut["distances"].index(0)
        effective = cut["effective_context"]
        return {
            "key": model["key"],
            "name": model["name"],
            "rise0": {part: cut["rise"][part][at] for part in ("mean", "low", "high")},
            "top1_whole": cut["top1_at_0"]["mean"][-1],
            "top1_word": cut["top1_at_0"]["mean"][at],
            "effective": effective,
            "effective_said": distance_said(effective["mean"], per_word, largest),
            "effective_interval": interval_said(effective),
            "reach90": cut["connectivity_90"],
            "reach90_said": distance_said(cut["connectivity_90"], per_word, largest),
        }

    return {
        "rows": [row(m) for m in model_list],
        "per_word": per_word,
        "observations": first["observations"],
        "positions": first["positions"],
        "resamples": first["resamples"],
        "within": first["within"],
        "distances": [d for d in first["distances"] if d is not None],
        "few": first["observations"] < FEW_OBSERVATIONS,
    }


def distance_label(distances: list[int | None]) -> Callable[[float], str]:
    """The snapshot's x labels: the distance at each place of the list, `all` for the whole observation."""

    def label(x: float) -> str:
        index = round(x)
        if not 0 <= index < len(distances):
            return ""
        return "all" if distances[index] is None else str(distances[index])

    return label


def truncated_snapshot(figure: Figure, inputs) -> str:  # noqa: ANN001 (build.render.snapshots.Inputs)
    """The page's chart: each model's rise in cross entropy against the characters kept (their places in
    the list: 0, then a log axis, then the whole observation), with its effective context marked."""
    results = {m["key"]: m for m in inputs.data(figure_kinds.RESULTS.url)["models"]}
    names, colours = inputs.names, inputs.colours
    keys = [k for k in inputs.keys if "truncated" in results.get(k, {}).get("test", {})]
    if not keys:
        return svg.document([], 8, describe(figure))
    distances = results[keys[0]]["test"]["truncated"]["distances"]
    series, marks = [], []
    for key in keys:
        cut = results[key]["test"]["truncated"]
        rise = cut["rise"]["mean"]
        series.append({"label": names.get(key, key), "colour": colours[key], "points": list(enumerate(rise))})
        at = distances.index(cut["effective_context"]["mean"])
        marks.append(
            {
                "label": f"{names.get(key, key)}, effective context",
                "colour": colours[key],
                "dash": "4 3",
                "points": [(at, 0.0), (at, max(rise[0], rise[at]))],
            }
        )
    values = [v for s in series for _, v in s["points"] if v is not None and math.isfinite(v)]
    parts, bottom = svg.chart(
        series + marks,
        "characters kept before the current word",
        "rise in cross entropy",
        12.0,
        (min(0.0, *values), max(values) * 1.05 if max(values) > 0 else 0.01),
        x_format=distance_label(distances),
        y_format=svg.percent,
    )
    key, bottom = svg.legend(series + marks, bottom)
    return svg.document(parts + key, bottom + 8, describe(figure))
