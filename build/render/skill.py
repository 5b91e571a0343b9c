"""Memory against skill (results.json models[].seeds[].during_training, build/during.py) as the page uses
it: the names its prose quotes, and the figure's snapshot for readers without JavaScript.

A model that has learned less may have less to remember, so its share of connectivity before the word is
read where every model is equally skilled: at the validation cross entropy every model reaches (the
highest of their final ones), along each model's curve of kept weights.
"""

from __future__ import annotations

from build import figure_kinds
from build.render import svg
from build.render.errors import RenderError
from build.render.facts import (
    common_cross_entropy,
    cross_entropy_value,
    half_step,
    share_at,
    share_value,
)
from build.render.figures import Figure, describe

PARTS = ("mean", "low", "high")


def seed_curves(model: dict) -> list[tuple[int, list[dict]]]:
    """A model's (seed, during_training) for each training seed, the page's seed first."""
    return [(s["seed"], s["during_training"]) for s in model.get("seeds", []) if s.get("during_training")]


def at_common(points: list[dict], common: float) -> dict:
    """The share (mean, low, high) where `points` reach the cross entropy `common`."""
    return {part: share_at(points, common, part) for part in PARTS}


def skill_row(model: dict, common: float, commons: dict[int, float]) -> dict:
    """What the prose quotes of one model, from its first seed's curve (`commons`: each seed's common
    cross entropy, for the share at equal skill in every seed)."""
    curves = seed_curves(model)
    points = curves[0][1]
    over_seeds = [share_at(p, commons[seed]) for seed, p in curves if seed in commons]
    over_seeds = [v for v in over_seeds if v is not None] or [share_at(points, common)]
    return {
        "key": model["key"],
        "name": model["name"],
        "at_common": at_common(points, common),
        "final": {part: points[-1]["share_before_word_0"][part] for part in PARTS},
        "final_ce": points[-1]["valid_cross_entropy"],
        "start": {
            "step": points[0]["step"],
            "ce": points[0]["valid_cross_entropy"],
            "share": points[0]["share_before_word_0"]["mean"],
        },
        "last_step": points[-1]["step"],
        "share_half": round(half_step(points, share_value)),
        "ce_half": round(half_step(points, cross_entropy_value)),
        "reaches_at_start": points[0]["valid_cross_entropy"] <= common,
        "across": {
            "mean": sum(over_seeds) / len(over_seeds),
            "min": min(over_seeds),
            "max": max(over_seeds),
        },
    }


def skill(model_list: list[dict], evaluation: dict) -> dict:
    """What the prose quotes about memory against skill: the cross entropy every model reaches in the
    first seed (`common`), and per model (`rows`, from the largest share there to the smallest) the
    share there (`at_common`: mean, low, high), the final model's share and cross entropy (`final`,
    `final_ce`), the first kept step's (`start`: step, ce, share), the steps by which the share and the
    cross entropy made half of their change from there (`share_half`, `ce_half`), whether the model was
    already that good at its first kept step (`reaches_at_start`), and the share at equal skill over
    the seeds (`across`: mean, min, max); the measurement's `keep_every` and `observations`."""
    missing = [m["key"] for m in model_list if not seed_curves(m)]
    if missing:
        raise RenderError(
            f"results.json: no during_training for {', '.join(missing)} (build/during.py writes it): "
            "run make article"
        )
    by_seed: dict[int, list[list[dict]]] = {}
    for model in model_list:
        for seed, points in seed_curves(model):
            by_seed.setdefault(seed, []).append(points)
    complete = {seed: curves for seed, curves in by_seed.items() if len(curves) == len(model_list)}
    commons = {seed: common_cross_entropy(curves) for seed, curves in complete.items()}
    common = common_cross_entropy([seed_curves(m)[0][1] for m in model_list])
    rows = [skill_row(m, common, commons) for m in model_list]
    rows.sort(key=lambda row: -(row["at_common"]["mean"] or 0.0))
    return {
        "common": common,
        "rows": rows,
        "keep_every": evaluation.get("keep_every"),
        "observations": evaluation.get("during_observations"),
    }


def skill_snapshot(figure: Figure, inputs) -> str:  # noqa: ANN001 (build.render.snapshots.Inputs)
    """The page's chart: each model's share before the word against its validation cross entropy, a line
    per training seed (the page's seed with its 95% band), each ending at the final model (a dot), and a
    dashed mark at the cross entropy every model reaches."""
    results = {m["key"]: m for m in inputs.data(figure_kinds.RESULTS.url)["models"]}
    names, colours = inputs.names, inputs.colours
    keys = [k for k in inputs.keys if seed_curves(results.get(k, {}))]
    if not keys:
        return svg.document([], 8, describe(figure))
    series = []
    for key in keys:
        for n, (seed, points) in enumerate(seed_curves(results[key])):
            shares = [p["share_before_word_0"] for p in points]
            line = {
                "label": names.get(key, key) + (f", seed {seed}" if n else ""),
                "colour": colours[key],
                "width": 2 if n == 0 else 1,
                "end": True,
                "points": [(p["valid_cross_entropy"], p["share_before_word_0"]["mean"]) for p in points],
            }
            if n == 0:
                line["band"] = [
                    (p["valid_cross_entropy"], share["low"], share["high"])
                    for p, share in zip(points, shares, strict=True)
                ]
            series.append(line)
    common = common_cross_entropy([seed_curves(results[k])[0][1] for k in keys])
    values = [y for s in series for _, y in s["points"]]
    values += [v for s in series for _, low, high in s.get("band", []) for v in (low, high)]
    low, high = max(0.0, min(values) - 0.05), min(1.0, max(values) + 0.05)
    marker = {
        "label": "the cross entropy every model reaches",
        "colour": svg.MUTED,
        "dash": "4 3",
        "points": [(common, low), (common, high)],
    }
    parts, bottom = svg.chart(
        [*series, marker],
        "validation cross entropy (training runs from right to left)",
        "share before the word",
        12.0,
        (low, high),
        x_format=lambda v: f"{v:.2f}",
        y_format=svg.percent,
    )
    key, bottom = svg.legend([s for s in series if s["width"] == 2] + [marker], bottom)
    return svg.document(parts + key, bottom + 8, describe(figure))
