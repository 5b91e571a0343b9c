"""The page's social preview (og:image): the hero figure's passage drawn as a PNG from its data.

Link previews (Open Graph, Twitter cards) show one image and run no JavaScript, so the opening figure is
drawn here at build time with Pillow, no browser: the first characters of the hero's passage, each on a
cell shaded by its connectivity to the prediction at the hero's first selected position, in the colours
the page uses (Memo.colour in COLOURS_SCRIPT, article/static/js/lib/50-colours.js). Same data and Pillow,
same bytes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from build import figure_kinds, site_layout
from build.run_files import ARTICLE_DIR, decode_lower_triangle, replace_bytes

WIDTH, HEIGHT = 1200, 630  # the size Open Graph and Twitter's large card expect (1.91:1)
FILE = "og-image.png"
# The page's script that colours connectivity, whose ramp this module repeats (tests/test_render_og_image.py
# runs it and compares).
COLOURS_SCRIPT = ARTICLE_DIR / "static" / "js" / "lib" / "50-colours.js"

# d3's viridis ramp, entries 72..171, and the part of it the page uses: the same as COLOURS_SCRIPT's.
VIRIDIS_FIRST = 72
VIRIDIS = (
    "375b8d365c8d365d8d355e8d355f8d34608d34618d33628d33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e"
    "2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e"
    "287c8e287d8e277e8e277f8e27808e26818e26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d"
    "228c8d228d8d218e8d218f8d21908d21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a"
    "1e9c891e9d891f9e891f9f881fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab82"
    "25ac8226ad8127ad8128ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b878"
)
LOW, HIGH = 0.29, 2 / 3
_RAMP = [tuple(int(VIRIDIS[i + k : i + k + 2], 16) for k in (0, 2, 4)) for i in range(0, len(VIRIDIS), 6)]

BACKGROUND = (255, 255, 255)
TEXT = (17, 17, 17)
MUTED = (90, 90, 90)


class OgImageError(ValueError):
    """The hero's options do not fit its passage data; the message names the option and the file."""


def colour(ratio: float) -> tuple[int, int, int]:
    """The page's colour of a value as a fraction of its row's largest value (Memo.colour)."""
    ratio = min(max(float(ratio), 0.0), 1.0) if ratio == ratio else 0.0
    position = (LOW + ratio * (HIGH - LOW)) * 256 - 0.5 - VIRIDIS_FIRST
    position = min(max(position, 0.0), len(_RAMP) - 1.0)
    i = int(position)
    j = min(len(_RAMP) - 1, i + 1)
    f = position - i
    return tuple(round(_RAMP[i][c] + f * (_RAMP[j][c] - _RAMP[i][c])) for c in range(3))


def _luminance(rgb: Sequence[int]) -> float:
    linear = [v / 255 / 12.92 if v / 255 <= 0.04045 else ((v / 255 + 0.055) / 1.055) ** 2.4 for v in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def text_colour(rgb: Sequence[int]) -> tuple[int, int, int]:
    """Black or white, whichever contrasts more with `rgb` (Memo.textColour)."""
    lum = _luminance(rgb)
    return (0, 0, 0) if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else (255, 255, 255)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled scalable font: no system font is needed, so every machine draws the same."""
    return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def draw(title: str, text: str, row: np.ndarray, position: int, caption: str) -> Image.Image:
    """The preview: `title`, the characters of `text` shaded by `row` (connectivity to the prediction at
    `position`, which is outlined), and a one-line `caption`."""
    if not 0 <= position < len(text):
        raise OgImageError(f"position {position} is outside the {len(text)} characters drawn")
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    pen = ImageDraw.Draw(image)
    margin = 60
    title_font = _font(48)
    y = margin
    for line in _wrap(pen, title, title_font, WIDTH - 2 * margin)[:2]:
        pen.text((margin, y), line, font=title_font, fill=TEXT)
        y += 60
    y += 30

    columns = 35
    cell_w = (WIDTH - 2 * margin) // columns
    cell_h = 84
    char_font = _font(36)
    peak = float(row[: position + 1].max()) if position >= 0 else 0.0
    for index, char in enumerate(text):
        x0 = margin + (index % columns) * cell_w
        y0 = y + (index // columns) * (cell_h + 14)
        if index <= position:
            fill = colour(row[index] / peak if peak > 0 else 0.0)
        else:
            fill = (238, 238, 238)  # after the prediction: no connectivity to show
        pen.rectangle((x0, y0, x0 + cell_w - 3, y0 + cell_h), fill=fill)
        if index == position:
            pen.rectangle((x0 - 3, y0 - 3, x0 + cell_w, y0 + cell_h + 3), outline=TEXT, width=4)
        shown = "_" if char == " " and index == position else char  # the selected space, made visible
        ink = text_colour(fill) if index <= position else MUTED
        pen.text((x0 + (cell_w - 3) / 2, y0 + cell_h / 2), shown, font=char_font, fill=ink, anchor="mm")

    caption_font = _font(26)
    lines = _wrap(pen, caption, caption_font, WIDTH - 2 * margin)
    y = HEIGHT - margin - 34 * len(lines)
    for line in lines:
        pen.text((margin, y), line, font=caption_font, fill=MUTED)
        y += 34
    return image


def png(image: Image.Image) -> bytes:
    """PNG bytes without a timestamp or other varying chunk, so equal pixels give equal files."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def hero_preview(title: str, passage: dict, options: dict[str, str], model_name: str, source: str) -> bytes:
    """The PNG for the hero figure with `options` (passage, model, chars, links as in the article) over
    `passage` (site/data/passages/<id>.json, already read); `source` names that file in errors. Without
    a `model` option it draws the passage's first model."""
    key = options.get("model") or next(iter(passage["models"]), "")
    if key not in passage["models"]:
        raise OgImageError(f"{source}: the hero's model={key!r} is not in the passage's models")
    text = passage["text"]
    try:
        chars = int(options.get("chars", 70))
        links = [int(v) for v in options.get("links", "").split()]
    except ValueError as error:
        raise OgImageError(f"{source}: the hero's chars/links are not integers: {error}") from error
    length = min(max(chars, 1), len(text))
    links = [i for i in links if 0 <= i < length]
    position = links[0] if links else min(length - 1, max(int(passage.get("position", 0)), 0))
    rows = decode_lower_triangle(passage["models"][key]["connectivity"])
    word_end = text.find(" ", position + 1)
    word = text[text.rfind(" ", 0, position + 1) + 1 : word_end if word_end >= 0 else None]
    caption = (
        f"{model_name}: how strongly each character drives its prediction at index {position}"
        + (f" (the word '{word}')" if word else "")
        + ". Live models, data and code on the page."
    )
    return png(draw(title, text[:length], rows[position], position, caption))


def write(site: Path, title: str, options: dict[str, str], model_name: str) -> Path:
    """site/og-image.png for the hero figure with `options`, from its passage data in `site`."""
    passage_id = options.get("passage", figure_kinds.DEFAULT_PASSAGE)
    path = site_layout.under(site, site_layout.passage_file(passage_id))
    if not path.exists():
        raise OgImageError(f"{path}: the hero's passage={passage_id!r} has no data (run precompute)")
    data = hero_preview(title, json.loads(path.read_text()), options, model_name, str(path))
    target = site / FILE
    if not target.exists() or target.read_bytes() != data:
        replace_bytes(target, data)
    return target
