"""Shared by the render tests: a small bibliography, an article written to a file, and a whole site built
from the fixture JSON of tests/fixtures/render/ (a tiny run's results.json, manifest.json, vocab.json)
with passage data made up here, so the page renders without training anything."""

from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path

import numpy as np
import pytest
from pybtex.database import parse_string

from build import figure_data, profiles
from build.render import page, provenance, site_assets
from build.render.article import Article, render_article
from build.run_files import ARTICLE_DIR, encode_lower_triangle

FIXTURES = Path(__file__).parent / "fixtures" / "render"
BIB = parse_string(
    """
@article{madsen2019, author = {Madsen, Andreas}, title = {Visualizing memorization in {RNNs}},
  journal = {Distill}, year = {2019}, doi = {10.23915/distill.00016}}
@article{cho2014, author = {Cho, Kyunghyun and Bengio, Yoshua}, title = {Learning phrase representations},
  year = {2014}, eprint = {1406.1078}}
""",
    "bibtex",
)
NAMES = {"models": {"gru": {"name": "GRU", "test": {"accuracy": 0.49016}}}, "dataset": {"words": 1046939}}


def article(
    tmp_path: Path, text: str, names: dict | None = None, models: tuple[str, ...] = ("gru",)
) -> Article:
    """`text` written to tmp_path/index.md and rendered with `names` and BIB."""
    path = tmp_path / "index.md"
    path.write_text(text)
    return render_article(path, NAMES if names is None else names, models, BIB)


def plain(html_text: str) -> str:
    """The rendered prose as text: tags dropped, entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", html_text)))


def table_row(html_text: str, name: str, columns: int) -> list[str]:
    """The cells of the table row of `columns` cells whose first cell is `name`."""
    for row in re.findall(r"<tr>(.*?)</tr>", html_text, re.S):
        cells = [plain(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if len(cells) == columns and cells[0] == name:
            return cells
    raise AssertionError(f"no table row {name!r} of {columns} cells")


def context_data(at_space: tuple[float, float, float], observations: int = 200) -> dict:
    """A model's test.context (build/lookback.py's shape) whose share before the word at 0 letters is
    `at_space` = (mean, low, high); the other letter groups halve it letter by letter, and the distance
    curves fall by a third a character."""
    mean, low, high = at_space
    shares = {}
    for n, group in enumerate(("0", "1", "2", "3", "4", "5+")):
        scale = 0.5**n
        shares[group] = {"mean": mean * scale, "low": low * scale, "high": high * scale, "positions": 1000}
    curve = [0.3 * (2 / 3) ** d for d in range(101)]
    return {
        "observations": observations,
        "positions": observations * 190,
        "share_before_word": shares,
        "by_distance": {"0": curve, "3+": [v / 2 for v in curve]},
        "by_distance_low": {"0": [v * 0.9 for v in curve], "3+": [v * 0.45 for v in curve]},
        "by_distance_high": {"0": [v * 1.1 for v in curve], "3+": [v * 0.55 for v in curve]},
        "by_distance_positions": {"0": [1000] * 101, "3+": [800] * 101},
        "max_distance": 100,
        "resamples": 1000,
        "seed": 20190425,
    }


def passage_data(
    text: str,
    keys: list[str],
    vocab: list[str],
    shares: dict[str, float] | None = None,
    passage_id: str = "grammar",
    position: int = 28,
) -> dict:
    """A passage file (site/data/passages/<id>.json) for `keys`: made-up connectivity, the same for every
    run, where row 28 puts `shares[key]` of its connectivity before the current word when given."""
    ids = {w: i for i, w in enumerate(vocab)}
    targets = [ids.get(w, -1) for w in text[1:].split(" ") for _ in range(len(w) + 1)]
    models = {}
    for number, key in enumerate(keys):
        values = np.tril(np.random.default_rng(number).uniform(0.01, 1.0, (len(text), len(text))))
        if shares is not None and key in shares:
            values[28, :28] = shares[key] / 28
            values[28, 28] = 1 - shares[key]
        top_ids = [[(number + t + k) % len(vocab) for k in range(3)] for t in range(len(text))]
        top_probs = [[0.3, 0.2, 0.1]] * len(text)
        connectivity = encode_lower_triangle(values)
        models[key] = {"top_ids": top_ids, "top_probs": top_probs, "connectivity": connectivity}
    return {"id": passage_id, "text": text, "position": position, "targets": targets, "models": models}


def write_article_passages(site: Path, keys: list[str], vocab: list[str], **grammar: object) -> None:
    """site/data/passages/<id>.json for every passage block of the real article (made-up data; the
    original's passage with `grammar`'s options, e.g. its shares at 28)."""
    from build import passages

    folder = site / "data" / "passages"
    folder.mkdir(parents=True, exist_ok=True)
    for found in passages.read([ARTICLE_DIR / "index.md"], tuple(keys)):
        options = grammar if found.id == "grammar" else {}
        data = passage_data(found.text, keys, vocab, passage_id=found.id, position=found.position, **options)
        (folder / f"{found.id}.json").write_text(json.dumps(data))


def fixture_json() -> tuple[dict, dict, list[str]]:
    """(results.json, manifest.json, vocab.json) of the fixture run: three models, gru, lstm and nlstm."""
    names = ("results", "manifest", "vocab")
    return tuple(json.loads((FIXTURES / f"{name}.json").read_text()) for name in names)


def build_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, results: dict, manifest: dict, vocab: list[str]
) -> Path:
    """site/index.html rendered from the given JSON into tmp_path/site by the render stage, with the date
    and repository pinned (they come from git) and a stand-in for onnxruntime-web's files."""
    monkeypatch.setattr(profiles, "RUNS_DIR", tmp_path / "runs")
    monkeypatch.setenv("MEMORIZATION_SITE", str(tmp_path / "site"))
    monkeypatch.setattr(provenance, "commit_date", lambda: "2019-01-01")
    monkeypatch.setattr(
        provenance, "repository_url", lambda root=None: "https://github.com/someone/memorization-rnns"
    )
    dist = tmp_path / "ort"
    dist.mkdir()
    for name in site_assets.ORT_FILES:
        (dist / name).write_text("// onnxruntime-web stand-in\n")
    monkeypatch.setattr(site_assets, "ort_dist", lambda: dist)
    profile = profiles.load(results["profile"])
    profile.run_dir.mkdir(parents=True)
    (profile.run_dir / "results.json").write_text(json.dumps(results))
    data = tmp_path / "site" / "data"
    (data / "passages").mkdir(parents=True)
    published = figure_data.published()
    keys = [m["key"] for m in manifest["models"]]
    # the other figures' data, as precompute writes it (the build-time snapshots draw from it)
    curves = {
        "models": {
            k: {
                "name": k,
                "step": [1, 2, 3],
                "seconds": [1, 2, 3],
                "train_loss": [3, 2.5, 2.2],
                "valid_loss": [3, None, 2.3],
            }
            for k in keys
        }
    }
    vanishing = {
        "length": 3,
        "units": 2,
        "cases": [{"label": "radius 0.9", "scale": 0.9, "values": [0.5, 0.8, 1.0]}],
    }
    files = {"manifest": manifest, "vocab": vocab, "published": published, "results": results}
    for name, value in {**files, "curves": curves, "vanishing": vanishing}.items():
        (data / f"{name}.json").write_text(json.dumps(value))
    write_article_passages(tmp_path / "site", keys, vocab)
    return page.render(profile)


def with_models(keys: list[str]) -> tuple[dict, dict, list[str]]:
    """The fixture's JSON with the models `keys`: a fixture model's own entry where the key is one
    (gru, lstm, nlstm), otherwise a copy of the GRU's entries under the new key, named after it."""
    results, manifest, vocab = fixture_json()
    ours = {m["key"]: m for m in results["models"]}
    described = {m["key"]: m for m in manifest["models"]}
    results["models"], manifest["models"] = [], []
    for number, key in enumerate(keys):
        for source, target in ((ours, results["models"]), (described, manifest["models"])):
            entry = copy.deepcopy(source.get(key, source["gru"]))
            if key not in source:
                entry.update(key=key, name=key.upper(), unit=key)
                entry.pop("connectivity_vs_published", None)
                if "test" in entry:
                    entry["test"]["accuracy"] += 0.001 * number  # not the GRU's numbers again
                if "graphs" in entry:
                    entry["graphs"] = {
                        name: {**graph, "file": graph["file"].replace("/gru/", f"/{key}/")}
                        for name, graph in entry["graphs"].items()
                    }
            target.append(entry)
    return results, manifest, vocab
