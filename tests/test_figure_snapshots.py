"""The snapshots readers without JavaScript see (build/render/snapshots.py, unit_snapshots.py): the units'
diagrams as the page draws them, every panel of a figure (the lookback's three, the original's passage
panels), text broken between words, and an alt text of its own for each figure; and one name for each
GRU gate, with PyTorch's order of reset and linear map, across the figure, its snapshot and the appendix."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

from build.render import svg, unit_snapshots

SVG = "{http://www.w3.org/2000/svg}"


def _root(site: Path, anchor: str) -> ElementTree.Element:
    return ElementTree.parse(site / "snapshots" / f"{anchor}.svg").getroot()


def _texts(root: ElementTree.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_the_units_snapshot_draws_every_models_diagram(tiny_site: Path) -> None:
    root = _root(tiny_site, "units")
    diagrams = [e for e in root.iter(f"{SVG}svg") if e.get("class") == "memo-units-diagram"]
    assert len(diagrams) == 3  # gru, lstm, nlstm: each a diagram, not a line of text
    for diagram in diagrams:
        boxes = [r for r in diagram.iter(f"{SVG}rect") if (r.get("class") or "").startswith("memo-box-")]
        assert len(boxes) >= 4 and float(diagram.get("width")) >= 500
    style = root.find(f"{SVG}style").text
    assert ".memo-units-diagram .memo-box-sigma" in style and "--memo-gate:" in style


def test_the_lookback_snapshot_draws_all_three_panels(tiny_site: Path) -> None:
    root = _root(tiny_site, "lookback")
    texts = _texts(root)
    assert any(t.startswith("Share of connectivity before the current word") for t in texts)
    assert sum(t.startswith("Mean connectivity by distance back") for t in texts) == 2
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 3 * 3  # three panels of three models
    # the distance panels, on the log scale: every distance whose value is above 0 (a row can underflow to
    # 0 at the longest distances once subnormal floats are flushed)
    results = json.loads((tiny_site / "data" / "results.json").read_text())
    for panel, group in ((lines[3:6], "0"), (lines[6:9], "3+")):
        curves = [m["test"]["context"]["by_distance"][group] for m in results["models"]]
        expected = sorted(sum(1 for v in c if v is not None and v > 0) for c in curves)
        assert sorted(len(line.get("points").split()) for line in panel) == expected, group
    assert any(re.fullmatch(r"10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+%", t) for t in texts)


def _lines(root: ElementTree.Element) -> list[str]:
    """The shaded text of a connectivity snapshot, line by line, read back from its cells."""
    width = f"{svg.CELL_W - 1}"
    cells = [
        (float(r.get("y")), float(r.get("x"))) for r in root.iter(f"{SVG}rect") if r.get("width") == width
    ]
    chars = {
        (round(float(t.get("y")) - 13, 1), round(float(t.get("x")) - svg.CELL_W / 2 + 0.5, 1)): t.text
        for t in root.iter(f"{SVG}text")
        if t.get("font-family") == svg.MONO
    }
    rows: dict[float, list[str]] = {}
    for y, x in sorted(cells):
        rows.setdefault(y, []).append(chars.get((round(y, 1), round(x, 1)), " "))
    return ["".join(row) for _, row in sorted(rows.items())]


def test_connectivity_snapshots_break_lines_between_words(tiny_site: Path) -> None:
    for anchor in ("passage-grammar", "hero", "owntext"):
        lines = _lines(_root(tiny_site, anchor))
        assert len(lines) >= 2, anchor
        for above, below in zip(lines, lines[1:], strict=False):
            assert above.endswith(" ") or below.startswith(" ") or len(above) < svg.PER_LINE, (
                anchor,
                above,
                below,
            )


def test_the_passage_snapshot_has_the_originals_panels(tiny_site: Path) -> None:
    texts = _texts(_root(tiny_site, "passage-grammar"))
    originals = [t for t in texts if "(the original's, text8, published)" in t]
    assert [t.split(" (")[0] for t in originals] == ["GRU", "LSTM", "Nested LSTM"]


def test_every_snapshot_has_an_alt_text_of_its_own_that_says_what_it_shows(tiny_site: Path) -> None:
    page = (tiny_site / "index.html").read_text()
    alts = dict(re.findall(r'<img class="memo-snapshot" src="snapshots/([^"]+)\.svg" alt="([^"]+)"', page))
    assert len(alts) >= 9 and len(set(alts.values())) == len(alts), alts
    assert alts["units"].startswith("Diagrams of the recurrent units")
    assert alts["lookback"].startswith("How far back each model looks")
    assert "“grammar”" in alts["passage-grammar"] and "at output index 28" in alts["passage-grammar"]
    for anchor, alt in alts.items():
        title = _root(tiny_site, anchor).find(f"{SVG}title").text
        assert alt.replace("&quot;", '"') == title, anchor


def test_the_gru_gates_have_one_name_and_pytorchs_order(tiny_site: Path) -> None:
    """u (update), r (reset) and n in the diagram, its equations and the appendix; the reset gate scales
    the previous state after its linear map, as n = tanh(W_nx x + b_nx + r * (W_nh h + b_nh))."""
    gru = unit_snapshots.diagrams(["gru"])["gru"]
    diagram = ElementTree.fromstring(gru["svg"])
    names = {t.text for t in diagram.iter(f"{SVG}text") if t.get("class") == "memo-gate-name"}
    assert names == {"u", "r", "n"}
    equations = " ".join(gru["equations"])
    assert "u = σ(" in equations and "z" not in equations
    assert "r ⊙ (W_{nh} h^{t−1} + b_{nh})" in equations
    assert "update gate u" in gru["description"] and "z" not in gru["description"].replace("Cho", "")
    # the × where r enters takes the output of a linear box, not h itself
    ops = [
        (float(c.get("cx")), float(c.get("cy")))
        for c in diagram.iter(f"{SVG}circle")
        if c.get("class") == "memo-op"
    ]
    linear = [r for r in diagram.iter(f"{SVG}rect") if r.get("class") == "memo-box-linear"]
    assert len(linear) == 1
    right = float(linear[0].get("x")) + float(linear[0].get("width"))
    middle = float(linear[0].get("y")) + float(linear[0].get("height")) / 2
    assert any(abs(cy - middle) < 1 and 0 < cx - right < 60 for cx, cy in ops)
    page = (tiny_site / "index.html").read_text()
    appendix = page[page.index("<strong>GRU</strong>") :][:6000]
    assert "update gate" in appendix and "<mi>u</mi>" in appendix and "<mi>z</mi>" not in appendix
