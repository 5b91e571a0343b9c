"""SVG drawing for the build-time snapshots (build/render/snapshots.py): text, a document, character
cells shaded by connectivity, and a line chart with round ticks, in the page's light colours."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable

import numpy as np

from build.render.og_image import colour, text_colour

WIDTH = 760
# figures.css's --memo-colour-0..5 and --memo-baseline of the light scheme (tests/test_render_snapshots.py)
MODEL_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#b8469a", "#9a7600", "#9467bd")
BASELINE = "#8c8c8c"
INK, MUTED, GRID = "#222222", "#5f5f5f", "#dddddd"
SANS = "Helvetica, Arial, sans-serif"
MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace"
CELL_W, CELL_H, PER_LINE = 11.0, 18.0, 66  # a character cell, and cells per line


def text(x: float, y: float, content: str, size: float = 12, fill: str = INK, **attributes: str) -> str:
    extra = "".join(
        f' {k.replace("_", "-")}="{html.escape(str(v), quote=True)}"' for k, v in attributes.items()
    )
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" font-family="{SANS}"{extra}>'
        f"{html.escape(content)}</text>"
    )


def document(parts: list[str], height: float, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" role="img"><title>{html.escape(title)}</title>'
        f'<rect width="100%" height="100%" fill="#ffffff"/>' + "".join(parts) + "</svg>\n"
    )


def rgb(value: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*value)


def cell_places(text: str, per_line: int = PER_LINE) -> list[tuple[int, int]]:
    """(line, column) of each character of `text` in lines of `per_line` cells, a line breaking only
    at a space (the space ends its line), never inside a word unless the word is longer than a line."""
    places, line, column = [], 0, 0
    for word in re.findall(r" |[^ ]+", text):
        if word != " " and column > 0 and column + len(word) > per_line:
            line, column = line + 1, 0
        for _ in word:
            if column >= per_line:
                line, column = line + 1, 0
            places.append((line, column))
            column += 1
    return places


def shaded_text(text: str, row: np.ndarray, position: int, top: float) -> tuple[list[str], float]:
    """`text` on cells shaded by `row` (up to `position`, the selected cell outlined), broken into lines
    between words as the page breaks it; -> parts, bottom."""
    largest = float(row[: position + 1].max()) if position >= 0 else 0.0
    parts = []
    places = cell_places(text)
    for i, char in enumerate(text):
        line, column = places[i]
        x, y = 4 + column * CELL_W, top + line * (CELL_H + 4)
        fill, ink = "#ffffff", MUTED
        if i <= position:
            shade = colour(row[i] / largest if largest > 0 else 0.0)
            fill, ink = rgb(shade), rgb(text_colour(shade))
        outline = ' stroke="#111111" stroke-width="2"' if i == position else ""
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{CELL_W - 1}" height="{CELL_H}" fill="{fill}"{outline}/>'
        )
        if char != " ":
            parts.append(
                f'<text x="{x + CELL_W / 2 - 0.5:.1f}" y="{y + 13:.1f}" font-size="13" text-anchor="middle" '
                f'fill="{ink}" font-family="{MONO}">{html.escape(char)}</text>'
            )
    lines = places[-1][0] + 1 if places else 0
    return parts, top + lines * (CELL_H + 4)


def ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values (1, 2 or 5 times a power of ten apart) covering [low, high], about `count` of them."""
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9)
    return [round(k * step, 10) for k in range(first, int(math.floor(high / step + 1e-9)) + 1)]


def log_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Powers of ten within [low, high], at most `most` of them (every second or third over many)."""
    first, last = math.ceil(math.log10(low) - 1e-9), math.floor(math.log10(high) + 1e-9)
    every = max(1, math.ceil((last - first + 1) / most))
    return [10.0**e for e in range(last, first - 1, -every)][::-1]


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def percent_tick(v: float) -> str:
    """A share as the page's log axes label it: 1%, 0.01%, 0.001%, then 10⁻⁵% (js/lib/70-chart.js)."""
    p = v * 100
    if p >= 0.001:
        return f"{float(f'{p:.3g}'):g}%"
    return f"10{str(round(math.log10(p))).translate(SUPERSCRIPT)}%"


def chart(
    series: list[dict],
    x_label: str,
    y_label: str,
    top: float,
    y_range: tuple[float, float] | None = None,
    x_format: Callable[[float], str] = lambda v: f"{v:g}",
    y_format: Callable[[float], str] = lambda v: f"{v:g}",
    y_log: bool = False,
    heading: str | None = None,
) -> tuple[list[str], float]:
    """Lines [{label, colour, points: [(x, y)], dash, width, end, band}] on axes with ticks, from `top`
    (under `heading`, if given): `width` the stroke's (default 2), `end` a dot at the last point, `band`
    [(x, low, high)] an interval shaded under the lines; a log y axis draws only positive values; ->
    parts, bottom."""
    parts = []
    if heading:
        parts.append(text(4, top + 14, heading, 13, INK, font_weight="bold"))
        top += 24
    points = [(x, y) for s in series for x, y in s["points"] if y is not None and (y > 0 or not y_log)]
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = y_range or (min(p[1] for p in points), max(p[1] for p in points))
    if y_log:
        y0, y1 = 10 ** math.floor(math.log10(y0) + 1e-9), max(y1, y0 * 10)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    left, plot_w, plot_h = 64.0, WIDTH - 84.0, 240.0

    def sx(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * plot_w

    def sy(v: float) -> float:
        if y_log:
            return top + (1 - (math.log10(v) - math.log10(y0)) / (math.log10(y1) - math.log10(y0))) * plot_h
        return top + (1 - (v - y0) / (y1 - y0)) * plot_h

    for yv in log_ticks(y0, y1) if y_log else ticks(y0, y1):
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{sy(yv):.1f}" y2="{sy(yv):.1f}" stroke="{GRID}"/>'
        )
        parts.append(text(left - 6, sy(yv) + 4, y_format(yv), 11, MUTED, text_anchor="end"))
    for xv in ticks(x0, x1):
        parts.append(text(sx(xv), top + plot_h + 16, x_format(xv), 11, MUTED, text_anchor="middle"))
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="{MUTED}"/>')
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{MUTED}"/>'
    )
    parts.append(text(left + plot_w / 2, top + plot_h + 34, x_label, 12, INK, text_anchor="middle"))
    middle = top + plot_h / 2
    parts.append(
        text(12, middle, y_label, 12, INK, text_anchor="middle", transform=f"rotate(-90 12 {middle:.1f})")
    )
    for s in series:
        # a series' band: the area between its low and high values, under the lines
        band = [(x, low, high) for x, low, high in s.get("band", []) if low is not None and high is not None]
        if len(band) > 1:
            edge = [(x, high) for x, _, high in band] + [(x, low) for x, low, _ in reversed(band)]
            outline = " ".join(f"{sx(x):.1f},{sy(min(max(y, y0), y1)):.1f}" for x, y in edge)
            fill = f'fill="{s["colour"]}" fill-opacity="0.15"'
            parts.append(f'<polygon points="{outline}" {fill} stroke="none"/>')
    for s in series:
        drawn = [(x, y) for x, y in s["points"] if y is not None and (y > 0 or not y_log)]
        if len(drawn) < 2:
            continue
        path = " ".join(f"{sx(x):.1f},{sy(min(max(y, y0), y1)):.1f}" for x, y in drawn)
        dash = f' stroke-dasharray="{s["dash"]}"' if s.get("dash") else ""
        width = s.get("width", 2)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{s["colour"]}" stroke-width="{width}"{dash}/>'
        )
        if s.get("end"):  # the series' last point marked with a dot
            x, y = drawn[-1]
            parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3.5" fill="{s["colour"]}"/>')
    return parts, top + plot_h + 44


def legend(series: list[dict], top: float) -> tuple[list[str], float]:
    """A swatch and the label of each series, three to a row; -> parts, bottom."""
    parts = []
    y = top + 12
    for i, s in enumerate(series):
        x = 8 + (i % 3) * 250
        row_y = y + (i // 3) * 18
        dash = f' stroke-dasharray="{s["dash"]}"' if s.get("dash") else ""
        parts.append(
            f'<line x1="{x}" x2="{x + 22}" y1="{row_y - 4}" y2="{row_y - 4}" stroke="{s["colour"]}" '
            f'stroke-width="2"{dash}/>'
        )
        parts.append(text(x + 28, row_y, s["label"], 11, INK))
    return parts, y + ((len(series) - 1) // 3 + 1) * 18


def line_chart(
    series: list[dict],
    x_label: str,
    y_label: str,
    title: str,
    y_range: tuple[float, float] | None = None,
    x_format: Callable[[float], str] = lambda v: f"{v:g}",
    y_format: Callable[[float], str] = lambda v: f"{v:g}",
) -> str:
    """One chart and its legend, as a document titled `title`."""
    parts, bottom = chart(series, x_label, y_label, 12.0, y_range, x_format, y_format)
    key, bottom = legend(series, bottom)
    return document(parts + key, bottom + 8, title)


def percent(v: float) -> str:
    return f"{v:.0%}"
