"""Any text as the models read it: `normalise`, the rules of Mahoney's `wikifil.pl` that made text8.

The corpus stage normalises its text with it, and the page's snapshots the figures' own text, as the
page's script does in the browser (Memo.normalise, article/static/js/lib/20-text.js)."""

from __future__ import annotations

import re

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_DIGIT = re.compile(r"[0-9]")
_NOT_LETTER = re.compile(r"[^a-z]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def normalise(text: str) -> str:
    """Text in text8's form: lowercase a-z words separated by single spaces, digits spelled out.

    Only ASCII A-Z are lowercased into letters, as in text8: any other character (punctuation,
    accented or non-Latin letters, apostrophes, hyphens) separates words.
    """
    text = text.translate(_ASCII_LOWER)
    text = _DIGIT.sub(lambda m: f" {DIGIT_WORDS[int(m.group())]} ", text)
    return _NOT_LETTER.sub(" ", text).strip()
