"""Zones and lines over tracks: loitering, zone entries and line-crossing counts.

Crossing and in-zone tests are supervision's ``LineZone`` and ``PolygonZone``; this module
keeps per-track state over time and turns it into timeline events. Coordinates are
source pixels.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from studio.core import Event, InputError
from studio.vision.detections import Detections

__all__ = ["ZoneWatcher", "parse_line", "parse_lines", "parse_zone", "parse_zones"]


def _numbers(text: str, what: str) -> tuple[str, list[float]]:
    name, sep, rest = text.partition(":")
    try:
        values = [float(v) for v in rest.split(",")]
    except ValueError:
        values = []
    if not sep or not name or not values:
        raise InputError(f"expected {what} like 'door:10,20,300,20', got {text!r}")
    if not all(math.isfinite(v) and abs(v) <= 1e6 for v in values):
        raise InputError(f"expected {what} of finite pixel coordinates (|x|, |y| <= 1e6), got {text!r}")
    return name, values


def parse_zone(text: str) -> tuple[str, np.ndarray]:
    """``"name:x1,y1,x2,y2,x3,y3,..."`` (at least three points) -> polygon."""
    name, values = _numbers(text, "a zone")
    if len(values) < 6 or len(values) % 2:
        raise InputError(f"expected a zone with at least three x,y points, got {text!r}")
    return name, np.array(values, dtype=np.float64).reshape(-1, 2)


def parse_line(text: str) -> tuple[str, tuple[float, float, float, float]]:
    """``"name:x1,y1,x2,y2"`` -> line."""
    name, values = _numbers(text, "a line")
    if len(values) != 4:
        raise InputError(f"expected a line with two x,y points, got {text!r}")
    if values[:2] == values[2:]:
        raise InputError(f"expected a line between two different points, got {text!r}")
    return name, (values[0], values[1], values[2], values[3])


def _by_name(items: list[tuple[str, Any]], flag: str) -> dict[str, Any]:
    names = [name for name, _ in items]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise InputError(f"{flag} names {', '.join(map(repr, twice))} more than once; give each its own name")
    return dict(items)


def parse_zones(texts: Iterable[str]) -> dict[str, np.ndarray]:
    """Several ``--zone`` values, each name once."""
    return _by_name([parse_zone(text) for text in texts if text.strip()], "--zone")


def parse_lines(texts: Iterable[str]) -> dict[str, tuple[float, float, float, float]]:
    """Several ``--line`` values, each name once."""
    return _by_name([parse_line(text) for text in texts if text.strip()], "--line")


@dataclass
class ZoneWatcher:
    zones: dict[str, np.ndarray] = field(default_factory=dict)
    lines: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    loiter_s: float = 10.0
    events: list[Event] = field(default_factory=list)
    _polygon_zones: dict[str, Any] = field(default_factory=dict)
    _line_zones: dict[str, Any] = field(default_factory=dict)
    _entered: dict[tuple[str, int], float] = field(default_factory=dict)
    _loitering: set[tuple[str, int]] = field(default_factory=set)

    def __post_init__(self) -> None:
        import supervision as sv

        for name, polygon in self.zones.items():
            self._polygon_zones[name] = sv.PolygonZone(
                polygon.astype(np.int32), triggering_anchors=[sv.Position.CENTER]
            )
        for name, (x1, y1, x2, y2) in self.lines.items():
            self._line_zones[name] = sv.LineZone(
                sv.Point(x1, y1), sv.Point(x2, y2), triggering_anchors=[sv.Position.CENTER]
            )

    def update(self, tracked: Detections, time_s: float) -> None:
        """Zone entries, loitering and line crossings of ``tracked`` boxes (with ``tracker_id``)."""
        if not len(tracked) or tracked.tracker_id is None or not (self.zones or self.lines):
            return
        track_ids = tracked.tracker_id
        detections = tracked.to_supervision()
        labels = {int(i): label for i, label in zip(track_ids, tracked.labels, strict=True)}
        for name, zone in self._polygon_zones.items():
            inside = zone.trigger(detections)
            for track_id, is_inside in zip(track_ids, inside, strict=True):
                key = (name, int(track_id))
                if is_inside and key not in self._entered:
                    self._entered[key] = time_s
                    self.events.append(
                        Event("zone_entry", time_s, time_s, track_id=key[1], label=labels[key[1]], region=name)
                    )
                elif is_inside and key not in self._loitering and time_s - self._entered[key] >= self.loiter_s:
                    self._loitering.add(key)
                    self.events.append(Event("loitering", self._entered[key], time_s, score=time_s - self._entered[key],
                                             track_id=key[1], label=labels[key[1]], region=name))  # fmt: skip
                elif not is_inside:
                    self._entered.pop(key, None)
                    self._loitering.discard(key)
        for name, line in self._line_zones.items():
            crossed_in, crossed_out = line.trigger(detections)
            for track_id, went_in, went_out in zip(track_ids, crossed_in, crossed_out, strict=True):
                if went_in or went_out:
                    direction = "in" if went_in else "out"
                    self.events.append(Event("line_crossing", time_s, time_s, track_id=int(track_id),
                                             label=labels[int(track_id)], region=name,
                                             details={"direction": direction}))  # fmt: skip

    def counts(self) -> dict[str, dict[str, int]]:
        return {name: {"in": int(line.in_count), "out": int(line.out_count)} for name, line in self._line_zones.items()}
