"""Files of site/ that the render stage copies or derives: the static files of article/static/ with the
page's scripts in their load order, onnxruntime-web under vendor/, and the `<file>.js` wrappers that let
the page read its data when opened from disk (file://), where Chromium refuses `fetch`.

The page's scripts are classic scripts sharing the namespace `Memo`, loaded in an order that the layout
of article/static/js/ alone gives (no file is read to find it):

    js/lib/*.js        the shared code, by file name (10-memo.js first: it defines Memo)
    js/figures/*.js    one script per figure kind, by name (what figures share lives in js/lib/)
    js/start.js        starts the figures, once every script has run

A wrapper is one line of classic JavaScript beside the file it wraps (data/vocab.json -> data/vocab.json.js):

    Memo.deliver("<path relative to site/, forward slashes>", <value>);

with <value> chosen by the wrapped file's suffix, the rule js/lib/30-data.js relies on:

    .json   the file's JSON text as is (a JSON text is a JavaScript expression): Memo.load gets the value;
    .mjs    the file's text as a JSON string: js/lib/40-runtime.js makes a blob: module URL of it
            (onnxruntime's loader);
    other   the file's bytes as a base64 string: Memo.loadBytes decodes it.

Over http(s) the page fetches the plain files and never reads a wrapper.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

from build import profiles, site_layout
from build.run_files import replace_bytes, sha256_file, write_if_changed

ORT_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
WRAPPED_DIRS = (site_layout.DATA, site_layout.MODELS, site_layout.VENDOR)
WRAPPER_PREFIX = "Memo.deliver("
TEXT_SUFFIXES = (".mjs",)

SCRIPTS_DIR = "js"
LIB_DIR = "lib"
FIGURES_DIR = "figures"
START_SCRIPT = "start.js"


class AssetError(RuntimeError):
    """A file the page needs is missing; the message names it and what to run."""


def ort_dist() -> Path:
    """Where npm puts onnxruntime-web's browser builds (read at call time, so tests can move ROOT)."""
    return profiles.ROOT / "node_modules" / "onnxruntime-web" / "dist"


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
    target_dir = site_layout.under(Path(site), site_layout.VENDOR)
    for name in ORT_FILES:
        source, target = dist / name, target_dir / name
        if target.is_file() and sha256_file(target) == sha256_file(source):
            continue
        replace_bytes(target, source.read_bytes())


def scripts(static: Path) -> list[str]:
    """The page's scripts in load order, as paths relative to site/ ("js/lib/10-memo.js", ...), from the
    layout of `static`/js/ (see the module docstring); a .js file elsewhere there is an error that says
    where a script belongs."""
    root = Path(static) / SCRIPTS_DIR
    found = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.js") if p.is_file())
    lib = [name for name in found if name.startswith(LIB_DIR + "/") and name.count("/") == 1]
    figures = [name for name in found if name.startswith(FIGURES_DIR + "/") and name.count("/") == 1]
    start = [name for name in found if name == START_SCRIPT]
    misplaced = [name for name in found if name not in (*lib, *figures, *start)]
    if misplaced:
        raise AssetError(
            f"{root}: {', '.join(misplaced)}: the page's scripts are {LIB_DIR}/*.js (shared, loaded first by "
            f"name), {FIGURES_DIR}/*.js (one per figure kind) and {START_SCRIPT} (loaded last)"
        )
    if not start:
        raise AssetError(f"{root / START_SCRIPT}: missing (it starts the figures)")
    return [f"{SCRIPTS_DIR}/{name}" for name in (*lib, *figures, *start)]


def copy_static(static: Path, site: Path) -> list[str]:
    """Copy `static` (article/static/) into `site` and delete every file of site/js/ that is not one of
    the page's scripts now (a script renamed or removed must not stay in the site); returns the scripts
    in load order (`scripts`)."""
    static, site = Path(static), Path(site)
    order = scripts(static)
    shutil.copytree(static, site, dirs_exist_ok=True)
    root = site / SCRIPTS_DIR
    for path in sorted(root.rglob("*"), reverse=True):  # files before the folders that hold them
        if path.is_dir():
            if not any(path.iterdir()):
                path.rmdir()
        elif path.relative_to(site).as_posix() not in order:
            path.unlink()
    return order


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
