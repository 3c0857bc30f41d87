"""Video-level text alignment: how well X-CLIP says the prompt describes the whole video.

Where CLIPScore (:mod:`studio.evaluate.text_alignment`) scores frames one at a time, a text-video
model (X-CLIP base/32 by default, ``xclip-base-patch32``: a hub model, ``media-studio[vision-hub]``
then ``studio models install xclip-base-patch32``) reads the video as one clip. Its frames are
picked as X-CLIP was tested (microsoft/VideoX, mmaction's ``SampleFrames(clip_len=1,
num_clips=8, test_mode=True)``): the video's frames cut into as many equal parts as the model
reads, the middle frame of each. The score is 100 × max(0, cos) of X-CLIP's video embedding and
the prompt's after its video-specific prompting, the similarity X-CLIP itself ranks texts by.
The frames are taken from the pass that reads the prompt's frames: one decode for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from studio.core import InputError, JsonResult
from studio.evaluate.quality_features import check_model, chosen_model
from studio.vision import TextVideoScorer

if TYPE_CHECKING:
    from studio.media import Picture
    from studio.registry import ModelCache

__all__ = ["VIDEO_ALIGNMENT_MODEL", "ClipFrames", "VideoAlignment", "check_video_alignment", "video_alignment_model"]

VIDEO_ALIGNMENT_MODEL = "xclip-base-patch32"
TEXT_AND_CLIPS = ("video-text",)
NOT_VIDEO_TEXT = "does not score texts against whole clips"


@dataclass(frozen=True)
class VideoAlignment(JsonResult):
    """The prompt's score against the whole video, and the frames the model read."""

    model: str
    score: float | None  # None when the video had no frame
    frames: int
    frame_times_s: list[float]
    definition: str = (
        "X-CLIP's video-text similarity (Ni et al. 2022): 100 x max(0, cos) of the video embedding of its frames, "
        "the middle frame of each of as many equal parts of the video (X-CLIP's test sampling), and the prompt's "
        "embedding after X-CLIP's video-specific prompting"
    )


def video_alignment_model(cache: ModelCache, name: str | None = None,
                          device: str | None = None) -> tuple[TextVideoScorer | None, str | None]:  # fmt: skip
    """The text-video model and its name: the one named, else X-CLIP base/32 when installed, else
    none. ``"none"``: none. A model named but not installed raises
    :class:`~studio.core.ModelUnavailable` naming its install command; one that cannot score
    texts against clips is refused."""
    return chosen_model(cache, name, VIDEO_ALIGNMENT_MODEL, device, TextVideoScorer, TEXT_AND_CLIPS, NOT_VIDEO_TEXT)


def check_video_alignment(cache: ModelCache, name: str | None) -> None:
    """Refuse, without loading anything, a named model that is unknown, cannot score texts
    against clips or is not installed (``None`` and ``"none"`` are always fine)."""
    check_model(cache, name, TEXT_AND_CLIPS, NOT_VIDEO_TEXT)


def middle_indices(frame_count: int, parts: int) -> list[int]:
    """The middle frame of each of ``parts`` equal parts of ``frame_count`` frames (mmaction's
    test-mode ``SampleFrames``: ``int(interval / 2 + k × interval)``; fewer frames than parts
    repeat some)."""
    if parts < 1:
        raise InputError(f"expected at least one frame to pick, got {parts}")
    interval = max(frame_count, 1) / parts
    return [min(max(frame_count - 1, 0), int(interval / 2 + k * interval)) for k in range(parts)]


class ClipFrames:
    """The clip's frames picked from a decode pass: every decoded picture is offered, the
    chosen ones are converted to RGB as they pass."""

    def __init__(self, scorer: TextVideoScorer, model: str, prompt: str, frame_count: int) -> None:
        if not prompt.strip():
            raise InputError("expected a prompt to score the video against")
        self.scorer, self.model, self.prompt = scorer, model, prompt.strip()
        self.wanted = middle_indices(frame_count, scorer.clip_frames)
        self.kept: dict[int, tuple[float, np.ndarray]] = {}

    def offer(self, picture: Picture) -> None:
        if picture.index in self.wanted and picture.index not in self.kept:
            image = picture.rgb()
            if self.kept:  # a stream that changes size midway: every frame at the first one's size
                import cv2

                first = next(iter(self.kept.values()))[1]
                if image.shape != first.shape:
                    image = cv2.resize(image, first.shape[1::-1], interpolation=cv2.INTER_AREA)
            self.kept[picture.index] = (picture.time_s, image)

    def result(self) -> VideoAlignment:
        """The score on the frames kept; a wanted frame that never decoded (a file shorter than
        its packets) is stood in for by the nearest kept one before it, else after it."""
        if not self.kept:
            return VideoAlignment(model=self.model, score=None, frames=0, frame_times_s=[])
        have = sorted(self.kept)
        chosen = [self.kept[max((i for i in have if i <= w), default=have[0])] for w in self.wanted]
        clip = np.stack([image for _, image in chosen])
        [[cosine]] = self.scorer.text_similarity([clip], [self.prompt])
        return VideoAlignment(model=self.model, score=round(100 * max(0.0, float(cosine)), 4), frames=len(chosen),
                              frame_times_s=[round(time_s, 3) for time_s, _ in chosen])  # fmt: skip
