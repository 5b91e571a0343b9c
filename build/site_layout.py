"""The site's layout: every file name and URL under site/ that more than one stage or script agrees on.

Precompute writes these files, the render links them and draws snapshots from them, and the page's
scripts load them; each spells a path through this module instead of its own string, so moving a file
is one edit here. URLs are relative POSIX paths (the page works from file:// and under any prefix);
`under(site, url)` is the file on disk. Torch-free, and importing nothing of the build.

    data/manifest.json, data/vocab.json, data/claims.json
    data/<name>.json                the figures' data (build/figure_kinds.py lists them)
    data/passages/<id>.json         one per passage block
    data/passages/<id>.steps.json   the same at each step whose weights training kept (loaded on demand)
    models/<key>/<file>             a model's web graphs and weights
    downloads/<key>-onnx.zip        a model's graphs and weights, runnable alone
    snapshots/<anchor>.svg          each figure's first state, for readers without JavaScript
    figures/<anchor>.html           each figure alone, to embed
    js/figures/<kind>.js            a figure kind's script
"""

from __future__ import annotations

from pathlib import Path

DATA = "data"
PASSAGES = f"{DATA}/passages"
MANIFEST = f"{DATA}/manifest.json"
VOCAB = f"{DATA}/vocab.json"
CLAIMS = f"{DATA}/claims.json"
MODELS = "models"
DOWNLOADS = "downloads"
SNAPSHOTS = "snapshots"
FIGURE_PAGES = "figures"
FIGURE_SCRIPTS = "js/figures"
VENDOR = "vendor"  # onnxruntime-web's files


def data_file(name: str) -> str:
    """data/<name>: a figure data file's URL (`name` with its extension, e.g. results.json)."""
    return f"{DATA}/{name}"


def passage_file(passage_id: str) -> str:
    """data/passages/<id>.json: a passage's precomputed predictions and connectivity."""
    return f"{PASSAGES}/{passage_id}.json"


def passage_steps_file(passage_id: str) -> str:
    """data/passages/<id>.steps.json: a passage's predictions and connectivity at each kept training step."""
    return f"{PASSAGES}/{passage_id}.steps.json"


def model_folder(key: str) -> str:
    """models/<key>: the folder of a model's browser files."""
    return f"{MODELS}/{key}"


def model_file(key: str, name: str) -> str:
    """models/<key>/<name>: one of a model's browser files."""
    return f"{MODELS}/{key}/{name}"


def download_file(key: str) -> str:
    """downloads/<key>-onnx.zip: a model's graphs and weights in one archive."""
    return f"{DOWNLOADS}/{key}-onnx.zip"


def snapshot_file(anchor: str) -> str:
    """snapshots/<anchor>.svg: the figure's first state drawn at build time."""
    return f"{SNAPSHOTS}/{anchor}.svg"


def figure_page(anchor: str) -> str:
    """figures/<anchor>.html: the figure on a page of its own."""
    return f"{FIGURE_PAGES}/{anchor}.html"


def figure_script(kind: str) -> str:
    """js/figures/<kind>.js: the script that draws figures of `kind`."""
    return f"{FIGURE_SCRIPTS}/{kind}.js"


def under(site: Path, url: str) -> Path:
    """The file on disk behind a site URL."""
    return site.joinpath(*url.split("/"))
