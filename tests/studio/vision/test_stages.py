"""A new analysis stage is one file plus an entry point: a captioner plug-in from this test's
own folder runs in the pipeline without any edit to the core."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.core import InputError
from studio.demo import DemoMedia
from studio.vision import STAGE_ENTRY_POINT_GROUP, AnalyzeOptions, Sample, StageBase, analyze
from studio.vision.stages import order_stages

CAPTIONER = '''
"""A toy captioner: one caption per shot, naming the shot's strongest colour channel."""
import numpy as np

from studio.vision.stages import StageBase
from studio.core.results import Event

COLOURS = ("red", "green", "blue")


class ShotCaptioner(StageBase):
    name = "caption"
    after = ("cut",)
    gives = ("captions",)

    def __init__(self, options, cache):
        self.shots = []  # [start_s, end_s, colour sums]

    def process(self, sample):
        if not self.shots or sample.cut:
            self.shots.append([sample.time_s, sample.time_s, np.zeros(3)])
        shot = self.shots[-1]
        shot[1] = sample.time_s
        shot[2] += sample.image.reshape(-1, 3).mean(axis=0)

    def finish(self, findings):
        for start, end, sums in self.shots:
            text = f"a mostly {COLOURS[int(np.argmax(sums))]} scene"
            findings.events.append(Event("caption", start, end, details={"text": text}))
        findings.metadata["captioner"] = "toy shot captioner"


def make(options, cache):
    return ShotCaptioner(options, cache)
'''


@pytest.fixture
def captioner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    site = tmp_path / "site"
    (site / "toy_captioner-0.1.dist-info").mkdir(parents=True)
    (site / "toy_captioner.py").write_text(CAPTIONER)
    (site / "toy_captioner-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-captioner\n"
                                                                   "Version: 0.1\n")  # fmt: skip
    (site / "toy_captioner-0.1.dist-info" / "entry_points.txt").write_text(
        textwrap.dedent(f"""
        [{STAGE_ENTRY_POINT_GROUP}]
        caption = toy_captioner:make
        """)
    )
    monkeypatch.syspath_prepend(str(site))
    yield
    sys.modules.pop("toy_captioner", None)


def test_a_plugin_stage_runs_in_the_pipeline_without_core_edits(captioner: None, demo: DemoMedia) -> None:
    timeline = analyze(demo.video, AnalyzeOptions(fps=5, tasks=("motion", "caption")))
    captions = [e for e in timeline.events if e.kind == "caption"]
    cuts = demo.truth["cuts_s"]
    assert len(captions) == len(cuts) + 1
    for caption, cut in zip(captions[1:], cuts, strict=True):
        assert cut <= caption.start_s < cut + 0.2 + 1e-6  # the first sample after the cut (5 FPS)
    assert all(c.details["text"].startswith("a mostly ") for c in captions)
    assert timeline.metadata["captioner"] == "toy shot captioner"
    assert timeline.metadata["stages"] == ["cuts", "motion", "caption"]
    assert any(e.kind.startswith("motion") for e in timeline.events)  # the built-in stages ran too


def test_unknown_tasks_list_the_plugins_too(captioner: None) -> None:
    with pytest.raises(
        InputError,
        match=r"unknown task .ocr.; expected some of detect, track, pose, motion, shots, actions, scenes, captions, "
        r"caption",
    ):
        AnalyzeOptions(tasks=("ocr",))


class _Stage(StageBase):
    def __init__(self, name: str, needs: tuple[str, ...] = (), gives: tuple[str, ...] = (),
                 after: tuple[str, ...] = ()) -> None:  # fmt: skip
        self.name, self.needs, self.gives, self.after = name, needs, gives, after

    def process(self, sample: Sample) -> None:
        return None


def test_stages_run_after_what_they_need() -> None:
    pose = _Stage("pose", needs=("tracked",), gives=("keypoints",))
    record = _Stage("tracks", needs=("tracked",), after=("keypoints",), gives=("tracks",))
    track = _Stage("track", needs=("detections",), after=("cut",), gives=("tracked",))
    detect = _Stage("detect", gives=("detections",))
    assert [s.name for s in order_stages([record, pose, track, detect])] == ["detect", "track", "pose", "tracks"]
    assert [s.name for s in order_stages([record, track, detect])] == ["detect", "track", "tracks"]  # no pose: fine
    with pytest.raises(InputError, match="stage 'pose' needs tracked, which no chosen stage gives"):
        order_stages([pose])
    loop = [_Stage("a", needs=("b",), gives=("a",)), _Stage("b", needs=("a",), gives=("b",))]
    with pytest.raises(InputError, match="need each other's results"):
        order_stages(loop)
