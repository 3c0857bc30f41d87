"""PP-OCRv4 (the ONNX graphs shipped in PyPI rapidocr-onnxruntime) through the registry: text
drawn at known places on known backgrounds is read back with its box; prompt adherence leaves
quoted words unchecked where no OCR model is registered."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.ocr_rapidocr import SPECS
from studio.core import InputError, Settings
from studio.demo import DemoMedia
from studio.evaluate import prompt_adherence
from studio.registry import ModelCache, Registry
from studio.vision import TextReader


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> ModelCache:
    root = tmp_path_factory.mktemp("ocr-home")
    return ModelCache(Registry(SPECS), Settings(root, root / "models", root / "outputs", device="cpu"))


def _sign(text: str, origin: tuple[int, int], colour: tuple[int, int, int],
          back: int) -> tuple[np.ndarray, tuple[int, int, int, int]]:  # fmt: skip
    """A picture with ``text`` drawn at ``origin`` in Pillow's own font, and the text's exact box."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (480, 240), (back, back, back))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=40)
    draw.text(origin, text, fill=colour, font=font)
    box = draw.textbbox(origin, text, font=font)
    return np.asarray(image), (int(box[0]), int(box[1]), int(box[2]), int(box[3]))


def test_text_drawn_at_known_places_is_read_back_with_its_box(cache: ModelCache) -> None:
    assert cache.registry.get("pp-ocrv4").is_installed(cache.settings)
    reader = cache.get("pp-ocrv4", kind=TextReader)
    (open_sign, open_box), (exit_sign, exit_box) = (_sign("OPEN 24 HOURS", (30, 40), (255, 255, 255), 20),
                                                    _sign("EXIT 7", (220, 160), (10, 10, 10), 230))  # fmt: skip
    blank = np.full((240, 480, 3), 128, np.uint8)
    first, second, nothing = reader.read_text([open_sign, exit_sign, blank])
    assert [line.text.replace(" ", "") for line in first] == ["OPEN24HOURS"]
    assert [line.text.replace(" ", "") for line in second] == ["EXIT7"]
    assert nothing == []
    for [line], truth in ((first, open_box), (second, exit_box)):  # the box Pillow drew it in, within a few px
        assert np.abs(np.subtract(line.box_xyxy, truth)).max() <= 8, (line.box_xyxy, truth)
        assert 0.8 <= line.score <= 1.0
    with pytest.raises(InputError, match="RGB"):
        reader.read_text([blank[:, :, 0]])


def test_without_an_ocr_model_quoted_words_stay_unchecked(demo: DemoMedia, tmp_path: Path) -> None:
    from studio.registry import default_cache

    models = default_cache()
    bare = ModelCache(Registry([s for s in models.registry.specs() if s.task != "ocr"]), models.settings)
    report = prompt_adherence(demo.video, 'a cup and a sign saying "COFFEE BREAK"', cache=bare)
    assert {m.words: m.found for m in report.mentions} == {"cup": True, "COFFEE BREAK": None}
    assert (report.checked, report.found) == (1, 1) and "ocr" not in report.models
