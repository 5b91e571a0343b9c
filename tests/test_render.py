"""Render: the page is built from the Markdown, the manifest and the results, and escapes what it quotes."""

from __future__ import annotations

import json
from pathlib import Path

from build import precompute, render


def test_page_shows_passages_results_and_provenance(tiny, exported, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MEMORIZATION_SITE", str(tmp_path / "site"))
    precompute.precompute(tiny)
    from build import dataset, evaluate

    for config in tiny.models:
        model, _ = evaluate.load_trained(tiny, config.key)
        evaluate.write_json(
            evaluate.evaluate_model(model, dataset.load(tiny), 8, evaluate.pick_device("cpu")),
            tiny.run_dir / config.key / "eval.json",
        )
    evaluate.write_json(evaluate.evaluate_baseline(dataset.load(tiny)), tiny.run_dir / "baseline.json")
    evaluate.write_json(evaluate.results(tiny), tiny.run_dir / "results.json")

    page = render.render(tiny).read_text()
    manifest = json.loads((tmp_path / "site" / "data" / "manifest.json").read_text())
    assert (
        'data-src="data/passages/grammar.json"' in page
        and (tmp_path / "site" / "data/passages/grammar.json").exists()
    )
    assert 'data-highlights="28 34 106 32 159 162 141"' in page
    assert manifest["commit"][:12] in page and manifest["corpus_sha256"] in page
    assert "profile-note" in page and "<b>tiny</b>" in page  # not the paper profile: said so
    results = json.loads((tiny.run_dir / "results.json").read_text())
    assert f"{results['models'][0]['test']['cross_entropy']:.4f}" in page
    assert (tmp_path / "site" / "style.css").exists() and (tmp_path / "site" / ".nojekyll").exists()
    assert "```" not in page and "PASSAGEFIGURE" not in page


def test_markdown_is_rendered_and_passage_text_escaped(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("# Title <here>\n\nSome *prose* & more.\n\n```passage id=x\nab cd\n```\n\nAfter.\n")
    title, body = render.article_html(path, ("gru",))
    assert title == "Title <here>"  # the template escapes it
    assert "<em>prose</em> &amp; more" in body
    assert body.index('<figure class="passage" id="passage-x"') < body.index("After.")
    assert '<p class="passage-text"> ab cd</p>' in body
