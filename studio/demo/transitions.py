"""Synthetic footage with shot transitions and their ground truth, for shot-detection tests
and benchmarks.

A clip is a timeline of shots (scikit-image still photos, each with a slow pan or zoom so
frames move) joined by hard cuts, cross-dissolves and fades through black. The picture is a
function of time alone, so the same timeline rendered at 24, 25, 30000/1001 or 60 FPS shows
the same content at each frame's time (as FFmpeg's fps filter would, without its rounding):
what changes between rates is only where the frames fall.

The truth records, for every transition, its ``kind`` and the real times of its first frame
(``start_s``: the first frame that is no longer the old shot alone) and of the new shot's
first frame (``end_s``: the first frame that is the new shot alone); for a cut the two are
equal. Nothing is downloaded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from studio.core import InputError, fraction_to_str, write_json
from studio.demo.footage import _sample_image
from studio.media import VideoWriter, as_fps

__all__ = ["JOIN_KINDS", "SAMPLE_SHOTS", "ClipShot", "Join", "TransitionClip", "iter_timeline", "make_transition_clip"]

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 (xyxy) in source-image pixels
JOIN_KINDS = ("cut", "dissolve", "fade")


@dataclass(frozen=True)
class ClipShot:
    """One shot: a scikit-image sample photo, shown alone for ``duration_s``, its crop moving
    from ``crop_start`` to ``crop_end`` over all the time it is visible (transitions included)."""

    image: str
    duration_s: float
    crop_start: Box
    crop_end: Box


@dataclass(frozen=True)
class Join:
    """How one shot gives way to the next: ``cut`` (instant), ``dissolve`` (a cross-fade of
    ``duration_s``) or ``fade`` (out to black over the first half, in from black over the second)."""

    kind: str
    duration_s: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in JOIN_KINDS:
            raise InputError(f"expected a join kind in {JOIN_KINDS}, got {self.kind!r}")
        if self.kind == "cut" and self.duration_s != 0:
            raise InputError(f"a cut takes no time, got duration_s={self.duration_s}")
        if self.kind != "cut" and not 0 < self.duration_s <= 10:
            raise InputError(f"expected a {self.kind} of 0-10 s, got duration_s={self.duration_s}")


SAMPLE_SHOTS = (
    ClipShot("astronaut", 1.6, (0, 0, 512, 288), (96, 40, 416, 220)),
    ClipShot("coffee", 1.6, (0, 40, 480, 310), (120, 40, 600, 310)),
    ClipShot("chelsea", 1.6, (120, 40, 360, 175), (0, 20, 451, 274)),
    ClipShot("rocket", 1.6, (0, 60, 480, 330), (160, 60, 640, 330)),
    ClipShot("motorcycle", 1.6, (260, 60, 740, 330), (0, 100, 480, 370)),
    ClipShot("immunohistochemistry", 1.6, (0, 0, 512, 288), (60, 100, 380, 280)),
)  # fmt: skip


@dataclass(frozen=True)
class TransitionClip:
    video: Path
    truth_path: Path
    truth: dict[str, Any]


@dataclass(frozen=True)
class _Placed:
    """A shot on the timeline (exact seconds): visible from ``visible_from_s`` to ``visible_until_s``."""

    shot: ClipShot
    visible_from_s: Fraction
    visible_until_s: Fraction


def _exact(seconds: float) -> Fraction:
    return Fraction(seconds).limit_denominator(10**6)


def _layout(shots: Sequence[ClipShot], joins: Sequence[Join]) -> tuple[list[_Placed], list[tuple[Fraction, Fraction]]]:
    """Each shot's visible span and each join's span ``(begin_s, end_s)`` on the timeline, exact
    (so a cut at 1.6 s falls on frame 48 at 30 FPS, not one frame later by rounding)."""
    if not shots or len(joins) != len(shots) - 1:
        raise InputError(f"expected one join between each two shots, got {len(shots)} shots and {len(joins)} joins")
    if any(not 0 < shot.duration_s <= 3600 for shot in shots):
        raise InputError(f"expected shots of 0-3600 s, got {[shot.duration_s for shot in shots]}")
    spans: list[tuple[Fraction, Fraction]] = []
    clock = Fraction(0)
    for shot, join in zip(shots, joins, strict=False):
        clock += _exact(shot.duration_s)
        spans.append((clock, clock + _exact(join.duration_s)))
        clock += _exact(join.duration_s)
    starts = [Fraction(0)] + [begin for begin, _ in spans]
    ends = [end for _, end in spans] + [clock + _exact(shots[-1].duration_s)]
    return [_Placed(s, a, b) for s, a, b in zip(shots, starts, ends, strict=True)], spans


class _ShotPainter:
    """Draws one shot's picture at a time on the timeline (its crop eased along its span)."""

    def __init__(self, placed: _Placed, size: tuple[int, int]) -> None:
        from PIL import Image

        self.placed = placed
        self.size = size
        self.image = Image.fromarray(_sample_image(placed.shot.image))

    def paint(self, time_s: Fraction) -> np.ndarray:
        from PIL import Image

        span = self.placed.visible_until_s - self.placed.visible_from_s
        t = min(1.0, max(0.0, float((time_s - self.placed.visible_from_s) / span)))
        t = t * t * (3 - 2 * t)
        start, end = self.placed.shot.crop_start, self.placed.shot.crop_end
        x1, y1, x2, y2 = (a + (b - a) * t for a, b in zip(start, end, strict=True))
        picture = self.image.resize(self.size, Image.Resampling.BILINEAR, box=(x1, y1, x2, y2))
        return np.asarray(picture, dtype=np.float32)


def iter_timeline(
    shots: Sequence[ClipShot], joins: Sequence[Join], times_s: Iterable[Fraction], size: tuple[int, int]
) -> Iterator[np.ndarray]:
    """The pictures (``H×W×3`` uint8 RGB at ``size``) of the timeline at ``times_s`` (exact).

    Inside a join's open span ``(begin, end)`` a dissolve mixes the two shots by the fraction
    of the span gone by; a fade darkens the old shot to black over the first half and
    brightens the new one from black over the second. Until ``begin`` the old shot is alone,
    from ``end`` the new one is (for a cut, ``begin == end``: the new shot from the cut on)."""
    placed, spans = _layout(shots, joins)
    painters = [_ShotPainter(p, size) for p in placed]
    for time_s in times_s:
        index = sum(1 for _, end in spans if time_s >= end)  # the shots that have begun alone
        inside = index < len(spans) and spans[index][0] < time_s < spans[index][1]
        if inside:
            join, (begin, end) = joins[index], spans[index]
            u = float((time_s - begin) / (end - begin))
            old, new = painters[index].paint(time_s), painters[index + 1].paint(time_s)
            if join.kind == "dissolve":
                picture = old * (1 - u) + new * u
            else:
                picture = old * max(0.0, 1 - 2 * u) if u < 0.5 else new * max(0.0, 2 * u - 1)
        else:
            picture = painters[index].paint(time_s)
        yield np.clip(np.rint(picture), 0, 255).astype(np.uint8)


def make_transition_clip(
    out_path: str | Path,
    joins: Sequence[Join],
    *,
    shots: Sequence[ClipShot] | None = None,
    fps: Fraction | int | float | str = 30,
    size: tuple[int, int] = (320, 180),
) -> TransitionClip:
    """Write the timeline of ``shots`` (the first ``len(joins) + 1`` of :data:`SAMPLE_SHOTS`
    by default) joined by ``joins`` to ``out_path`` at ``fps``, and its ground truth beside it
    (same name, ``.json``)."""
    rate = as_fps(fps)
    chosen = tuple(shots) if shots is not None else SAMPLE_SHOTS[: len(joins) + 1]
    if shots is None and len(joins) + 1 > len(SAMPLE_SHOTS):
        raise InputError(f"expected at most {len(SAMPLE_SHOTS) - 1} joins with the sample shots, got {len(joins)}")
    placed, spans = _layout(chosen, joins)
    frame_count = math.ceil(placed[-1].visible_until_s * rate)
    video = Path(out_path)
    with VideoWriter(video, fps=rate) as writer:
        for picture in iter_timeline(chosen, joins, (Fraction(k) / rate for k in range(frame_count)), size):
            writer.write(picture)
    transitions = []
    for join, (begin, end) in zip(joins, spans, strict=True):
        end_frame = math.ceil(end * rate)  # the new shot alone from here
        start_frame = end_frame if join.kind == "cut" else math.floor(begin * rate) + 1  # first mixed frame
        transitions.append({
            "kind": join.kind, "start_frame": start_frame, "end_frame": end_frame,
            "start_s": float(start_frame / rate), "end_s": float(end_frame / rate),
        })  # fmt: skip
    truth = {
        "video": video.name,
        "fps": fraction_to_str(rate),
        "size": list(size),
        "frame_count": frame_count,
        "duration_s": float(frame_count / rate),
        "transitions": transitions,
        "shots": [
            {"index": i, "image": p.shot.image, "from_s": float(p.visible_from_s), "until_s": float(p.visible_until_s)}
            for i, p in enumerate(placed)
        ],
    }
    truth_path = video.with_suffix(".json")
    write_json(truth_path, truth)
    return TransitionClip(video=video, truth_path=truth_path, truth=truth)
