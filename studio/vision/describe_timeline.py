"""Grounded shot descriptions: built only from what the studio's own models found in each shot.

"two people walking, a cup; ImageNet: espresso (0.96); speech: 'A cup of coffee sits on the table.'"
— :func:`~studio.vision.describe.grounded_description` of the shot's own tracks, actions, the top
tags of its first scene model, and the words spoken during it. It is a description in ``Shot.description``,
never passed off as a neural caption (``Shot.caption`` is a captioner's alone).
:func:`attach_transcript` adds a transcript to a timeline and describes its shots again.
"""

from __future__ import annotations

from dataclasses import replace

from studio.core import Label, Shot, Timeline, Transcript
from studio.vision.describe import grounded_description

__all__ = ["attach_transcript", "describe_shots"]


def _describe(shot: Shot, timeline: Timeline) -> str:
    """The shot's own tracks (their points inside it), actions, first tags and words."""
    tracks = []
    for track in timeline.tracks:
        inside = tuple(p for p in track.points if shot.start_s <= p.time_s < shot.end_s)
        if inside:
            tracks.append(replace(track, points=inside))
    actions = [a for a in timeline.actions if min(a.end_s, shot.end_s) > max(a.start_s, shot.start_s)]
    source, tags = "", tuple[Label, ...]()
    if shot.tags:
        source, tags = next(iter(shot.tags.items()))
        source = "ImageNet" if "efficientnet" in source else source
    words = []
    if timeline.transcript is not None:
        words = [w for w in timeline.transcript.words if w.start_s < shot.end_s and w.end_s > shot.start_s]
    return grounded_description(tracks, actions, tags, (), words, tag_source=source)


def describe_shots(timeline: Timeline) -> Timeline:
    """The timeline with each shot's grounded description (re)built from the rest of it."""
    if not timeline.shots:
        return timeline
    return replace(
        timeline, shots=tuple(replace(shot, description=_describe(shot, timeline)) for shot in timeline.shots)
    )


def attach_transcript(timeline: Timeline, transcript: Transcript) -> Timeline:
    """The timeline with ``transcript`` in it and its shots described again (speech included)."""
    return describe_shots(replace(timeline, transcript=transcript))
