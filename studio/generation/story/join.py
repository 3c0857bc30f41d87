"""Join a story's shots into one film with moviepy: cuts or crossfades, a title card, the
narration mixed at its times, subtitles as a text track and/or burned in.

Every boundary falls on a whole frame of the film's rate (shots, the title and the crossfade
are whole frames long), and each output frame is taken from moviepy at the middle of its slot,
so the film has exactly the frames its timings promise.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from studio import media
from studio.core import CancelFlag, Progress, Segment, Transcript, check_cancel
from studio.media import TextCue, burn_caption, title_card

__all__ = ["Joined", "Piece", "ShotReader", "join_film"]


@dataclass(frozen=True)
class Piece:
    """One shot as the film shows it: its video file, the frames seen, and its narration."""

    video: str
    frames: int  # seen in the film, at its rate; the shot's last frame is held if it has fewer
    narration: str = ""
    speech: np.ndarray | None = None  # mono float32 at the join's speech rate


@dataclass(frozen=True)
class Joined:
    starts: tuple[float, ...]  # where each shot begins in the film
    speech_spans: tuple[tuple[float, float] | None, ...]  # when each narration is spoken
    frames: int
    transcript: Transcript  # the narration at its times: the subtitles' source
    first_frame: np.ndarray  # the first frame of the first shot: the thumbnail


class ShotReader:
    """A shot's frames decoded forward as moviepy asks for them, one held at a time, so a
    film of any length joins in the memory of a few frames."""

    def __init__(self, piece: Piece) -> None:
        self.piece = piece
        self._frames: Any = None
        self._index = -1
        self._frame: np.ndarray | None = None

    def frame(self, index: int) -> np.ndarray:
        index = min(max(index, 0), self.piece.frames - 1)
        if index < self._index or self._frames is None:
            self.close()
            self._frames, self._index = media.iter_frames(self.piece.video), -1
        while self._index < index:
            decoded = next(self._frames, None)
            if decoded is None:  # the model made fewer frames than are seen: its last is held
                break
            self._frame, self._index = decoded.image, self._index + 1
        assert self._frame is not None, f"{self.piece.video} has no frames"
        return self._frame

    def close(self) -> None:
        if self._frames is not None:
            self._frames.close()  # stops the decoder thread and closes the file
            self._frames = None


def _clips(readers: Sequence[ShotReader], title: str, title_frames: int, fps: int, fade_frames: int) -> list[Any]:
    from moviepy import ImageClip, VideoClip, vfx

    def shot_clip(reader: ShotReader) -> Any:
        # moviepy asks for the middle of each frame's slot: t * fps is the frame's index + 0.5
        return VideoClip(lambda t: reader.frame(int(t * fps)), duration=reader.piece.frames / fps)

    clips = [shot_clip(reader) for reader in readers]
    if title and title_frames:
        height, width = readers[0].frame(0).shape[:2]
        clips.insert(0, ImageClip(title_card(title, width, height), duration=title_frames / fps))
    if fade_frames:
        clips = [clips[0]] + [clip.with_effects([vfx.CrossFadeIn(fade_frames / fps)]) for clip in clips[1:]]
    return clips


def _mix(pieces: Sequence[Piece], speech_starts: Sequence[float], rate: int, duration_s: float) -> np.ndarray | None:
    from moviepy import CompositeAudioClip
    from moviepy.audio.AudioClip import AudioArrayClip

    # as two equal channels: moviepy 2.2 stacks mono chunks along the wrong axis
    lines = [AudioArrayClip(np.repeat(piece.speech[:, None], 2, axis=1), fps=rate).with_start(start)
             for piece, start in zip(pieces, speech_starts, strict=True) if piece.speech is not None]  # fmt: skip
    if not lines:
        return None
    sound = CompositeAudioClip(lines).with_duration(duration_s).to_soundarray(fps=rate)
    return np.clip(np.asarray(sound, dtype=np.float32).reshape(len(sound), -1).mean(axis=1), -1.0, 1.0)


def join_film(
    pieces: Sequence[Piece],
    output: str | os.PathLike[str],
    *,
    fps: int,
    title: str = "",
    title_s: float = 0.0,
    crossfade_s: float = 0.0,
    subtitles: str = "track",
    speech_rate: int = 22050,
    narration_lead_s: float = 0.3,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> Joined:
    """Write ``pieces`` as one film at ``output``; see the module docstring."""
    from moviepy import concatenate_videoclips

    from studio.speech import build_cues

    title_frames = round(title_s * fps) if title else 0
    fade_frames = round(crossfade_s * fps)
    lengths = ([title_frames] if title_frames else []) + [piece.frames for piece in pieces]
    starts_frames = [sum(lengths[:k]) - k * fade_frames for k in range(len(lengths))]
    total = starts_frames[-1] + lengths[-1]
    starts = tuple(frame / fps for frame in starts_frames[-len(pieces) :])
    spans: list[tuple[float, float] | None] = []
    segments: list[Segment] = []
    for number, (piece, start) in enumerate(zip(pieces, starts, strict=True)):
        if piece.speech is None:
            spans.append(None)
            continue
        span = (start + narration_lead_s, start + narration_lead_s + len(piece.speech) / speech_rate)
        spans.append(span)
        segments.append(Segment(number, span[0], span[1], piece.narration.strip(), 0.0, 0.0))
    transcript = Transcript(tuple(segments), "en", 1.0, total / fps, model="espeak-ng", backend="narration")
    cues = [TextCue(cue.start_s, cue.end_s, cue.text) for cue in build_cues(transcript)]
    readers = [ShotReader(piece) for piece in pieces]
    try:
        first_frame = readers[0].frame(0).copy()
        clips = _clips(readers, title, title_frames, fps, fade_frames)
        film = concatenate_videoclips(clips, method="compose" if fade_frames else "chain", padding=-fade_frames / fps)
        audio = _mix(pieces, [span[0] if span else 0.0 for span in spans], speech_rate, total / fps)
        track = cues if subtitles in ("track", "both") else []
        with media.VideoWriter(output, fps=fps, audio=audio, audio_rate=speech_rate, subtitles=track) as writer:
            for index in range(total):
                check_cancel(cancel, "story")
                t = (index + 0.5) / fps
                frame = np.asarray(film.get_frame(t), dtype=np.uint8)
                if subtitles in ("burn", "both"):
                    shown = [cue.text for cue in cues if cue.start_s <= t < cue.end_s]
                    frame = burn_caption(frame, shown[0]) if shown else frame
                writer.write(np.ascontiguousarray(frame))
                if progress is not None and index % 8 == 0:
                    progress(index / total, f"joining: frame {index + 1} of {total}")
    finally:
        for reader in readers:
            reader.close()
    return Joined(starts, tuple(spans), total, transcript, first_frame)
