"""Citations and the bibliography: `[@key]` or `[@key1; @key2]`, keys of article/references.bib, become
numbered links (in order of first citation) with a hover card per reference; the page lists what is cited.
"""

from __future__ import annotations

import codecs
import html
import re
from pathlib import Path

import latexcodec  # noqa: F401  (registers the "ulatex" codec that bibtex_text decodes with)
from pybtex.database import BibliographyData, PybtexError, parse_file

from build.render.errors import Origin, RenderError, placeholder

_CITATION = re.compile(r"\[(@[\w:-]+(?:\s*;\s*@[\w:-]+)*)\]")


def read_bibliography(path: Path) -> BibliographyData:
    try:
        return parse_file(str(path), bib_format="bibtex")
    except (OSError, PybtexError) as error:
        raise RenderError(f"{path}: {error}") from error


def bibtex_text(value: str) -> str:
    """A BibTeX field as plain text: LaTeX accents, escapes and dashes decoded by latexcodec ({\\"o} -> ö,
    \\& -> &, -- -> en dash), then the grouping braces dropped."""
    return codecs.decode(value, "ulatex").replace("{", "").replace("}", "")


def format_reference(key: str, bibliography: BibliographyData) -> str:
    """One reference as HTML: authors, title, venue, year, link."""
    entry = bibliography.entries[key]
    fields = entry.fields
    people = entry.persons.get("author", [])
    names = [" ".join(p.first_names + p.middle_names + p.prelast_names + p.last_names) for p in people]
    authors = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + (names[-1] if names else "")

    def clean(value: str) -> str:
        return html.escape(bibtex_text(value))

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


class Citations:
    """The citations taken out of the texts it protected, numbered by first citation."""

    def __init__(self, bibliography: BibliographyData) -> None:
        self.bibliography = bibliography
        self.cited: list[str] = []  # keys in order of first citation
        self.groups: list[list[str]] = []  # the keys of each citation; group i is placeholder("CITE", i)
        self._formatted: dict[str, str] = {}  # key -> its reference's HTML, formatted once

    def protect(self, text: str, origin: Origin) -> str:
        """`text` with each citation replaced by a placeholder; a key not in the bibliography is an error."""

        def take(match: re.Match) -> str:
            keys = [key.strip().lstrip("@") for key in match[1].split(";")]
            for key in keys:
                if key not in self.bibliography.entries:
                    where = origin.at(f"@{key}")
                    raise RenderError(f"{where}: citation @{key} is not in article/references.bib")
                if key not in self.cited:
                    self.cited.append(key)
            self.groups.append(keys)
            return placeholder("CITE", len(self.groups) - 1)

        return _CITATION.sub(take, text)

    def references(self) -> list[tuple[str, str]]:
        """(key, HTML) of every cited reference, in citation order: the bibliography."""
        for key in self.cited:
            if key not in self._formatted:
                self._formatted[key] = format_reference(key, self.bibliography)
        return [(key, self._formatted[key]) for key in self.cited]

    def restore(self, page: str) -> str:
        """`page` with each citation's placeholder replaced by its numbered link and hover cards (call it
        once every text is protected, so that the numbers are final)."""
        references = dict(self.references())
        for index, keys in enumerate(self.groups):
            numbers = ", ".join(str(self.cited.index(key) + 1) for key in keys)
            cards = "".join(f'<span class="citation-card">{references[key]}</span>' for key in keys)
            links = f'<a href="#ref-{keys[0]}">[{numbers}]</a>'
            page = page.replace(
                placeholder("CITE", index), f'<span class="citation" tabindex="0">{links}{cards}</span>'
            )
        return page
