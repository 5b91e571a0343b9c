"""Citations: numbered by first citation, hover cards, the bibliography, BibTeX decoded as LaTeX."""

from __future__ import annotations

from pathlib import Path

import pytest
from pybtex.database import parse_string

from build.render.citations import Citations, bibtex_text, format_reference
from build.render.errors import Origin, RenderError
from tests.render_helpers import BIB, article


def test_citations_are_numbered_with_cards(tmp_path: Path) -> None:
    result = article(tmp_path, "Title: T\n\nFirst [@cho2014], then [@madsen2019; @cho2014].\n")
    body = result.body
    assert '<a href="#ref-cho2014">[1]</a>' in body and '<a href="#ref-madsen2019">[2, 1]</a>' in body
    assert body.count('class="citation-card"') == 3
    keys = [key for key, _ in result.references]
    assert keys == ["cho2014", "madsen2019"]
    assert (
        "doi.org/10.23915/distill.00016" in result.references[1][1]
        and "arXiv:1406.1078" in result.references[0][1]
    )


def test_an_unknown_key_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"index\.md:4: citation @nobody2020 is not in article/references"):
        article(tmp_path, "Title: T\n\nFine [@cho2014].\nCite [@cho2014; @nobody2020].\n")


def test_protect_then_restore() -> None:
    citations = Citations(BIB)
    text = "a [@madsen2019] b [not a citation] [@cho2014;@madsen2019]"
    protected = citations.protect(text, Origin(Path("a.md"), text))
    assert protected == "a MEMOCITE0X b [not a citation] MEMOCITE1X"
    assert citations.cited == ["madsen2019", "cho2014"]
    restored = citations.restore(protected)
    assert '<a href="#ref-cho2014">[2, 1]</a>' in restored and "MEMO" not in restored


def test_bibtex_fields_are_decoded_as_latex() -> None:
    bibliography = parse_string(
        r"""@book{goedel, author = {G{\"o}del, Kurt and Fran{\c{c}}ois, Jean}, title = {Proofs {\&} Machines},
          publisher = {Springer \& Sons}, year = {1931}, pages = {1--12}}""",
        "bibtex",
    )
    assert bibtex_text(r"G{\"o}del \& {E}scher -- {RNNs}") == "Gödel & Escher – RNNs"
    text = format_reference("goedel", bibliography)
    assert "Kurt Gödel and Jean François" in text and "<i>Proofs &amp; Machines</i>" in text
    assert "Springer &amp; Sons" in text and "\\" not in text and "{" not in text
