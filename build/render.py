"""Stage 7, render: article/index.md through Jinja2 and Markdown into site/index.html. Reads files only.

The article is a Jinja2 template over the build's numbers (results.json, manifest.json, the published
reference), so no number is typed by hand. On top of Python-Markdown it knows:
    ```passage ...```  a passage figure (build/passages.py); its data file is site/data/passages/<id>.json
    ```figure KIND k=v``` a figure drawn by site/js/figures/KIND.js; the block's body is its caption
    $...$, $$...$$     TeX, typeset by KaTeX (node, build/render_math.mjs) into MathML at build time
    [@key; @key2]      citations of article/references.bib, with hover cards and a bibliography
    (#passage-ID@POS)  a link that selects output index POS in the figure of passage ID
    <!-- appendix -->  what follows goes into the appendix
Every problem stops the build with `file:line: message`. See article/README.md for the writing guide.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shlex
import shutil
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import jinja2
import markdown
import numpy as np
from pybtex.database import BibliographyData, PybtexError, parse_file

from build import passages as passage_stage
from build import profiles, site_assets
from build.precompute import ARTICLE_DIR, decode_lower_triangle, site_dir

FIGURE_KINDS = ("hero", "vanishing", "units", "autocomplete", "accuracy", "curves", "owntext")
APPENDIX_MARK = "<!-- appendix -->"
# Scripts in load order: the core, the libraries (scripts that register no figure, e.g. chart.js), the
# passage view (hero.js builds on it), then the other figures: a figure starts as soon as it registers.
FIRST_SCRIPTS = ("js/memo.js",)
SHARED_FIGURES = ("js/figures/passage.js",)
_BLOCK = re.compile(
    r"^(?P<fence>`{3,}|~{3,})[ \t]*(?P<name>passage|figure)\b(?P<info>[^\n]*)\n"
    r"(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.M | re.S,
)
_MATH = re.compile(
    r"\$\$(?P<display>.+?)\$\$|(?<![\\$\w])\$(?P<inline>[^\s$](?:[^$\n]*?[^\s\\$])?)\$(?!\w)", re.S
)
_CITATION = re.compile(r"\[(@[\w:-]+(?:\s*;\s*@[\w:-]+)*)\]")
_PASSAGE_LINK = re.compile(r'href="#passage-([a-z0-9-]+)@(\d+)"')


class RenderError(ValueError):
    """The article cannot be rendered; the message starts with `file:line:` where there is one."""


def _line(source: str, offset: int) -> int:
    return source.count("\n", 0, offset) + 1


def _placeholder(kind: str, index: int) -> str:
    """A token Markdown leaves alone (letters and digits only), swapped for HTML after it ran."""
    return f"MEMO{kind}{index}X"


# --- figures -------------------------------------------------------------------------------------------


@dataclass
class Figure:
    kind: str  # "passage" or one of FIGURE_KINDS
    options: dict[str, str]
    caption: str  # Markdown (a Jinja2 template like the rest)
    source: str  # file:line


def parse_figure(info: str, body: str, source: str) -> Figure:
    words = shlex.split(info)
    if not words or words[0] not in FIGURE_KINDS:
        found = words[0] if words else "nothing"
        raise RenderError(f"{source}: figure kind {found!r} is not one of {', '.join(FIGURE_KINDS)}")
    options = {}
    for word in words[1:]:
        key, equals, value = word.partition("=")
        if not equals or not re.fullmatch(r"[a-z][a-z-]*", key):
            raise RenderError(f"{source}: figure option {word!r} is not key=value")
        options[key] = value
    return Figure(words[0], options, body.strip(), source)


def figure_html(figure: Figure, number: int, caption_html: str, passage: passage_stage.Passage | None) -> str:
    """The element a figure script fills: kind, options and data file as data attributes, the caption."""
    if passage is not None:
        attributes = {
            "id": f"passage-{passage.id}",
            "data-figure": "passage",
            "data-passage": passage.id,
            "data-src": f"data/passages/{passage.id}.json",
            "data-position": str(passage.position),
            "data-highlights": " ".join(map(str, passage.highlights)),
            "data-models": ",".join(passage.models),
        }
        fallback = f'<p class="passage-text">{html.escape(passage.text)}</p>'
        label = (
            f"Passage “{passage.id}” as each model reads it. Choose an output position by hovering, tapping"
            " or with the arrow keys: the colour of each earlier character shows its connectivity to the"
            " prediction there, and each model's top three words are listed."
        )
    else:
        attributes = {"id": f"figure-{figure.kind}-{number}", "data-figure": figure.kind}
        attributes.update({f"data-{key}": value for key, value in figure.options.items()})
        fallback = '<p class="memo-noscript">This figure needs JavaScript.</p>'
        label = figure.kind
    rendered = " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attributes.items())
    caption = caption_html or html.escape(label)
    return (
        f'<figure class="memo-figure" {rendered} aria-labelledby="{attributes["id"]}-caption">'
        f'<div class="figure-body" data-state="idle" data-updates="0">{fallback}</div>'
        f'<figcaption id="{attributes["id"]}-caption"><span class="figure-number">Figure {number}:</span> '
        f"{caption}</figcaption></figure>"
    )


# --- math and citations ----------------------------------------------------------------------------------


def typeset(expressions: list[tuple[str, bool, str]]) -> list[str]:
    """MathML of (tex, display, source) expressions, all in one node run."""
    if not expressions:
        return []
    script = profiles.ROOT / "build" / "render_math.mjs"
    payload = json.dumps([{"tex": tex, "display": display} for tex, display, _ in expressions])
    try:
        done = subprocess.run(
            ["node", str(script)],
            input=payload,
            capture_output=True,
            text=True,
            check=True,
            cwd=profiles.ROOT,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or error
        raise RenderError(
            f"{script}: KaTeX failed (is node installed and `npm ci` run?): {detail}"
        ) from error
    results = json.loads(done.stdout)
    for (tex, _, source), result in zip(expressions, results, strict=True):
        if "error" in result:
            raise RenderError(f"{source}: {result['error']} in ${tex}$")
    return [result["html"] for result in results]


def format_reference(key: str, bibliography: BibliographyData) -> str:
    """One reference as HTML: authors, title, venue, year, link."""
    entry = bibliography.entries[key]
    fields = entry.fields
    people = entry.persons.get("author", [])
    names = [" ".join(p.first_names + p.middle_names + p.prelast_names + p.last_names) for p in people]
    authors = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + (names[-1] if names else "")

    def clean(value: str) -> str:
        return html.escape(value.replace("{", "").replace("}", "").replace("\\&", "&"))

    venue = (
        fields.get("journal")
        or fields.get("booktitle")
        or fields.get("publisher")
        or fields.get("howpublished")
    )
    if not venue and fields.get("eprint"):
        venue = f"arXiv:{fields['eprint']}"
    parts = [clean(authors), f"<i>{clean(fields.get('title', key))}</i>"]
    parts += [clean(venue)] if venue else []
    parts += [clean(fields.get("year", ""))] if fields.get("year") else []
    link = f"https://doi.org/{fields['doi']}" if fields.get("doi") else fields.get("url")
    text = ". ".join(p for p in parts if p) + "."
    if link:
        text += f' <a href="{html.escape(link, quote=True)}">{html.escape(link)}</a>'
    return text


# --- the article's names -----------------------------------------------------------------------------------


def share_before_word(text: str, row: np.ndarray, index: int) -> float:
    """The fraction of position `index`'s connectivity on characters before its word (its space included)."""
    start = text.rfind(" ", 0, index + 1)
    total = float(row[: index + 1].sum())
    return float(row[:start].sum()) / total if total > 0 else 0.0


def _percent(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}%"


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")


def context(profile: profiles.Profile, site: Path, manifest: dict) -> dict:
    """Every name the article's Jinja2 expressions can use (article/README.md lists them)."""
    results = json.loads((profile.run_dir / "results.json").read_text())
    published = json.loads((site / "data" / "published.json").read_text())
    described = {entry["key"]: entry for entry in manifest["models"]}
    model_list = [{**described.get(m["key"], {}), **m} for m in results["models"]]
    passages = {}

    def passage_rows(passage_id: str, key: str) -> tuple[str, np.ndarray]:
        if passage_id not in passages:
            path = site / "data" / "passages" / f"{passage_id}.json"
            if not path.exists():
                raise RenderError(f"share_before_word: no passage {passage_id!r} ({path} missing)")
            passages[passage_id] = json.loads(path.read_text())
        data = passages[passage_id]
        if key not in data["models"]:
            raise RenderError(f"share_before_word: passage {passage_id!r} has no model {key!r}")
        return data["text"], decode_lower_triangle(data["models"][key]["connectivity"])

    def ours(passage_id: str, key: str, index: int) -> float:
        text, rows = passage_rows(passage_id, key)
        return share_before_word(text, rows[index], index)

    vocab: list[str] = []

    def target(passage_id: str, index: int) -> str | None:
        """The word the passage's position `index` belongs to, or None when it is not in the vocabulary."""
        passage_rows(passage_id, next(iter(described)))
        word_id = passages[passage_id]["targets"][index]
        if word_id < 0:
            return None
        vocab[:] = vocab or json.loads((site / "data" / "vocab.json").read_text())
        return vocab[word_id]

    def theirs(key: str, index: int) -> float:
        text = published["passage"]["text"]
        rows = decode_lower_triangle(published["passage"]["models"][key]["connectivity"])
        return share_before_word(text, rows[index], index)

    return {
        "models": {m["key"]: m for m in model_list},
        "model_list": model_list,
        "baseline": results["baseline"],
        "dataset": {**results["dataset"]["stats"], **results["dataset"]["recipe"]},
        "training": results["training"],
        "published": published,
        "profile": profile.name,
        "corpus": profile.corpus,
        "paper": profile.name == "paper",
        "manifest": manifest,
        "share_before_word": ours,
        "published_share_before_word": theirs,
        "passage_target": target,
    }


def environment(loader: jinja2.BaseLoader, autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=loader, autoescape=autoescape, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    env.filters.update(
        percent=_percent,
        thousands=lambda value: f"{value:,}",
        fixed=lambda value, digits=2: f"{value:.{digits}f}",
        duration=_duration,
        bytes=_bytes,
    )
    return env


# --- the article ------------------------------------------------------------------------------------------


@dataclass
class Article:
    meta: dict[str, str]
    body: str
    appendix: str
    toc: str
    references: list[tuple[str, str]]  # (key, HTML), in citation order
    figures: int


def render_article(
    path: Path, names: dict, models: tuple[str, ...], bibliography: BibliographyData
) -> Article:
    """The article's HTML from its Markdown: blocks, Jinja2, math, citations, Markdown, links."""
    source = path.read_text(encoding="utf-8")
    passages = iter(passage_stage.read([path], models))
    passage_ids: dict[str, int] = {}
    figures: list[tuple[Figure, passage_stage.Passage | None]] = []

    def take_block(match: re.Match) -> str:
        where = f"{path}:{_line(source, match.start())}"
        if match["name"] == "passage":
            passage = next(passages)
            passage_ids[passage.id] = len(passage.text)
            figures.append((Figure("passage", {}, "", where), passage))
        else:
            figures.append((parse_figure(match["info"], match["body"], where), None))
        # Keep the line count so that Jinja2's line numbers still point into the file.
        return f"\n{_placeholder('FIGURE', len(figures) - 1)}\n" + "\n" * (match.group(0).count("\n") - 1)

    text = _BLOCK.sub(take_block, source)
    env = environment(jinja2.BaseLoader(), autoescape=False)

    def expand(template: str, where: str, first_line: int = 1) -> str:
        try:
            return env.from_string(template).render(names)
        except jinja2.TemplateSyntaxError as error:
            raise RenderError(
                f"{where.split(':')[0]}:{first_line + error.lineno - 1}: {error.message}"
            ) from error
        except (jinja2.UndefinedError, TypeError, KeyError, ValueError, IndexError) as error:
            lines = [
                f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == "<template>"
            ]
            if lines:
                where = f"{where.split(':')[0]}:{first_line + lines[-1] - 1}"
            raise RenderError(f"{where}: {type(error).__name__}: {error}") from error

    text = expand(text, str(path))

    cited: list[str] = []
    expressions: list[tuple[str, bool, str]] = []

    def protect(part: str, where: str) -> str:
        """Math and citations become placeholders so Markdown cannot mangle them."""

        def math(match: re.Match) -> str:
            display = match["display"] is not None
            expressions.append(((match["display"] if display else match["inline"]).strip(), display, where))
            return _placeholder("MATH", len(expressions) - 1)

        def cite(match: re.Match) -> str:
            keys = [key.strip().lstrip("@") for key in match[1].split(";")]
            for key in keys:
                if key not in bibliography.entries:
                    raise RenderError(f"{where}: citation @{key} is not in article/references.bib")
                if key not in cited:
                    cited.append(key)
            citations.append(keys)
            return _placeholder("CITE", len(citations) - 1)

        return _CITATION.sub(cite, _MATH.sub(math, part))

    citations: list[list[str]] = []
    text = protect(text, str(path))
    converter = markdown.Markdown(extensions=["meta", "tables", "toc", "footnotes", "attr_list"])
    captions = []
    for figure, _ in figures:
        first_line = int(figure.source.rsplit(":", 1)[1]) + 1
        caption = expand(figure.caption, figure.source, first_line) if figure.caption else ""
        caption = protect(caption, figure.source)
        captions.append(converter.reset().convert(caption) if caption else "")
    converter.reset()
    body = converter.convert(text)
    meta = {key: " ".join(value) for key, value in converter.Meta.items()}
    toc = converter.toc

    mathml = typeset(expressions)
    references = {key: format_reference(key, bibliography) for key in cited}

    def finish(part: str) -> str:
        for index, keys in enumerate(citations):
            numbers = ", ".join(str(cited.index(key) + 1) for key in keys)
            cards = "".join(f'<span class="citation-card">{references[key]}</span>' for key in keys)
            links = f'<a href="#ref-{keys[0]}">[{numbers}]</a>'
            part = part.replace(
                _placeholder("CITE", index), f'<span class="citation" tabindex="0">{links}{cards}</span>'
            )
        for index, rendered in enumerate(mathml):
            part = part.replace(_placeholder("MATH", index), rendered)
        return part

    for index, ((figure, passage), caption) in enumerate(zip(figures, captions, strict=True)):
        caption_html = finish(re.sub(r"^<p>(.*)</p>$", r"\1", caption, flags=re.S))
        element = figure_html(figure, index + 1, caption_html, passage)
        body = body.replace(f"<p>{_placeholder('FIGURE', index)}</p>", element)
    body = finish(body)

    def link(match: re.Match) -> str:
        passage_id, position = match[1], int(match[2])
        if passage_id not in passage_ids or position >= passage_ids[passage_id]:
            raise RenderError(f"{path}: link #passage-{passage_id}@{position}: no such passage or index")
        return f'href="#passage-{passage_id}" data-select="{position}"'

    body = _PASSAGE_LINK.sub(link, body)
    main, _, appendix = body.partition(APPENDIX_MARK)
    return Article(meta, main, appendix, toc, [(key, references[key]) for key in cited], len(figures))


def commit_date() -> str:
    """The date of the commit the site is built from (not today's: the same inputs give the same page)."""
    try:
        done = subprocess.run(
            ["git", "log", "-1", "--format=%cs"],
            capture_output=True,
            text=True,
            check=True,
            cwd=profiles.ROOT,
        )
        return done.stdout.strip() or "unknown"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def read_bibliography(path: Path) -> BibliographyData:
    try:
        return parse_file(str(path), bib_format="bibtex")
    except (OSError, PybtexError) as error:
        raise RenderError(f"{path}: {error}") from error


def scripts(site: Path) -> list[str]:
    found = sorted(p.relative_to(site).as_posix() for p in (site / "js").rglob("*.js"))
    libraries = [s for s in found if "Memo.register(" not in (site / s).read_text(encoding="utf-8")]
    order = [*FIRST_SCRIPTS, *libraries, *SHARED_FIGURES]
    return [s for s in order if s in found] + [s for s in found if s not in order]


def render(profile: profiles.Profile) -> Path:
    site = site_dir()
    manifest = json.loads((site / "data" / "manifest.json").read_text())
    shutil.copytree(ARTICLE_DIR / "static", site, dirs_exist_ok=True)
    site_assets.vendor(site)
    site_assets.wrap_all(site)

    names = context(profile, site, manifest)
    bib_path = profiles.relative_to_root(ARTICLE_DIR / "references.bib")
    bibliography = read_bibliography(bib_path)
    keys = tuple(m.key for m in profile.models)
    article = render_article(profiles.relative_to_root(ARTICLE_DIR / "index.md"), names, keys, bibliography)
    page = environment(jinja2.FileSystemLoader(ARTICLE_DIR / "templates"), autoescape=True)
    html_page = page.get_template("index.html.j2").render(
        **names,
        article=article,
        title=article.meta.get("title", "Visualizing memorization in RNNs"),
        date=commit_date(),
        manifest_json=json.dumps(manifest, separators=(",", ":")).replace("</", "<\\/"),
        scripts=scripts(site),
        stylesheets=sorted(p.name for p in (ARTICLE_DIR / "static").glob("*.css")),
    )
    target = site / "index.html"
    profiles.write_if_changed(target, html_page)
    (site / ".nojekyll").touch()
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description="Render the article into site/index.html.")
    profiles.add_arguments(parser)
    profile = profiles.from_arguments(parser.parse_args())
    try:
        target = render(profile)
    except (RenderError, passage_stage.PassageError, site_assets.AssetError, FileNotFoundError) as error:
        sys.exit(f"error: {error}")
    print(f"{target}: written")


if __name__ == "__main__":
    main()
