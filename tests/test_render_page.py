"""Page assembly: the whole page from the repository's article and a tiny run (the session's tiny site),
and a snapshot of the page rendered from the fixture JSON of tests/fixtures/render/.

The snapshot (tests/fixtures/render/index.html) changes whenever the article, its templates, its scripts'
names or the render code change what the page says. After such a change, check the difference and
refresh it with

    MEMORIZATION_UPDATE_SNAPSHOT=1 .venv/bin/python -m pytest tests/test_render_page.py -k snapshot
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from build.render import provenance, site_assets
from build.render.figures import FIGURE_KINDS
from build.run_files import ARTICLE_DIR as ARTICLE
from tests.render_helpers import FIXTURES, build_site, fixture_json, plain, table_row, with_models

SNAPSHOT = FIXTURES / "index.html"


def test_the_article_renders_with_the_real_sources(tiny_site: Path) -> None:
    """The repository's article/index.md and references.bib through the whole stage (tiny profile)."""
    page = (tiny_site / "index.html").read_text()
    manifest = json.loads((tiny_site / "data" / "manifest.json").read_text())
    assert (
        'data-src="data/passages/grammar.json"' in page
        and (tiny_site / "data/passages/grammar.json").exists()
    )
    assert 'data-highlights="28 34 106 32 159 162 141"' in page
    assert manifest["commit"][:12] in page and manifest["corpus_sha256"] in page
    assert "profile-note" in page and "<b>tiny</b>" in page  # not the paper profile: said so
    assert '<script type="application/json" id="memo-manifest">' in page
    loaded = re.findall(r'<script defer src="([^"]+)"></script>', page)
    assert loaded == site_assets.scripts(ARTICLE / "static")  # every script, in the layout's order
    assert loaded[0] == "js/lib/10-memo.js" and loaded[-1] == "js/start.js"
    files = (tiny_site / "js").rglob("*")
    on_disk = sorted(p.relative_to(tiny_site).as_posix() for p in files if p.is_file())
    assert on_disk == sorted(loaded)  # and nothing else in site/js/
    for kind in FIGURE_KINDS:
        assert f'data-figure="{kind}"' in page, kind
    assert "<math" in page and 'class="citation"' in page and 'id="ref-madsen2019"' in page
    assert (tiny_site / ".nojekyll").exists() and (tiny_site / "vendor" / "ort.wasm.min.js").exists()
    prose = re.sub(r'<pre class="bibtex".*?</pre>', "", page, flags=re.S)  # BibTeX braces its names
    assert "```" not in page and "MEMO" not in page and "{{" not in prose
    loads = re.findall(r'<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)="((?:https?:)?//[^"]*)', page)
    assert loads == []  # no CDN: everything the page loads comes from its own folder


def test_the_page_carries_meta_tags_downloads_and_the_reproduce_box(tiny_site: Path) -> None:
    page = (tiny_site / "index.html").read_text()
    meta = dict(re.findall(r'<meta (?:name|property)="([^"]+)" content="([^"]*)"', page))
    assert meta["citation_title"] == meta["og:title"] == meta["twitter:title"]
    assert meta["citation_title"].startswith("Visualizing memorization in RNNs")
    assert re.findall(r'<meta name="citation_author" content="([^"]+)"', page)[0] == "Andreas Madsen"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}", meta["citation_publication_date"])
    assert meta["og:description"] == meta["description"] != "" and meta["og:type"] == "article"
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["og:image"].endswith("og-image.png") and meta["twitter:image"] == meta["og:image"]
    assert (tiny_site / "og-image.png").read_bytes().startswith(b"\x89PNG")
    assert "citation_pdf_url" not in meta  # the build makes no PDF
    links = re.findall(r'<a href="([^"]+)" download>', page)
    assert "data/results.json" in links and len([x for x in links if x.endswith("-onnx.zip")]) == 3
    assert all((tiny_site / link).is_file() for link in links)
    box = re.search(r'<section class="reproduce".*?</section>', page, re.S)[0]
    assert "make article PROFILE=tiny" in box and "constraints.txt" in box
    commit = json.loads((tiny_site / "data" / "manifest.json").read_text())["commit"]
    assert f"git checkout {commit.removesuffix('-dirty')}" in box
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', page)
    assert sheets[-1] == "print.css" and "@media print" in (tiny_site / "print.css").read_text()


def test_the_page_from_the_fixture_json_matches_its_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Render only, from fixture JSON: any change to the page's bytes shows here (see the module's doc)."""
    page = build_site(tmp_path, monkeypatch, *fixture_json()).read_text()
    if os.environ.get("MEMORIZATION_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(page)
    assert page == SNAPSHOT.read_text(), f"the page differs from {SNAPSHOT} (this module's doc: refresh)"


# --- the page for any set of 1 to 6 models ----------------------------------------------------------------

ORIGINAL = {"gru": "GRU", "lstm": "LSTM", "nlstm": "Nested LSTM"}  # the original's published models


@pytest.mark.parametrize(
    "keys",
    [
        ["lstm"],
        ["rnn"],
        ["gru", "rnn"],
        ["gru", "lstm", "nlstm", "rnn"],
        ["rnn", "nlstm", "lstm", "gru", "ab", "cd"],
    ],
    ids="-".join,
)
def test_the_page_renders_for_any_set_of_models(
    keys: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fixture JSON with models dropped or added (a new key is a copy of the GRU's entries): the tables
    list every model, comparisons with the original speak only of models it had, and no sentence names a
    model of ours that the run does not have."""
    results, manifest, vocab = with_models(keys)
    page = build_site(tmp_path, monkeypatch, results, manifest, vocab).read_text()
    text = plain(page)
    names = [m["name"] for m in results["models"]]
    compared = [m for m in results["models"] if m["key"] in ORIGINAL]
    new = [m for m in results["models"] if m["key"] not in ORIGINAL]

    for m in results["models"]:  # both tables list every model; the published columns only the original's
        assert table_row(page, m["name"], 8)[1] == str(m["units"])
        published = table_row(page, m["name"], 7)[5:]
        assert (published == ["–", "–"]) == (m["key"] not in ORIGINAL), (m["name"], published)
    for m in new:  # nothing of the original's is set beside a model it did not have
        name = m["name"]
        assert f"original's {name}" not in text and f"published {name}" not in text
        assert f"Counted that way, our {name} " not in text
        with pytest.raises(AssertionError):
            table_row(page, name, 5)  # no agreement with published connectivity
        assert f"the {name} ( build/units/{m['unit']}.py )" in text  # said to be this build's own
    for key, name in ORIGINAL.items():  # a published model the run does not have is none of ours
        if key not in keys:
            assert f"our {name} " not in text and f"for the {name} " not in text, name
            with pytest.raises(AssertionError):
                table_row(page, name, 7)
    assert "Over all scored test positions the accuracy is" in text
    for name in names:
        assert re.search(rf"[\d.]+% for the {re.escape(name)}\b", text), name
    if compared:
        first = compared[0]["name"]
        assert f"Counted that way, our {first} names the word before any letter" in text
    else:
        assert "Counted that way" not in text
    # the original's published models are always its own, never "the LSTM" of this run
    assert "For the original's published models it is" in text and "% for its Nested LSTM" in text
    assert ("which the original did not have" in text) == bool(new)
    hero = re.search(r'data-figure="hero" data-passage="navy" data-model="([a-z]+)"', page)
    assert hero and hero[1] == keys[0]  # the first model of the run, whatever its key
    assert "MEMO" not in page and "{{" not in re.sub(r'<pre class="bibtex".*?</pre>', "", page, flags=re.S)


def test_the_article_and_templates_name_no_model_key() -> None:
    """Which models there are comes from the run (results.json, the manifest), not from the page's text."""
    sources = [ARTICLE / "index.md", *sorted((ARTICLE / "templates").glob("*"))]
    for path in sources:
        # a paragraph that compares with the original's published models names them, guarded by
        # `models.<key> is defined` for each key it names, so it drops out of a run without them
        for paragraph in re.split(r"\n\s*\n", path.read_text()):
            found = set(re.findall(r"\b(gru|lstm|nlstm)\b", paragraph))
            unguarded = sorted(key for key in found if f"models.{key} is defined" not in paragraph)
            assert unguarded == [], f"{path} names {unguarded} in: {paragraph[:200]}"


def test_every_figure_has_a_page_of_its_own_made_by_the_same_render(tiny_site: Path) -> None:
    page = (tiny_site / "index.html").read_text()
    anchors = re.findall(r'<figure class="memo-figure" id="([^"]+)"', page)
    pages = sorted(p.stem for p in (tiny_site / "figures").glob("*.html"))
    assert len(anchors) >= 9 and pages == sorted(anchors)
    for anchor in anchors:
        alone = (tiny_site / "figures" / f"{anchor}.html").read_text()
        element = re.search(rf'<figure class="memo-figure" id="{anchor}".*?</figure>', page, re.S)[0]
        assert element in alone  # the page's own markup of the figure, caption included
        assert '<base href="../">' in alone and 'id="memo-manifest"' in alone
        assert f'<a href="index.html#{anchor}" target="_top">' in alone  # back to the page
        assert alone.count("<figure ") == 1


@pytest.mark.parametrize("repository", ["https://github.com/ada/memorization", None])
def test_the_editions_identity_fills_the_byline_citation_and_reproduce_box(
    repository: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Authors and repository come from pyproject.toml; a build without a repository says so once."""
    monkeypatch.setattr(
        provenance, "edition", lambda: provenance.Edition(("Ada Lovelace", "Alan Turing"), repository)
    )
    page = build_site(tmp_path, monkeypatch, *fixture_json()).read_text()
    authors = re.findall(r'<meta name="citation_author" content="([^"]+)"', page)
    assert authors == ["Andreas Madsen", "Ada Lovelace", "Alan Turing"]
    assert "Andreas Madsen (original article); Ada Lovelace and Alan Turing (this edition)" in page
    bibtex = re.search(r"@misc\{memorization_rnns_edition,.*?\n\}", page, re.S)[0]
    assert "author = {{Ada Lovelace} and {Alan Turing}}" in bibtex
    box = re.search(r'<section class="reproduce".*?</section>', page, re.S)[0]
    assert "this repository" not in page and "<this" not in page
    if repository:
        assert f"url    = {{{repository}}}" in bibtex and f"git clone {repository} memorization-rnns" in box
        assert f'open an issue in <a href="{repository}">' in page
    else:
        assert "url " not in bibtex and "git clone" not in box and "git checkout" in box
        assert page.count("does not know where its code is published") == 1


def test_the_article_branches_only_where_a_profile_changes_it() -> None:
    """Findings are claims, not branches: the article keeps its Jinja statements under 80 and writes no
    list joins by hand (`each` and `and_join` do them)."""
    text = (ARTICLE / "index.md").read_text()
    assert len(re.findall(r"\{%", text)) <= 80
    assert "loop.revindex" not in text and "loop.last" not in text
