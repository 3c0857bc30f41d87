from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from studio.demo import DemoMedia, make_demo_media

NO_SKIPS = (
    "a skipped test fails this suite: every default test runs on the default install "
    "(scripts/setup.sh --browser); only the slow and gpu markers leave tests out, by deselecting them"
)


def _as_failure(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Turn a skip into a failure that says why it was skipped (xfail is not a skip)."""
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"{NO_SKIPS}; skipped because: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, object, None]:
    outcome = yield
    _as_failure(outcome.get_result())  # type: ignore[attr-defined]


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, object, None]:
    outcome = yield
    _as_failure(outcome.get_result())  # type: ignore[attr-defined]


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked gpu, selected with ``-m gpu``, fails where there is no CUDA device."""
    if item.get_closest_marker("gpu") is None:
        return
    import torch

    if not torch.cuda.is_available():
        pytest.fail(
            f"{item.name} is marked gpu and needs a CUDA device, but torch {torch.__version__} sees none here "
            "(run -m gpu on a GPU machine with a CUDA build of torch: TORCH_SPEC/TORCH_INDEX in scripts/setup.sh)",
            pytrace=False,
        )


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


@pytest.fixture
def fresh_registry(studio_home: Path) -> Generator[None, None, None]:
    """The process-wide registry and model cache built anew over ``studio_home`` for this
    test, and cleared again after it, so later tests build theirs over the real home."""
    from studio import registry

    registry.default_registry.cache_clear()
    registry.default_cache.cache_clear()
    yield
    registry.default_registry.cache_clear()
    registry.default_cache.cache_clear()
