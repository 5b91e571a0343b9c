"""Files of site/ that the render stage copies or derives: onnxruntime-web under vendor/, and the `<file>.js`
wrappers that let the page read its data when opened from disk (file://), where Chromium refuses `fetch`.

A wrapper is one line of classic JavaScript beside the file it wraps (data/vocab.json -> data/vocab.json.js):

    Memo.deliver("<path relative to site/, forward slashes>", <value>);

with <value> chosen by the wrapped file's suffix, the rule js/memo.js relies on:

    .json   the file's JSON text as is (a JSON text is a JavaScript expression): Memo.load gets the value;
    .mjs    the file's text as a JSON string: memo.js makes a blob: module URL of it (onnxruntime's loader);
    other   the file's bytes as a base64 string: Memo.loadBytes decodes it.

Over http(s) the page fetches the plain files and never reads a wrapper.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from build import profiles
from build.corpus import sha256_file
from build.profiles import write_if_changed

ORT_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
WRAPPED_DIRS = ("data", "models", "vendor")
WRAPPER_PREFIX = "Memo.deliver("
TEXT_SUFFIXES = (".mjs",)


class AssetError(RuntimeError):
    """A file the page needs is missing; the message names it and what to run."""


def ort_dist() -> Path:
    """Where npm puts onnxruntime-web's browser builds (read at call time, so tests can move ROOT)."""
    return profiles.ROOT / "node_modules" / "onnxruntime-web" / "dist"


def _replace_bytes(path: Path, data: bytes) -> None:
    """Write atomically, so a browser or Make never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def vendor(site: Path, dist: Path | None = None) -> None:
    """Copy the three onnxruntime-web files the page runs into site/vendor/, leaving unchanged ones alone
    (their mtime then tells Make nothing changed)."""
    dist = Path(dist) if dist is not None else ort_dist()
    missing = [name for name in ORT_FILES if not (dist / name).is_file()]
    if missing:
        raise AssetError(
            f"{dist}: missing {', '.join(missing)}; onnxruntime-web is not installed: "
            "run npm ci (or make install)"
        )
    target_dir = Path(site) / "vendor"
    for name in ORT_FILES:
        source, target = dist / name, target_dir / name
        if target.is_file() and sha256_file(target) == sha256_file(source):
            continue
        _replace_bytes(target, source.read_bytes())


def wrapper_text(site: Path, relative: str) -> str:
    """The wrapper's JavaScript for the site file `relative` (see the module docstring for the rule)."""
    relative = Path(relative).as_posix()
    path = Path(site) / relative
    if path.suffix == ".json":
        text = path.read_text(encoding="utf-8").strip()
        try:
            json.loads(text)
        except ValueError as error:
            raise AssetError(f"{path}: not valid JSON, cannot wrap it: {error}") from error
        value = text
    elif path.suffix in TEXT_SUFFIXES:
        value = json.dumps(path.read_text(encoding="utf-8"))
    else:
        value = json.dumps(base64.b64encode(path.read_bytes()).decode("ascii"))
    return f"{WRAPPER_PREFIX}{json.dumps(relative)}, {value});\n"


def wrap(site: Path, relative: str) -> Path:
    """Write `<file>.js` beside site/`relative`, only when its content changes; returns the wrapper's path."""
    target = Path(site) / (Path(relative).as_posix() + ".js")
    write_if_changed(target, wrapper_text(site, relative))
    return target


def is_wrapper(path: Path) -> bool:
    """A wrapper, as opposed to a script of the page (vendor/ort.wasm.min.js), is known by its first bytes."""
    with open(path, "rb") as handle:
        return handle.read(len(WRAPPER_PREFIX)) == WRAPPER_PREFIX.encode()


def wrap_all(site: Path) -> list[Path]:
    """Wrap every file under site/{data,models,vendor} except scripts, and delete wrappers whose file is
    gone (a removed passage must not stay loadable). Returns the wrappers that exist afterwards."""
    site = Path(site)
    wrappers = []
    for directory in WRAPPED_DIRS:
        root = site / directory
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if path.name.endswith(".tmp"):
                continue
            if path.suffix == ".js":
                if is_wrapper(path) and not path.with_suffix("").is_file():
                    path.unlink()
                continue
            wrappers.append(wrap(site, path.relative_to(site).as_posix()))
    return wrappers
