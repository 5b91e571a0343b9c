"""The social preview: the hero passage drawn from its data in the page's colours, the same bytes again."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from build.render import og_image
from build.run_files import encode_lower_triangle


def test_the_colour_ramp_is_the_pages() -> None:
    script = og_image.COLOURS_SCRIPT.read_text()
    block = re.search(r"var VIRIDIS = \((.*?)\)\s*\.match", script, re.S)
    assert block, f"{og_image.COLOURS_SCRIPT} no longer defines VIRIDIS as build/render/og_image.py expects"
    assert "".join(re.findall(r'"([0-9a-f]+)"', block[1])) == og_image.VIRIDIS
    assert f"var VIRIDIS_FIRST = {og_image.VIRIDIS_FIRST};" in script
    assert "var LOW = 0.29;" in script and "var HIGH = 2 / 3;" in script


# The namespace script, then the colours script, run under node with just enough of a browser for them.
COLOURS_JS = """
const vm = require("node:vm"), fs = require("node:fs");
const context = vm.createContext({ window: {}, location: { protocol: "http:" } });
for (const path of process.argv.slice(1)) vm.runInContext(fs.readFileSync(path, "utf8"), context);
const window = context.window;
const ratios = Array.from({ length: 41 }, (_, i) => i / 40 - 0.125);
console.log(JSON.stringify(ratios.map((r) => [r, window.Memo.colour(r), window.Memo.textColour(r)])));
"""


def test_the_colours_are_the_ones_the_page_computes() -> None:
    memo = og_image.COLOURS_SCRIPT.with_name("10-memo.js")
    command = ["node", "-e", COLOURS_JS, str(memo), str(og_image.COLOURS_SCRIPT)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    for ratio, css, text in json.loads(done.stdout):
        rgb = og_image.colour(ratio)
        assert css == f"rgb({rgb[0]}, {rgb[1]}, {rgb[2]})", ratio
        assert text == ("#000" if og_image.text_colour(rgb) == (0, 0, 0) else "#fff"), ratio


def passage(text: str) -> dict:
    """Passage data as precompute writes it, with connectivity rising towards each output position."""
    n = len(text)
    rows = np.tril(np.tile(np.arange(1, n + 1, dtype=np.float64), (n, 1)))
    return {"text": text, "position": n - 1, "models": {"gru": {"connectivity": encode_lower_triangle(rows)}}}


def test_the_preview_draws_the_hero_position_from_the_data() -> None:
    text = " the formal study of grammar"
    options = {"model": "gru", "links": "6 200"}
    data = og_image.hero_preview("A title", passage(text), options, "GRU", "p.json")
    assert data == og_image.hero_preview("A title", passage(text), options, "GRU", "p.json")  # same bytes
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.size == (og_image.WIDTH, og_image.HEIGHT)
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20)}
    # index 6 is selected (its link comes first); its own cell holds the row's largest value
    assert og_image.colour(1.0) in colours and og_image.colour(1 / 7) in colours
    assert og_image.colour(3 / 7) in colours and og_image.colour(1 / 8) not in colours  # row 6 only
    later = og_image.hero_preview("A title", passage(text), {"model": "gru", "links": "20"}, "GRU", "p.json")
    assert later != data


def test_without_a_model_the_preview_draws_the_passages_first() -> None:
    data = passage(" the formal study of grammar")
    data["models"] = {"mycell": data["models"]["gru"]}  # any key: no model is assumed
    mine = og_image.hero_preview("T", data, {"links": "6"}, "My cell", "p.json")
    assert mine == og_image.hero_preview("T", data, {"model": "mycell", "links": "6"}, "My cell", "p.json")


def test_bad_hero_options_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(og_image.OgImageError, match=r"p\.json: the hero's model='lstm'"):
        og_image.hero_preview("T", passage(" ab"), {"model": "lstm"}, "LSTM", "p.json")
    with pytest.raises(og_image.OgImageError, match=r"p\.json: the hero's chars/links"):
        og_image.hero_preview("T", passage(" ab"), {"chars": "many"}, "GRU", "p.json")
    with pytest.raises(og_image.OgImageError, match=r"nope\.json: the hero's passage='nope'"):
        og_image.write(tmp_path, "T", {"passage": "nope"}, "GRU")


def test_write_keeps_an_unchanged_file(tmp_path: Path) -> None:
    (tmp_path / "data" / "passages").mkdir(parents=True)
    (tmp_path / "data" / "passages" / "p.json").write_text(json.dumps(passage(" ab cd")))
    target = og_image.write(tmp_path, "T", {"passage": "p", "links": "3"}, "GRU")
    assert target == tmp_path / "og-image.png" and target.read_bytes().startswith(b"\x89PNG")
    before = target.stat().st_mtime_ns
    og_image.write(tmp_path, "T", {"passage": "p", "links": "3"}, "GRU")
    assert target.stat().st_mtime_ns == before
