"""A training folder: one sub-folder per label, each holding that label's clips.

``DIR/walking/*.mp4``, ``DIR/running/*.mp4`` -> labels ``running``, ``walking`` (sorted). Files
with a video suffix (:data:`CLIP_SUFFIXES`) are clips, each probed (no decoding) so an unreadable
file or one without a video stream is refused here, by name, before any model loads. Hidden
entries (``.DS_Store``, ``.git``) and other files (notes, thumbnails) are left out and listed in
:attr:`Dataset.ignored`. Clips at different frame rates are fine (frames are sampled by
timestamp); :attr:`Dataset.frame_rates` says which were found.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from studio import media
from studio.core import InputError, MediaError, one_line

__all__ = ["CLIP_SUFFIXES", "MIN_CLIPS_PER_LABEL", "Clip", "Dataset", "scan_dataset"]

# what the writer makes, and the other containers FFmpeg reads that phones and cameras write
CLIP_SUFFIXES = (*media.VIDEO_SUFFIXES, ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".mts", ".wmv", ".flv", ".3gp")
MIN_CLIPS_PER_LABEL = 2  # cross-validation holds one out at least once per label


@dataclass(frozen=True)
class Clip:
    """One labelled clip: its file, its label (the folder's name) and what probing found."""

    path: Path
    label: str
    fps: Fraction
    duration_s: float


@dataclass(frozen=True)
class Dataset:
    """The labels (sorted), every clip, and what was left out."""

    folder: Path
    labels: tuple[str, ...]
    clips: tuple[Clip, ...]
    ignored: tuple[str, ...] = ()  # files that are not clips, relative to ``folder``

    def clips_per_label(self) -> dict[str, int]:
        return {label: sum(clip.label == label for clip in self.clips) for label in self.labels}

    @property
    def frame_rates(self) -> tuple[str, ...]:
        """The distinct declared frame rates, ``"30000/1001"`` style, slowest first."""
        return tuple(f"{r.numerator}/{r.denominator}" for r in sorted({clip.fps for clip in self.clips}))


def _visible(entries: list[Path]) -> list[Path]:
    return sorted((entry for entry in entries if not entry.name.startswith(".")), key=lambda p: p.name)


def _probe_clip(path: Path, label: str, purpose: str) -> Clip:
    """The clip, probed; any reason it cannot be read is an InputError naming the file."""
    try:
        info = media.probe(path, strict=False)
    except MediaError as exc:
        raise InputError(f"cannot {purpose} on {os.fsdecode(path)}: {one_line(exc.reason)}") from None
    if info.frame_count < 1:
        raise InputError(f"cannot {purpose} on {os.fsdecode(path)}: it holds no video frames")
    return Clip(path, label, info.fps, info.duration_s)


def scan_dataset(folder: str | os.PathLike[str], min_clips: int = MIN_CLIPS_PER_LABEL,
                 purpose: str = "train") -> Dataset:  # fmt: skip
    """The labelled clips under ``folder``, every refusal an InputError naming the folder or file:
    not a folder, fewer than two labels, a label with fewer than ``min_clips`` clips, a clip that
    cannot be read or has no video stream. ``purpose`` (``"train"``, ``"evaluate"``) is the verb
    the refusals use, so an evaluation is not told it cannot train."""
    root = Path(folder)
    shown = os.fsdecode(root)
    kind = "training folder" if purpose == "train" else "labelled folder"
    if not root.exists():
        raise InputError(f"{kind} {shown} does not exist")
    if not root.is_dir():
        raise InputError(f"expected a {kind} with one sub-folder per label, got the file {shown}")
    try:
        entries = _visible(list(root.iterdir()))
    except OSError as exc:
        raise InputError(f"{kind} {shown} cannot be read ({exc.strerror or exc})") from None
    label_folders = [entry for entry in entries if entry.is_dir()]
    ignored = [entry.name for entry in entries if not entry.is_dir()]
    if len(label_folders) < 2:
        found = ", ".join(f.name for f in label_folders) or "none"
        raise InputError(
            f"{kind} {shown} needs a sub-folder per label, at least two (e.g. {shown}/walking, "
            f"{shown}/running); found {len(label_folders)} ({found})"
        )
    for label_folder in label_folders:
        if not label_folder.name.isprintable():
            raise InputError(f"label folder {label_folder.name!r} in {shown}: a label must be printable "
                             "(no newlines or control characters)")  # fmt: skip
    clips: list[Clip] = []
    for label_folder in label_folders:
        try:
            files = _visible([entry for entry in label_folder.iterdir() if entry.is_file()])
        except OSError as exc:
            raise InputError(f"label folder {os.fsdecode(label_folder)} cannot be read ({exc.strerror})") from None
        videos = [f for f in files if f.suffix.lower() in CLIP_SUFFIXES]
        ignored += [f"{label_folder.name}/{f.name}" for f in files if f not in videos]
        if len(videos) < min_clips:
            raise InputError(
                f"label folder {os.fsdecode(label_folder)} has {len(videos)} clip{'s' * (len(videos) != 1)}; "
                f"each label needs at least {min_clips} ({', '.join(CLIP_SUFFIXES[:4])}, ...)"
            )
        clips += [_probe_clip(path, label_folder.name, purpose) for path in videos]
    labels = tuple(folder.name for folder in label_folders)
    return Dataset(root, labels, tuple(clips), tuple(ignored))
