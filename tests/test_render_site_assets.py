"""site/ assets: onnxruntime-web copied into vendor/, and the `<file>.js` wrappers the page reads on file://."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from build import profiles
from build.render import site_assets

NODE = shutil.which("node")

# Runs a wrapper as the page would (a classic script with a global Memo) and prints what it delivered.
_DELIVERED = """
const vm = require("node:vm");
const calls = [];
const code = require("node:fs").readFileSync(process.argv[1], "utf8");
vm.runInNewContext(code, { Memo: { deliver: (path, value) => calls.push([path, value]) } });
process.stdout.write(JSON.stringify(calls));
"""


def delivered(wrapper: Path) -> list:
    """[[path, value], ...] of the Memo.deliver calls the wrapper makes when run as JavaScript."""
    result = subprocess.run(
        [NODE, "-e", _DELIVERED, str(wrapper)], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(result.stdout)


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "data" / "passages").mkdir(parents=True)
    (site / "models" / "gru").mkdir(parents=True)
    return site


def test_binary_wrapper_round_trips_every_byte(tmp_path: Path) -> None:
    site = _site(tmp_path)
    data = bytes(range(256)) * 41 + b"\x00\xff"  # every byte value, a length that pads base64
    (site / "models" / "gru" / "autocomplete.web.onnx").write_bytes(data)
    wrapper = site_assets.wrap(site, "models/gru/autocomplete.web.onnx")
    assert wrapper == site / "models" / "gru" / "autocomplete.web.onnx.js"
    text = wrapper.read_text()
    assert text.startswith('Memo.deliver("models/gru/autocomplete.web.onnx", "')
    value = text[text.index(", ") + 2 : text.rindex(");")]
    assert base64.b64decode(json.loads(value)) == data


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_wrappers_deliver_the_same_value_when_run_as_javascript(tmp_path: Path) -> None:
    site = _site(tmp_path)
    value = {"text": " a </script> \u2028 “quoted” \\ end", "numbers": [1, 2.5e-8, -3], "none": None}
    (site / "data" / "passages" / "p.json").write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n")
    module = 'export default function () { return "`${x}` </script>\\n"; }\n'
    (site / "models" / "loader.mjs").write_text(module)
    data = os.urandom(1000)
    (site / "models" / "gru" / "graph.onnx").write_bytes(data)
    [json_wrapper, mjs_wrapper, bytes_wrapper] = [
        site_assets.wrap(site, r)
        for r in ("data/passages/p.json", "models/loader.mjs", "models/gru/graph.onnx")
    ]
    assert delivered(json_wrapper) == [["data/passages/p.json", value]]
    assert delivered(mjs_wrapper) == [["models/loader.mjs", module]]
    [[path, encoded]] = delivered(bytes_wrapper)
    assert path == "models/gru/graph.onnx" and base64.b64decode(encoded) == data


def test_invalid_json_is_refused_with_its_path(tmp_path: Path) -> None:
    site = _site(tmp_path)
    (site / "data" / "broken.json").write_text('{"a": ')
    with pytest.raises(site_assets.AssetError, match="broken.json"):
        site_assets.wrap(site, "data/broken.json")


def test_wrap_all_wraps_data_and_removes_orphans_only(tmp_path: Path) -> None:
    site = _site(tmp_path)
    (site / "data" / "vocab.json").write_text('["<eos>", "<unknown>", "the"]\n')
    (site / "data" / "passages" / "kept.json").write_text("{}\n")
    (site / "models" / "gru" / "connectivity.web.onnx").write_bytes(b"onnx")
    (site / "vendor").mkdir()
    (site / "vendor" / "ort.wasm.min.js").write_text("var ort = {};\n")  # a script, not a wrapper
    (site / "data" / "passages" / "gone.json.js").write_text('Memo.deliver("data/passages/gone.json", {});\n')
    (site / "index.html").write_text("<!doctype html>")  # outside the wrapped folders

    wrappers = site_assets.wrap_all(site)

    assert sorted(p.relative_to(site).as_posix() for p in wrappers) == [
        "data/passages/kept.json.js",
        "data/vocab.json.js",
        "models/gru/connectivity.web.onnx.js",
    ]
    assert not (site / "data" / "passages" / "gone.json.js").exists()  # its passage was deleted
    assert (site / "vendor" / "ort.wasm.min.js").read_text() == "var ort = {};\n"
    assert not (site / "vendor" / "ort.wasm.min.js.js").exists()
    assert not (site / "index.html.js").exists()
    assert site_assets.wrap_all(site) == wrappers  # wrappers are never wrapped themselves


def test_unchanged_wrapper_is_not_rewritten(tmp_path: Path) -> None:
    site = _site(tmp_path)
    source = site / "data" / "vocab.json"
    source.write_text('["<eos>"]\n')
    wrapper = site_assets.wrap(site, "data/vocab.json")
    os.utime(wrapper, ns=(1_000_000_000, 1_000_000_000))
    site_assets.wrap_all(site)
    assert wrapper.stat().st_mtime_ns == 1_000_000_000
    source.write_text('["<eos>", "<unknown>"]\n')
    site_assets.wrap_all(site)
    assert wrapper.stat().st_mtime_ns != 1_000_000_000
    assert '["<eos>", "<unknown>"]' in wrapper.read_text()


def _fake_dist(root: Path) -> Path:
    dist = root / "node_modules" / "onnxruntime-web" / "dist"
    dist.mkdir(parents=True)
    for name in site_assets.ORT_FILES:
        (dist / name).write_bytes(name.encode() * 3)
    return dist


def test_vendor_copies_the_runtime_and_skips_unchanged_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(profiles, "ROOT", tmp_path)
    dist = _fake_dist(tmp_path)
    site = tmp_path / "site"
    site_assets.vendor(site)
    for name in site_assets.ORT_FILES:
        assert (site / "vendor" / name).read_bytes() == (dist / name).read_bytes()
    wasm = site / "vendor" / "ort-wasm-simd-threaded.wasm"
    os.utime(wasm, ns=(1_000_000_000, 1_000_000_000))
    site_assets.vendor(site)
    assert wasm.stat().st_mtime_ns == 1_000_000_000
    (dist / "ort-wasm-simd-threaded.wasm").write_bytes(b"new runtime")
    site_assets.vendor(site)
    assert wasm.read_bytes() == b"new runtime"


def test_vendor_without_node_modules_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(profiles, "ROOT", tmp_path)
    with pytest.raises(site_assets.AssetError, match=r"node_modules/onnxruntime-web/dist.*run npm ci"):
        site_assets.vendor(tmp_path / "site")
    assert not (tmp_path / "site" / "vendor").exists()


@pytest.mark.skipif(not site_assets.ort_dist().is_dir(), reason="npm ci has not been run")
def test_installed_runtime_has_the_files_the_page_loads() -> None:
    for name in site_assets.ORT_FILES:
        assert (site_assets.ort_dist() / name).stat().st_size > 10_000


def _static(root: Path, names: list[str]) -> Path:
    """An article/static/ holding a stylesheet and the scripts `names` (paths under js/)."""
    static = root / "static"
    (static / "js").mkdir(parents=True)
    (static / "style.css").write_text("body {}\n")
    for name in names:
        path = static / "js" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"// {name}\n")
    return static


def test_scripts_load_in_the_order_of_the_layout(tmp_path: Path) -> None:
    """lib/ by name, then figures/ by name (none waits for another), then start.js; the text of a file
    never counts."""
    names = [
        "start.js",
        "figures/units.js",
        "figures/passage.js",
        "figures/hero.js",
        "lib/20-text.js",
        "lib/10-memo.js",
        "lib/70-chart.js",
        "figures/accuracy.js",
    ]
    static = _static(tmp_path, names)
    (static / "js" / "lib" / "70-chart.js").write_text('Memo.register("chart", function () {});\n')
    (static / "js" / "figures" / "notes.txt").write_text("not a script\n")
    assert site_assets.scripts(static) == [
        "js/lib/10-memo.js",
        "js/lib/20-text.js",
        "js/lib/70-chart.js",
        "js/figures/accuracy.js",
        "js/figures/hero.js",
        "js/figures/passage.js",
        "js/figures/units.js",
        "js/start.js",
    ]


@pytest.mark.parametrize("name", ["memo.js", "lib/more/x.js", "figures/old/chart.js"])
def test_a_script_outside_the_layout_is_refused(tmp_path: Path, name: str) -> None:
    static = _static(tmp_path, ["lib/10-memo.js", "start.js", name])
    refused = rf"{re.escape(name)}: the page's scripts are lib/\*\.js"
    with pytest.raises(site_assets.AssetError, match=refused):
        site_assets.scripts(static)


def test_without_start_js_the_figures_never_start(tmp_path: Path) -> None:
    static = _static(tmp_path, ["lib/10-memo.js", "figures/hero.js"])
    with pytest.raises(site_assets.AssetError, match=r"start\.js: missing"):
        site_assets.scripts(static)


def test_copy_static_removes_scripts_that_are_gone(tmp_path: Path) -> None:
    """A rebuilt site holds only the page's scripts now: an old js/memo.js or a renamed figure goes."""
    site = tmp_path / "site"
    for stale in ("js/memo.js", "js/figures/chart.js", "js/old/helper.js"):
        (site / stale).parent.mkdir(parents=True, exist_ok=True)
        (site / stale).write_text("// from an earlier build\n")
    (site / "data").mkdir()
    (site / "data" / "vocab.json.js").write_text('Memo.deliver("data/vocab.json", []);\n')
    static = _static(tmp_path, ["lib/10-memo.js", "figures/hero.js", "start.js"])

    order = site_assets.copy_static(static, site)

    assert order == ["js/lib/10-memo.js", "js/figures/hero.js", "js/start.js"]
    on_disk = sorted(p.relative_to(site).as_posix() for p in (site / "js").rglob("*"))
    assert on_disk == ["js/figures", "js/figures/hero.js", "js/lib", "js/lib/10-memo.js", "js/start.js"]
    assert (site / "style.css").is_file() and (site / "data" / "vocab.json.js").is_file()  # outside js/: kept
    assert site_assets.copy_static(static, site) == order
