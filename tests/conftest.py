from __future__ import annotations

from pathlib import Path

import pytest

from studio.demo import DemoMedia, make_demo_media


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoMedia:
    """The demo video (four shots, caption, espeak-ng narration) and its ground truth."""
    return make_demo_media(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def studio_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty models/outputs home so tests never see the user's installed models."""
    monkeypatch.setenv("MEDIA_STUDIO_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MEDIA_STUDIO_MODELS", raising=False)
    monkeypatch.delenv("MEDIA_STUDIO_OUTPUTS", raising=False)
    return tmp_path / "home"
