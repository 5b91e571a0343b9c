"""The units figure's snapshot: each model's unit diagram, its equations and its description, as the page
draws them, for readers without JavaScript.

The diagrams come from the page's own js/figures/units.js, run by node (build/render/units_svg.mjs) on a
stand-in for the DOM, and keep the page's light colours through figures.css's own rules, copied into the
snapshot; a unit that script does not draw is named with the file that holds its equations.
"""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from html import escape

from build.render import svg
from build.render.errors import RenderError
from build.render.figures import Figure, describe
from build.run_files import ARTICLE_DIR

SCRIPT = ARTICLE_DIR.parent / "build" / "render" / "units_svg.mjs"
STYLES = ARTICLE_DIR / "static" / "figures.css"
PREFIX = re.compile(r"\.memo-fig\.memo-units(?: svg)?\s+")
DIAGRAM_WIDTH = 600.0
FORMULA = re.compile(r"([_^])(\{([^}]*)\}|([^\s,()\[\]]))")


def diagrams(units: list[str]) -> dict[str, dict]:
    """unit -> {svg, equations, description} of each unit units.js draws, in one node run."""
    try:
        done = subprocess.run(
            ["node", str(SCRIPT)], input=json.dumps(units), capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or str(error)
        raise RenderError(
            f"{SCRIPT}: the unit diagrams could not be drawn (is node installed?): {detail}"
        ) from error
    return {unit: drawn for unit, drawn in zip(units, json.loads(done.stdout), strict=True) if drawn}


def diagram_style(css: str) -> str:
    """The page's light colours (figures.css's first :root block) and its rules for the unit diagrams,
    scoped to the diagrams so they leave the rest of the snapshot alone."""
    root = re.search(r":root\s*\{(.*?)\}", css, re.S)
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        wanted = [s.strip() for s in selectors.split(",") if s.strip().startswith(".memo-fig.memo-units")]
        scoped = [PREFIX.sub(".memo-units-diagram ", s) for s in wanted if PREFIX.match(s)]
        if scoped:
            rules.append(f"{', '.join(scoped)} {{{body.strip()}}}")
    variables = re.sub(r"/\*.*?\*/", "", root[1], flags=re.S).strip() if root else ""
    return f".memo-units-diagram {{{variables}}}\n" + "\n".join(rules)


def formula(line: str) -> str:
    """A line of the figure's plain math (h^{t−1}, W_r) as SVG text with raised and lowered parts."""
    parts, last = [], 0
    for match in FORMULA.finditer(line):
        parts.append(escape(line[last : match.start()]))
        shift = "super" if match[1] == "^" else "sub"
        value = match[3] if match[3] is not None else match[4]
        parts.append(f'<tspan baseline-shift="{shift}" font-size="70%">{escape(value)}</tspan>')
        last = match.end()
    parts.append(escape(line[last:]))
    return "".join(parts)


def _placed(markup: str, x: float, y: float) -> tuple[str, float]:
    """The diagram's <svg> placed at (x, y), DIAGRAM_WIDTH wide; -> markup, its height."""
    box = [float(v) for v in re.search(r'viewBox="([^"]+)"', markup)[1].split()]
    height = DIAGRAM_WIDTH * box[3] / box[2]
    placed = markup.replace(
        "<svg ", f'<svg x="{x:.1f}" y="{y:.1f}" width="{DIAGRAM_WIDTH:.0f}" height="{height:.1f}" ', 1
    )
    return placed, height


def units_snapshot(figure: Figure, inputs) -> str:  # noqa: ANN001 (snapshots.Inputs: imports this module)
    """Every model's unit: its name and size, then its diagram, equations and description, or where its
    equations are when the page draws no diagram of it."""
    models = inputs.manifest["models"]
    drawn = diagrams(sorted({str(m.get("unit") or m["key"]) for m in models}))
    parts = [f"<style>{diagram_style(STYLES.read_text())}</style>"]
    y = 8.0
    for i, model in enumerate(models):
        unit = str(model.get("unit") or model["key"])
        layers = model.get("layers")
        size = f", {layers} layer{'s' if layers != 1 else ''} of {model.get('units')} units" if layers else ""
        y += 18
        colour = svg.MODEL_COLOURS[i % len(svg.MODEL_COLOURS)]
        parts.append(svg.text(4, y, f"{model['name']}: {unit} unit{size}", 14, colour, font_weight="bold"))
        found = drawn.get(unit)
        if found is None:
            y += 20
            said = f"No diagram for {model['name']}; its equations are in build/units/{unit}.py."
            parts.append(svg.text(4, y, said, 12, svg.MUTED))
            y += 10
            continue
        placed, height = _placed(found["svg"], (svg.WIDTH - DIAGRAM_WIDTH) / 2, y + 6)
        parts.append(placed)
        y += 6 + height + 4
        for line in found["equations"]:
            y += 18
            parts.append(
                f'<text x="40" y="{y:.1f}" font-size="13" fill="{svg.INK}" font-family="{svg.MONO}">'
                f"{formula(line)}</text>"
            )
        for line in textwrap.wrap(found["description"], 110):
            y += 16
            parts.append(svg.text(40, y, line, 12, svg.MUTED))
        y += 16
    return svg.document(parts, y + 8, describe(figure))
