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
import math
from pathlib import Path

import numpy as np

from build.render.figures import Figure
from build.render.og_image import colour, text_colour
from build.run_files import decode_lower_triangle, write_if_changed
from build.text import normalise

FOLDER = "snapshots"
WIDTH = 760
# figures.css's --memo-colour-0..5 and --memo-baseline of the light scheme (tests/test_render_snapshots.py)
MODEL_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#b8469a", "#9a7600", "#9467bd")
BASELINE = "#8c8c8c"
INK, MUTED, GRID = "#222222", "#5f5f5f", "#dddddd"
SANS = "Helvetica, Arial, sans-serif"
MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace"
CELL_W, CELL_H, PER_LINE = 11.0, 18.0, 66  # a character cell, and cells per line


def _text(x: float, y: float, content: str, size: float = 12, fill: str = INK, **attributes: str) -> str:
    extra = "".join(
        f' {k.replace("_", "-")}="{html.escape(str(v), quote=True)}"' for k, v in attributes.items()
    )
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" font-family="{SANS}"{extra}>'
        f"{html.escape(content)}</text>"
    )


def _document(parts: list[str], height: float, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" role="img"><title>{html.escape(title)}</title>'
        f'<rect width="100%" height="100%" fill="#ffffff"/>' + "".join(parts) + "</svg>\n"
    )


def _rgb(value: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*value)


def shaded_text(text: str, row: np.ndarray, position: int, top: float) -> tuple[list[str], float]:
    """`text` on cells shaded by `row` (up to `position`, the selected cell outlined); -> parts, bottom."""
    largest = float(row[: position + 1].max()) if position >= 0 else 0.0
    parts = []
    for i, char in enumerate(text):
        x, y = 4 + (i % PER_LINE) * CELL_W, top + (i // PER_LINE) * (CELL_H + 4)
        fill, ink = "#ffffff", MUTED
        if i <= position:
            shade = colour(row[i] / largest if largest > 0 else 0.0)
            fill, ink = _rgb(shade), _rgb(text_colour(shade))
        outline = ' stroke="#111111" stroke-width="2"' if i == position else ""
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{CELL_W - 1}" height="{CELL_H}" fill="{fill}"{outline}/>'
        )
        if char != " ":
            parts.append(
                f'<text x="{x + CELL_W / 2 - 0.5:.1f}" y="{y + 13:.1f}" font-size="13" text-anchor="middle" '
                f'fill="{ink}" font-family="{MONO}">{html.escape(char)}</text>'
            )
    return parts, top + ((len(text) - 1) // PER_LINE + 1) * (CELL_H + 4)


def passage_snapshot(
    passage: dict,
    keys: list[str],
    names: dict[str, str],
    words: list[str],
    position: int,
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
            _text(
                4,
                y,
                f"{names.get(key, key)}: output at index {position}; top guesses {guesses}",
                12,
                INK,
                font_weight="bold",
            )
        )
        drawn, y = shaded_text(text, row, position, y + 6)
        parts += drawn
        y += 22
    title = f"Connectivity at index {position} of the passage, for {', '.join(names.get(k, k) for k in keys)}"
    return _document(parts, y, title)


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values (1, 2 or 5 times a power of ten apart) covering [low, high], about `count` of them."""
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9)
    return [round(k * step, 10) for k in range(first, int(math.floor(high / step + 1e-9)) + 1)]


def line_chart(
    series: list[dict],
    x_label: str,
    y_label: str,
    title: str,
    y_range: tuple[float, float] | None = None,
    x_format=lambda v: f"{v:g}",
    y_format=lambda v: f"{v:g}",
) -> str:
    """Lines [{label, colour, points: [(x, y)], dash}] on axes with ticks, and a legend under them."""
    points = [(x, y) for s in series for x, y in s["points"] if y is not None]
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = y_range or (min(p[1] for p in points), max(p[1] for p in points))
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    left, top, plot_w, plot_h = 56.0, 12.0, WIDTH - 76.0, 260.0

    def sx(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * plot_w

    def sy(v: float) -> float:
        return top + (1 - (v - y0) / (y1 - y0)) * plot_h

    parts = []
    for yv in _ticks(y0, y1):
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{sy(yv):.1f}" y2="{sy(yv):.1f}" stroke="{GRID}"/>'
        )
        parts.append(_text(left - 6, sy(yv) + 4, y_format(yv), 11, MUTED, text_anchor="end"))
    for xv in _ticks(x0, x1):
        parts.append(_text(sx(xv), top + plot_h + 16, x_format(xv), 11, MUTED, text_anchor="middle"))
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="{MUTED}"/>')
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{MUTED}"/>'
    )
    parts.append(_text(left + plot_w / 2, top + plot_h + 34, x_label, 12, INK, text_anchor="middle"))
    parts.append(
        _text(
            14,
            top + plot_h / 2,
            y_label,
            12,
            INK,
            text_anchor="middle",
            transform=f"rotate(-90 14 {top + plot_h / 2:.1f})",
        )
    )
    for s in series:
        drawn = [(x, y) for x, y in s["points"] if y is not None]
        if len(drawn) < 2:
            continue
        path = " ".join(f"{sx(x):.1f},{sy(min(max(y, y0), y1)):.1f}" for x, y in drawn)
        dash = f' stroke-dasharray="{s["dash"]}"' if s.get("dash") else ""
        parts.append(f'<polyline points="{path}" fill="none" stroke="{s["colour"]}" stroke-width="2"{dash}/>')
    y = top + plot_h + 56
    for i, s in enumerate(series):
        x = 8 + (i % 3) * 250
        row_y = y + (i // 3) * 18
        dash = f' stroke-dasharray="{s["dash"]}"' if s.get("dash") else ""
        parts.append(
            f'<line x1="{x}" x2="{x + 22}" y1="{row_y - 4}" y2="{row_y - 4}" stroke="{s["colour"]}" '
            f'stroke-width="2"{dash}/>'
        )
        parts.append(_text(x + 28, row_y, s["label"], 11, INK))
    return _document(parts, y + ((len(series) - 1) // 3 + 1) * 18 + 8, title)


def _percent(v: float) -> str:
    return f"{v:.0%}"


def chart_snapshot(kind: str, data: Path, keys: list[str], names: dict[str, str]) -> str:
    """The first view of a chart figure, from the file its script reads."""
    colours = {key: MODEL_COLOURS[i % len(MODEL_COLOURS)] for i, key in enumerate(keys)}
    if kind == "curves":
        curves = json.loads((data / "curves.json").read_text())["models"]
        series = [
            {
                "label": f"{names.get(k, k)}, training loss",
                "colour": colours[k],
                "points": list(zip(curves[k]["step"], curves[k]["train_loss"], strict=True)),
            }
            for k in keys
        ]
        return line_chart(series, "mini-batches", "cross entropy", "Training loss of each model")
    if kind == "vanishing":
        cases = json.loads((data / "vanishing.json").read_text())["cases"]
        series = [
            {"label": c["label"], "colour": MODEL_COLOURS[i % 6], "points": list(enumerate(c["values"]))}
            for i, c in enumerate(cases)
        ]
        return line_chart(
            series, "input step", "gradient reaching it (scaled)", "Gradient of a vanilla RNN", (0, 1)
        )
    run_results = json.loads((data / "results.json").read_text())
    results = {m["key"]: m for m in run_results["models"]}
    if kind == "accuracy":
        series = [
            {
                "label": f"{names.get(k, k)}, top-1",
                "colour": colours[k],
                "points": list(enumerate(results[k]["test"]["accuracy_by_letters"]["top1"][:13])),
            }
            for k in keys
        ]
        baseline = run_results["baseline"]["accuracy_by_letters"]["top1"][:13]
        series.append(
            {
                "label": "no context, top-1",
                "colour": BASELINE,
                "dash": "7 4",
                "points": list(enumerate(baseline)),
            }
        )
        return line_chart(
            series,
            "letters of the word already seen",
            "accuracy",
            "Top-1 accuracy by letters seen",
            (0, 1),
            y_format=_percent,
        )
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
        for k in keys
    ]
    return line_chart(
        series,
        "letters of the word already read",
        "share before the word",
        "Share of connectivity before the current word, over the test set",
        (0, 1),
        x_format=lambda v: groups[min(5, round(v))],
        y_format=_percent,
    )


def _ids(text: str) -> np.ndarray:
    """Alphabet ids of a prepared text (space 1, a-z 2..27), as the graphs read them."""
    return np.array([1 if c == " " else ord(c) - ord("a") + 2 for c in text], dtype=np.int64)


def _session(site: Path, key: str, graph: str):  # noqa: ANN202 (onnxruntime's InferenceSession)
    """The page's own graph of model `key` (site/models/<key>/<graph>.web.onnx) in onnxruntime."""
    import onnxruntime

    path = site / "models" / key / f"{graph}.web.onnx"
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def live_snapshot(figure: Figure, site: Path, manifest: dict, words: list[str]) -> str:
    """A live figure's first result, computed with the page's own graphs: the autocomplete's suggestions
    for its text, or every model's connectivity at the last character of the own-text figure's text."""
    names = {m["key"]: m["name"] for m in manifest["models"]}
    text = " " + normalise(figure.options.get("text", ""))
    parts = [
        f'<rect x="2" y="2" width="{WIDTH - 4}" height="30" rx="4" fill="#ffffff" stroke="#8c8c8c"/>',
        f'<text x="10" y="22" font-size="14" fill="{INK}" font-family="{MONO}">'
        f"{html.escape(text[1:91])}</text>",
    ]
    y = 54.0
    missing = [m["key"] for m in manifest["models"] if not (site / "models" / m["key"]).is_dir()]
    if missing:  # a site without its models (a render test's): the text alone, and why
        said = f"No graphs in site/models/ for {', '.join(missing)}: nothing computed."
        parts.append(_text(4, y, said, 12, MUTED))
    elif figure.kind == "autocomplete" and len(text) > 1:
        model = next(
            (m for m in manifest["models"] if m["key"] == figure.options.get("model")), manifest["models"][0]
        )
        state = np.zeros(model["state_size"], np.float32)
        ids, probs, _ = _session(site, model["key"], "autocomplete").run(
            None, {"chars": _ids(text), "state": state}
        )
        parts.append(_text(4, y, f"{model['name']}: the top suggestions after the last character", 12, INK))
        for k in range(5):
            y += 20
            width = 300 * float(probs[k]) / max(float(probs[0]), 1e-9)
            parts.append(_text(4, y, words[ids[k]], 13, INK))
            parts.append(
                f'<rect x="140" y="{y - 11:.1f}" width="{width:.1f}" height="12" fill="{_rgb(colour(1.0))}"/>'
            )
            parts.append(_text(450, y, f"{float(probs[k]):.1%}", 12, MUTED))
    elif len(text) > 1:
        position = len(text) - 1
        word = text[text.rfind(" ") + 1 :]
        word_id = words.index(word) if word in words else -1
        target = np.array(word_id if word_id >= 2 else -1, np.int64)
        for model in manifest["models"]:
            values, ids, probs = _session(site, model["key"], "connectivity").run(
                None, {"chars": _ids(text), "position": np.array(position, np.int64), "target": target}
            )
            guesses = ", ".join(f"{words[i]} {float(p):.0%}" for i, p in zip(ids, probs, strict=False))
            parts.append(
                _text(4, y, f"{names[model['key']]}: top guesses {guesses}", 12, INK, font_weight="bold")
            )
            drawn, y = shaded_text(text, np.asarray(values, np.float64), position, y + 6)
            parts += drawn
            y += 22
    return _document(parts, y + 12, f"Live figure on the text “{text[1:]}”")


def units_snapshot(models: list[dict]) -> str:
    parts = []
    for i, m in enumerate(models):
        parts.append(
            _text(
                4,
                20 + 22 * i,
                f"{m['name']}: {m['unit']} unit, {m['layers']} layer(s) of {m['units']}",
                13,
                MODEL_COLOURS[i % 6],
                font_weight="bold",
            )
        )
    parts.append(
        _text(
            4, 30 + 22 * len(models), "With JavaScript on, the figure draws each unit's diagram.", 12, MUTED
        )
    )
    return _document(parts, 44 + 22 * len(models), "The recurrent units of this build")


def write(site: Path, figures: list[Figure], manifest: dict) -> None:
    """site/snapshots/<anchor>.svg for each figure (only those whose bytes change are rewritten)."""
    data = site / "data"
    folder = site / FOLDER
    folder.mkdir(exist_ok=True)
    names = {m["key"]: m["name"] for m in manifest["models"]}
    keys = list(names)
    words = json.loads((data / "vocab.json").read_text())
    for figure in figures:
        if figure.kind in ("passage", "hero"):
            passage_id = figure.passage.id if figure.passage else figure.options.get("passage", "grammar")
            passage = json.loads((data / "passages" / f"{passage_id}.json").read_text())
            if figure.kind == "passage":
                shown = [k for k in figure.passage.models if k in passage["models"]]
                svg = passage_snapshot(passage, shown, names, words, figure.passage.position)
            else:
                links = [int(v) for v in figure.options.get("links", "").split()]
                length = int(figure.options.get("chars", 70))
                model = figure.options.get("model") or keys[0]
                svg = passage_snapshot(
                    passage, [model], names, words, links[0] if links else passage["position"], length
                )
        elif figure.kind in ("autocomplete", "owntext"):
            svg = live_snapshot(figure, site, manifest, words)
        elif figure.kind == "units":
            svg = units_snapshot(manifest["models"])
        else:
            svg = chart_snapshot(figure.kind, data, keys, names)
        write_if_changed(folder / f"{figure.anchor}.svg", svg)
    for stale in set(folder.glob("*.svg")) - {folder / f"{f.anchor}.svg" for f in figures}:
        stale.unlink()
