"""Text drawn into frames with Pillow: burned-in subtitles and title cards.

Pillow's own scalable font (``ImageFont.load_default(size=...)``) is used, so no system font
has to be installed and every machine draws the same letters.
"""

from __future__ import annotations

import textwrap

import numpy as np

__all__ = ["burn_caption", "title_card"]

CAPTION_HEIGHT_SHARE = 0.07  # text height as a share of the frame height (broadcast subtitles are ~5-8 %)
MIN_FONT_PX = 8


def _font(size: int):  # type: ignore[no-untyped-def]
    from PIL import ImageFont

    return ImageFont.load_default(size=max(MIN_FONT_PX, size))


def _fit_lines(text: str, width_px: int, size: int) -> list[str]:
    """``text`` wrapped so that each line fits ``width_px`` at font ``size``."""
    font = _font(size)
    columns = max(8, int(width_px / max(1.0, font.getlength("x"))))
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines += textwrap.wrap(paragraph, width=columns) or [""]
    return lines


def burn_caption(frame: np.ndarray, text: str) -> np.ndarray:
    """``frame`` (H×W×3 uint8) with ``text`` drawn centred near the bottom on a dark band."""
    from PIL import Image, ImageDraw

    height, width = frame.shape[:2]
    size = max(MIN_FONT_PX, round(height * CAPTION_HEIGHT_SHARE))
    font, lines = _font(size), _fit_lines(text, int(width * 0.9), size)
    line_px = round(size * 1.25)
    picture = Image.fromarray(frame)
    draw = ImageDraw.Draw(picture, "RGBA")
    top = height - round(size * 0.6) - line_px * len(lines)
    draw.rectangle((0, top - size // 4, width, height), fill=(0, 0, 0, 160))
    for row, line in enumerate(lines):
        left = (width - font.getlength(line)) / 2
        draw.text((left, top + row * line_px), line, font=font, fill=(255, 255, 255, 255))
    return np.asarray(picture)


def title_card(text: str, width: int, height: int) -> np.ndarray:
    """A black H×W×3 frame with ``text`` centred in large letters."""
    from PIL import Image, ImageDraw

    size = max(MIN_FONT_PX, round(height * 0.09))
    font, lines = _font(size), _fit_lines(text, int(width * 0.85), size)
    line_px = round(size * 1.3)
    picture = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(picture)
    top = (height - line_px * len(lines)) / 2
    for row, line in enumerate(lines):
        draw.text(((width - font.getlength(line)) / 2, top + row * line_px), line, font=font, fill=(255, 255, 255))
    return np.asarray(picture)
