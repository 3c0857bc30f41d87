"""Result dataclasses shared by every pipeline and face of the service.

Each type is frozen, names its units (``_s`` seconds, ``fps`` frames per second as an
exact ``Fraction``) and round-trips through JSON with ``to_dict()`` / ``from_dict()``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from fractions import Fraction
from typing import Any

__all__ = ["VideoInfo", "fraction_from_str", "fraction_to_str"]


def fraction_to_str(value: Fraction) -> str:
    """``Fraction(30000, 1001)`` -> ``"30000/1001"`` (JSON-safe and exact)."""
    return f"{value.numerator}/{value.denominator}"


def fraction_from_str(text: str) -> Fraction:
    """Inverse of :func:`fraction_to_str`; also accepts ``"25"``."""
    return Fraction(text)


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`studio.media.probe` learns about a media file.

    ``fps`` is the declared rate from the container header, exact. ``measured_fps``,
    ``min_frame_interval_s``, ``max_frame_interval_s`` and ``is_vfr`` come from the real
    packet timestamps, so a header that lies is caught.
    """

    path: str
    container: str
    codec: str
    width: int
    height: int
    pixel_format: str | None
    duration_s: float
    frame_count: int
    fps: Fraction
    measured_fps: float
    min_frame_interval_s: float
    max_frame_interval_s: float
    is_vfr: bool
    start_s: float
    bit_rate: int | None
    has_audio: bool
    audio_codec: str | None = None
    audio_sample_rate: int | None = None
    audio_channels: int | None = None
    warnings: tuple[str, ...] = ()  # e.g. truncation found by a non-strict probe

    @property
    def frame_interval_s(self) -> float:
        """Nominal seconds between frames from the declared rate."""
        return float(1 / self.fps)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fps"] = fraction_to_str(self.fps)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VideoInfo:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["fps"] = fraction_from_str(str(values["fps"]))
        values["warnings"] = tuple(values.get("warnings", ()))
        return cls(**values)
