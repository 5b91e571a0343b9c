"""Page assembly: the article rendered into article/templates/index.html.j2 with the page's own names
(title, date, repository, scripts, stylesheets, reproduce commands), written to site/index.html beside the
static files, the vendored runtime, the file:// wrappers and the social preview image; and each figure on
a page of its own (figure.html.j2 -> site/figures/<anchor>.html), to embed elsewhere."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import jinja2

from build import passages as passage_stage
from build import profiles, site_layout
from build.render import claims, og_image, provenance, site_assets, snapshots
from build.render.article import Article, render_article
from build.render.citations import read_bibliography
from build.render.context import context
from build.render.errors import RenderError
from build.render.template import environment
from build.run_files import ARTICLE_DIR, site_dir, write_if_changed


def _print_last(name: str) -> tuple[bool, str]:
    return (name == "print.css", name)


def render(profile: profiles.Profile, strict: bool = False) -> Path:
    """site/index.html from the article, the run's results and site/data (reads files only). Claims the
    run does not support are printed and marked on the page; `strict` makes them an error instead."""
    site = site_dir()
    manifest = json.loads(site_layout.under(site, site_layout.MANIFEST).read_text())
    scripts = site_assets.copy_static(ARTICLE_DIR / "static", site)
    site_assets.vendor(site)
    site_assets.wrap_all(site)

    names = context(profile, site, manifest)
    bib_path = profiles.relative_to_root(ARTICLE_DIR / "references.bib")
    bibliography = read_bibliography(bib_path)
    keys = tuple(m.key for m in profile.models)
    article = render_article(profiles.relative_to_root(ARTICLE_DIR / "index.md"), names, keys, bibliography)
    claims.record(article.claims, site)
    claims.report(article.claims, strict)
    title = article.meta.get("title", "Visualizing memorization in RNNs")
    # The edition's authors and repository come from pyproject.toml (the repository else from the git
    # remote); `URL:` in the article's metadata wins over the repository's Pages site.
    if "repository" in article.meta:
        raise ValueError(
            f"{profiles.relative_to_root(ARTICLE_DIR / 'index.md')}: the `Repository:` line belongs in "
            "pyproject.toml, as [project.urls] Repository, the one place the edition's identity is set"
        )
    edition = provenance.edition()
    repository = edition.repository
    site_url = article.meta.get("url") or provenance.pages_url(repository)
    site_url = site_url and site_url.rstrip("/") + "/"
    preview = None
    if article.hero:
        hero = {"model": names["model_list"][0]["key"], **article.hero}  # the first model unless it names one
        hero_model = names["models"].get(hero["model"], {}).get("name", "")
        preview = og_image.write(site, title, hero, hero_model).name
    page = environment(jinja2.FileSystemLoader(ARTICLE_DIR / "templates"), autoescape=True)
    assets = {
        "manifest_json": json.dumps(manifest, separators=(",", ":")).replace("</", "<\\/"),
        "scripts": scripts,
        # print.css last, so that its @media print rules override the screen styles they adjust
        "stylesheets": sorted((p.name for p in (ARTICLE_DIR / "static").glob("*.css")), key=_print_last),
    }
    html_page = page.get_template("index.html.j2").render(
        **names,
        **assets,
        article=article,
        title=title,
        date=provenance.commit_date(),
        repository=repository,
        site_url=site_url,
        preview=preview and (site_url or "") + preview,
        edition_authors=edition.authors,
        citation_authors=[*provenance.citation_authors(article.meta.get("authors", "")), *edition.authors],
        reproduce=provenance.reproduce_commands(profile, repository, manifest.get("commit")),
    )
    target = site / "index.html"
    write_if_changed(target, html_page)
    write_figure_pages(site, page.get_template("figure.html.j2"), article, title, manifest.get("run"), assets)
    snapshots.write(site, list(article.figure_list), manifest)
    (site / ".nojekyll").touch()
    return target


def write_figure_pages(
    site: Path, template: jinja2.Template, article: Article, title: str, run: str | None, assets: dict
) -> None:
    """site/figures/<anchor>.html for every figure: the figure alone (live where it is live), its caption
    and a link back to the page, for an <iframe> elsewhere. Pages of figures the article no longer has go."""
    folder = site_layout.under(site, site_layout.FIGURE_PAGES)
    folder.mkdir(exist_ok=True)
    for anchor in article.anchors:
        element = article.figure(anchor)
        number = re.search(r'<span class="figure-number">(.*?):</span>', element)
        html_page = template.render(
            **assets,
            title=title,
            run=run,
            anchor=anchor,
            figure_html=element,
            figure_title=number[1] if number else anchor,
        )
        write_if_changed(site_layout.under(site, site_layout.figure_page(anchor)), html_page)
    wanted = {site_layout.under(site, site_layout.figure_page(a)) for a in article.anchors}
    for stale in set(folder.glob("*.html")) - wanted:
        stale.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description="Render the article into site/index.html.")
    profiles.add_arguments(parser)
    parser.add_argument(
        "--strict",
        action="store_true",
        help="a claim of the article that this run does not support is an error",
    )
    args = parser.parse_args()
    profile = profiles.from_arguments(args)
    try:
        target = render(profile, strict=args.strict)
    except (
        RenderError,
        passage_stage.PassageError,
        site_assets.AssetError,
        og_image.OgImageError,
        FileNotFoundError,
    ) as error:
        sys.exit(f"error: {error}")
    print(f"{target}: written")
