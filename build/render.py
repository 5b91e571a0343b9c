"""Stage 7, render: article/*.md through Jinja2 templates into site/index.html. Reads files, computes nothing.

A ```passage block becomes a figure element that names its data file (site/data/passages/<id>.json); the
page's scripts (the website issue) draw it from there. Every number shown comes from
<run>/results.json and site/data/manifest.json.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import sys
from pathlib import Path

import jinja2
import markdown

from build import passages as passage_stage
from build import profiles
from build.precompute import ARTICLE_DIR, site_dir

_BLOCK = re.compile(r"^(`{3,}|~{3,})\s*passage(\s.*)?\n.*?^\1\s*$", re.M | re.S)


def passage_figure(passage: passage_stage.Passage, number: int) -> str:
    """The placeholder a passage block becomes: its data file and options as data attributes."""
    attributes = {
        "data-passage": passage.id,
        "data-src": f"data/passages/{passage.id}.json",
        "data-position": str(passage.position),
        "data-highlights": " ".join(map(str, passage.highlights)),
        "data-models": ",".join(passage.models),
    }
    rendered = " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attributes.items())
    return (
        f'<figure class="passage" id="passage-{html.escape(passage.id)}" {rendered}>'
        f'<p class="passage-text">{html.escape(passage.text)}</p>'
        f"<figcaption>Figure {number}: passage “{html.escape(passage.id)}”.</figcaption></figure>"
    )


def article_html(path: Path, models: tuple[str, ...]) -> tuple[str, str]:
    """(title, body HTML) of one Markdown file, its passage blocks replaced by figures."""
    source = path.read_text(encoding="utf-8")
    found = iter(passage_stage.read([path], models))
    figures: list[str] = []

    def replace(_: re.Match) -> str:
        figures.append(passage_figure(next(found), len(figures) + 1))
        return f"\n\nPASSAGEFIGURE{len(figures) - 1}\n\n"

    text = _BLOCK.sub(replace, source)
    title_match = re.match(r"#\s+(.+)\n", text)
    title = title_match.group(1).strip() if title_match else path.stem
    if title_match:
        text = text[title_match.end() :]
    body = markdown.markdown(text, extensions=["tables", "toc"], output_format="html")
    for index, figure in enumerate(figures):
        body = body.replace(f"<p>PASSAGEFIGURE{index}</p>", figure)
    return title, body


def render(profile: profiles.Profile) -> Path:
    site = site_dir()
    manifest = json.loads((site / "data" / "manifest.json").read_text())
    results = json.loads((profile.run_dir / "results.json").read_text())
    keys = tuple(m.key for m in profile.models)
    title, body = article_html(profiles.relative_to_root(ARTICLE_DIR / "index.md"), keys)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ARTICLE_DIR / "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    page = environment.get_template("index.html.j2").render(
        title=title, body=body, manifest=manifest, results=results, paper=profile.name == "paper"
    )
    target = site / "index.html"
    target.write_text(page, encoding="utf-8")
    for asset in (ARTICLE_DIR / "static").iterdir():
        shutil.copyfile(asset, site / asset.name)
    (site / ".nojekyll").touch()
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description="Render the article into site/index.html.")
    profiles.add_arguments(parser)
    profile = profiles.from_arguments(parser.parse_args())
    try:
        target = render(profile)
    except (passage_stage.PassageError, FileNotFoundError, jinja2.TemplateError) as error:
        sys.exit(f"error: {error}")
    print(f"{target}: written")


if __name__ == "__main__":
    main()
