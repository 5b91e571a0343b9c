"""One quantity, one way: the rendered page (text, captions, appendix, reproducibility panel) is read the
way a reader reads it, and every mention of a quantity it states more than once must agree."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from build.render.template import duration


def page_text(site: Path) -> str:
    """site/index.html as a reader sees it: no scripts or styles, tags dropped, whitespace collapsed."""
    page = (site / "index.html").read_text()
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def mentions(text: str, pattern: str) -> set[str]:
    return {match.replace(",", "") for match in re.findall(pattern, text)}


def test_each_quantity_is_written_the_same_way_everywhere(tiny_site: Path) -> None:
    text = page_text(tiny_site)
    manifest = json.loads((tiny_site / "data" / "manifest.json").read_text())
    published = json.loads((tiny_site / "data" / "published.json").read_text())
    results = json.loads((tiny_site / "data" / "results.json").read_text())
    vocabulary = results["training"]["vocab_size"] - 2
    # vocabulary sizes: ours or the original's 16,384, never our count of output classes as "words"; a
    # distance said in words ("8 characters (1.4 words)") is not a count
    words = mentions(text, r"(?<![\d.,])\b([\d,]+) (?:most frequent )?words\b(?! of the corpus| share)")
    allowed = {str(vocabulary), "16384", str(results["dataset"]["stats"]["words"])}
    assert words <= allowed, f"vocabulary sizes written as {sorted(words)}, expected among {sorted(allowed)}"
    # the original's training: its steps one number, its time one duration
    steps = mentions(text, r"\b([\d,]+) (?:steps|mini-batches) of 64\b")
    assert steps == {"14278"}, steps
    hours = re.findall(r"about (\d+ h \d+ min|[\d.]+ h)", text)
    assert set(hours) == {duration(published["training_seconds"])}, hours
    # our models' sizes and steps: what the appendix table and the reproducibility panel say
    for model in manifest["models"]:
        assert f"{model['name']} {model['steps']:,} steps in" in text
    # no count of differences that the list of differences does not have
    assert not re.search(r"differs? (?:from the original's recipe )?in \w+ respects?", text)
