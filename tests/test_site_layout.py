"""The site's layout (build/site_layout.py) is the one place that spells a file name or URL of site/:
the stages that write those files and the render that links and reads them all go through it."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from build import site_layout

ROOT = Path(__file__).resolve().parents[1]
# a string that is a path under site/ (or the start of one), as code would spell it
SITE_PATH = re.compile(r"^(data|models|downloads|snapshots|figures|vendor|js)/[^ ]*$")
FOLDERS = {"data", "models", "downloads", "snapshots", "figures", "vendor", "passages"}


def test_urls_are_relative_posix_paths_and_under_finds_their_files(tmp_path: Path) -> None:
    assert site_layout.passage_file("grammar") == "data/passages/grammar.json"
    assert site_layout.passage_steps_file("grammar") == "data/passages/grammar.steps.json"
    assert site_layout.data_file("results.json") == "data/results.json"
    assert site_layout.model_file("gru", "autocomplete.web.onnx") == "models/gru/autocomplete.web.onnx"
    assert site_layout.download_file("lstm") == "downloads/lstm-onnx.zip"
    assert site_layout.snapshot_file("passage-grammar") == "snapshots/passage-grammar.svg"
    assert site_layout.figure_page("hero") == "figures/hero.html"
    assert site_layout.figure_script("units") == "js/figures/units.js"
    assert site_layout.under(tmp_path, "data/passages/p.json") == tmp_path / "data" / "passages" / "p.json"


def _code_strings(path: Path) -> list[tuple[int, str]]:
    """Where a module spells a path under site/ (not in a docstring): a string constant, the start of an
    f-string, or a folder joined with `/`; with its line."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if SITE_PATH.match(node.value):
                found.append((node.lineno, node.value))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # site / "data" / ...
            right = node.right
            if isinstance(right, ast.Constant) and right.value in FOLDERS:
                found.append((node.lineno, f"/ {right.value!r}"))
        if isinstance(node, ast.JoinedStr):  # f"data/passages/{id}.json": its first literal part
            first = node.values[0] if node.values else None
            if isinstance(first, ast.Constant) and SITE_PATH.match(str(first.value) + "x"):
                found.append((node.lineno, str(first.value)))
    return found


def test_no_stage_spells_a_site_path_of_its_own() -> None:
    modules = [p for p in (ROOT / "build").rglob("*.py") if p.name != "site_layout.py"]
    spelled = [
        f"{path.relative_to(ROOT)}:{line}: {value!r}"
        for path in modules
        for line, value in _code_strings(path)
    ]
    assert spelled == []


def test_the_built_site_follows_the_layout(tiny_site: Path) -> None:
    manifest = json.loads(site_layout.under(tiny_site, site_layout.MANIFEST).read_text())
    assert manifest["vocab"] == site_layout.VOCAB
    for entry in manifest["passages"]:
        assert entry["file"] == site_layout.passage_file(entry["id"])
        assert site_layout.under(tiny_site, entry["file"]).is_file()
    for model in manifest["models"]:
        for graph in model["graphs"].values():
            assert graph["file"].startswith(site_layout.model_folder(model["key"]) + "/")
            assert site_layout.under(tiny_site, graph["file"]).is_file()
        assert model["download"]["file"] == site_layout.download_file(model["key"])
    page = site_layout.under(tiny_site, "index.html").read_text()
    for anchor in re.findall(r'<figure class="memo-figure" id="([^"]+)"', page):
        assert f'src="{site_layout.snapshot_file(anchor)}"' in page
        assert site_layout.under(tiny_site, site_layout.snapshot_file(anchor)).is_file()
        assert site_layout.under(tiny_site, site_layout.figure_page(anchor)).is_file()
