"""Build a realistic demo video locally, with its ground truth.

Four shots cut between still photographs that ship inside scikit-image (an astronaut, a
cup of coffee, a cat, a motorcycle), each with a slow pan or zoom so things move, a
caption burned into the coffee shot, and one narrated sentence per shot spoken by
Debian's ``espeak-ng`` and muxed as the audio track. The ground truth JSON records the
cut times, what each shot shows, the spoken sentences with their times, and the caption.
Nothing is downloaded; no third-party video is involved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from studio.core import InputError, StudioError, fraction_to_str, write_json
from studio.media import VideoWriter, as_fps
from studio.speech import speak

__all__ = ["DEMO_SHOTS", "DemoMedia", "DemoShot", "make_demo_media"]

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 (xyxy) in source-image pixels


@dataclass(frozen=True)
class DemoShot:
    image: str  # a scikit-image sample name
    objects: tuple[str, ...]  # COCO labels visible in the shot
    narration: str
    motion: str
    crop_start: Box
    crop_end: Box
    caption: str | None = None


DEMO_SHOTS = (
    DemoShot("astronaut", ("person",), "An astronaut poses in front of the flag.", "zoom-in",
             (0, 0, 512, 288), (128, 40, 416, 202)),
    DemoShot("coffee", ("cup",), "A cup of coffee sits on the table.", "pan-right",
             (0, 40, 480, 310), (120, 40, 600, 310), caption="COFFEE BREAK"),
    DemoShot("chelsea", ("cat",), "Here is a cat looking at the camera.", "zoom-out",
             (120, 40, 360, 175), (0, 20, 451, 274)),
    DemoShot("motorcycle", ("motorcycle",), "A red motorcycle is parked in a garage.", "pan-left",
             (260, 60, 740, 330), (0, 100, 480, 370)),
)  # fmt: skip


@dataclass(frozen=True)
class DemoMedia:
    video: Path
    truth_path: Path
    truth: dict[str, Any]


def _sample_image(name: str) -> np.ndarray:
    import skimage.data

    image = skimage.data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(skimage.data, name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3])


def _ease(t: float) -> float:
    return t * t * (3 - 2 * t)  # smoothstep: pans start and stop gently


def _render(image: Any, box: Box, size: tuple[int, int]) -> Any:
    from PIL import Image

    return image.resize(size, Image.Resampling.BILINEAR, box=box)


def _burn_caption(frame: Any, text: str) -> list[int]:
    from PIL import ImageDraw, ImageFont

    draw = ImageDraw.Draw(frame)
    font = ImageFont.load_default(size=max(16, frame.height // 10))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    width, height = right - left, bottom - top
    x, y = (frame.width - width) // 2, frame.height - height - frame.height // 12
    pad = 8
    box = [x - pad, y - pad, x + width + pad, y + height + pad]
    draw.rectangle(box, fill=(20, 20, 20))
    draw.text((x - left, y - top), text, font=font, fill=(255, 255, 255))
    return box


def _speech_bounds(samples: np.ndarray, rate: int) -> tuple[float, float]:
    """First and last instants (s) where the speech is audible (espeak pads with silence)."""
    loud = np.flatnonzero(np.abs(samples) > 0.02)
    if loud.size == 0:
        return 0.0, 0.0
    return float(loud[0] / rate), float((loud[-1] + 1) / rate)


def make_demo_media(
    out_dir: str | Path,
    *,
    size: tuple[int, int] = (640, 360),
    fps: Fraction | int | float | str = Fraction(30000, 1001),
    shot_s: float = 4.0,
    shots: tuple[DemoShot, ...] = DEMO_SHOTS,
    narration: bool = True,
    progress: Callable[[float, str], None] | None = None,
) -> DemoMedia:
    """Write ``demo.mp4`` and ``demo.json`` (ground truth) into ``out_dir``, made if missing
    (and removed again if the build fails)."""
    rate = as_fps(fps)
    if not 0 < shot_s <= 3600 or not shots:
        raise InputError(f"expected 0 < shot_s <= 3600 and at least one shot, got {shot_s} and {len(shots)} shots")
    out = Path(out_dir)
    made = [folder for folder in (out, *out.parents) if not folder.exists()]  # deepest first
    out.mkdir(parents=True, exist_ok=True)
    try:
        return _build(out, size, rate, shot_s, shots, narration, progress)
    except BaseException:
        for folder in made:  # a failed build leaves no folder it made for itself
            try:
                folder.rmdir()
            except OSError:
                break  # not empty: something else is in it
        raise


def _build(
    out: Path,
    size: tuple[int, int],
    rate: Fraction,
    shot_s: float,
    shots: tuple[DemoShot, ...],
    narration: bool,
    progress: Callable[[float, str], None] | None,
) -> DemoMedia:
    from PIL import Image

    frames_per_shot = max(1, round(shot_s * rate))
    total_frames = frames_per_shot * len(shots)
    audio_rate = 22050
    audio = np.zeros(round(total_frames / rate * audio_rate), dtype=np.float32)  # ends with the last frame
    truth_shots: list[dict[str, Any]] = []
    spoken: list[dict[str, Any]] = []
    captions: list[dict[str, Any]] = []
    for number, shot in enumerate(shots):
        start_frame = number * frames_per_shot
        start_s = float(start_frame / rate)
        end_s = float((start_frame + frames_per_shot) / rate)
        truth_shots.append({
            "index": number, "image": shot.image, "objects": list(shot.objects), "motion": shot.motion,
            "start_frame": start_frame, "end_frame": start_frame + frames_per_shot,
            "start_s": start_s, "end_s": end_s,
            "crop_start": list(shot.crop_start), "crop_end": list(shot.crop_end),
        })  # fmt: skip
        if narration:
            samples, speech_rate = speak(shot.narration)
            if speech_rate != audio_rate:
                raise StudioError(f"espeak-ng spoke at {speech_rate} Hz, expected {audio_rate} Hz")
            offset = round((start_s + 0.3) * audio_rate)
            samples = samples[: max(0, min(samples.size, audio.size - offset))]
            audio[offset : offset + samples.size] += samples
            first, last = _speech_bounds(samples, audio_rate)
            spoken.append({"shot": number, "text": shot.narration,
                           "start_s": offset / audio_rate + first, "end_s": offset / audio_rate + last})  # fmt: skip
        if shot.caption:
            captions.append({"shot": number, "text": shot.caption, "start_s": start_s + 0.5, "end_s": end_s})
    video_path = out / "demo.mp4"
    with VideoWriter(video_path, fps=rate, audio=audio if narration else None, audio_rate=audio_rate) as writer:
        for number, shot in enumerate(shots):
            image = Image.fromarray(_sample_image(shot.image))
            caption = next((c for c in captions if c["shot"] == number), None)
            for i in range(frames_per_shot):
                t = _ease(i / max(1, frames_per_shot - 1))
                box = tuple(a + (b - a) * t for a, b in zip(shot.crop_start, shot.crop_end, strict=True))
                frame = _render(image, box, size)  # type: ignore[arg-type]
                if caption is not None and i / rate >= 0.5:
                    caption["box_xyxy"] = _burn_caption(frame, caption["text"])
                writer.write(np.asarray(frame))
            if progress:
                progress((number + 1) / len(shots), f"rendered shot {number + 1}/{len(shots)}")
    truth = {
        "video": video_path.name,
        "fps": fraction_to_str(rate),
        "size": list(size),
        "frame_count": total_frames,
        "duration_s": float(total_frames / rate),
        "cuts_s": [shot["start_s"] for shot in truth_shots[1:]],
        "shots": truth_shots,
        "narration": spoken,
        "captions": captions,
        "audio_sample_rate": audio_rate if narration else None,
    }
    truth_path = out / "demo.json"
    write_json(truth_path, truth)
    return DemoMedia(video=video_path, truth_path=truth_path, truth=truth)
