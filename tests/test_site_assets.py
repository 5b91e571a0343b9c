"""site/ assets: onnxruntime-web copied into vendor/, and the `<file>.js` wrappers the page reads on file://."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from build import profiles, site_assets

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
