"""What a model is, before anything loads: :class:`ModelSpec` (task, adapter, weights source,
licence, what it can do), :class:`LoadOptions` (dtype, CPU offload) and the
:class:`ModelAdapter` protocol every adapter class satisfies. :mod:`studio.registry` holds the
specs and loads them."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from studio.core import InputError, ModelUnavailable, Settings
from studio.registry.weights import FoundWeights, find_weights, split_source

__all__ = ["CAPABILITIES", "DTYPES", "MODEL_TASKS", "OFFLOADS", "LoadOptions", "ModelAdapter", "ModelSpec"]

MODEL_TASKS = ("asr", "detect", "pose", "action", "classify", "caption", "shots", "ocr", "embed", "text-to-video")
CAPABILITIES = (
    "translate",  # asr: speech in any language it knows to English text
    "open-vocabulary",  # detect: finds what a text query describes, not a fixed label set
    "image-to-video",  # text-to-video: a start image (the first frame) conditions the video
    "zero-shot",  # action, classify: takes the user's labels as text
    "pose",  # action: labels people from their keypoints (a PoseActionModel), not from pixels
    "embed",  # classify: also gives feature vectors (an ImageEmbedder)
    "video",  # caption: describes a whole clip (a VideoDescriber), not one picture
    "video-text",  # action: scores texts against whole clips (a TextVideoScorer)
    "trained",  # action, classify: a classifier the user trained with `studio train`
)
DTYPES = ("float32", "float16", "bfloat16", "int8")
OFFLOADS = ("none", "model", "sequential")


@dataclass(frozen=True)
class LoadOptions:
    """How to load a model, beyond its device: part of the cache key, so one model loaded two
    ways is two entries. ``None`` leaves the choice to the adapter (its best default); an
    adapter refuses (:meth:`require`) what it cannot honour."""

    dtype: str | None = None  # e.g. float16 on CUDA, int8 for CPU Whisper
    offload: str = "none"  # diffusers pipelines: "model" or "sequential" CPU offload
    # an attention backend by name (diffusers: "native", "flash", "_native_cudnn", "sage"...);
    # None: the library's default. The adapter checks the name (the names are the library's)
    attention: str | None = None
    compile: bool = False  # torch.compile the denoiser: a slow first call, faster steps after

    def __post_init__(self) -> None:
        if self.dtype is not None and self.dtype not in DTYPES:
            raise InputError(f"expected dtype one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if self.offload not in OFFLOADS:
            raise InputError(f"expected offload one of {', '.join(OFFLOADS)}, got {self.offload!r}")
        if self.attention is not None and not self.attention.strip():
            raise InputError("expected an attention backend name, got an empty one")

    def require(
        self,
        model: str,
        dtypes: tuple[str, ...] = ("float32",),
        offload: bool = False,
        attention: bool = False,
        compile: bool = False,
    ) -> None:
        """Refuse options the adapter of ``model`` cannot honour, rather than ignore them."""
        if self.dtype is not None and self.dtype not in dtypes:
            raise InputError(f"{model} loads as {' or '.join(dtypes)}, not {self.dtype}")
        if self.offload != "none" and not offload:
            raise InputError(f"{model} has no CPU offload; load it with offload none")
        if self.attention is not None and not attention:
            raise InputError(f"{model} has no choice of attention backend; load it without one")
        if self.compile and not compile:
            raise InputError(f"{model} cannot be compiled with torch.compile; load it without compile")


class ModelAdapter(Protocol):
    """What every adapter class provides (per-task methods come from the task's contract:
    ``studio.speech.asr.ASRModel``, ``studio.vision.DetectorModel``, ``studio.vision.PoseModel``)."""

    memory_mb: int  # what the loaded model holds, for the cache's budget

    @classmethod
    def load(cls, spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> ModelAdapter: ...


@dataclass(frozen=True)
class ModelSpec:
    """Everything the service knows about one model before loading it.

    ``adapter`` is ``"module:Class"``; ``source`` is ``kind:location`` (see
    :mod:`studio.registry.weights`); ``requires`` are import names the adapter needs, checked
    without importing them; ``priority`` orders candidates when choosing a task default.
    """

    name: str
    task: str
    adapter: str
    source: str
    license: str
    extra: str
    memory_mb: int
    offline: bool
    revision: str | None = None
    size_mb: float | None = None
    requires: tuple[str, ...] = ()
    installer: str | None = None
    priority: int = 0
    description: str = ""
    capabilities: tuple[str, ...] = ()  # from CAPABILITIES
    languages: tuple[str, ...] = ()  # the only languages it knows (("en",) for English-only); () = many
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        if self.task not in MODEL_TASKS:
            raise InputError(f"model {self.name!r}: expected task in {MODEL_TASKS}, got {self.task!r}")
        unknown = [c for c in self.capabilities if c not in CAPABILITIES]
        if unknown:
            raise InputError(f"model {self.name!r}: unknown capability {unknown[0]!r}; expected some of {CAPABILITIES}")
        if ":" not in self.adapter:
            raise InputError(f"model {self.name!r}: expected adapter 'module:Class', got {self.adapter!r}")
        split_source(self.source)

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def non_commercial(self) -> bool:
        """Whether the licence forbids commercial use (CC BY-NC and the like)."""
        text = self.license.lower().replace("_", "-").replace(" ", "-")
        return "-nc" in text or "non-commercial" in text or "noncommercial" in text

    def knows_language(self, language: str) -> bool:
        return not self.languages or language in self.languages

    @property
    def install_command(self) -> str:
        """The one command that makes this model loadable."""
        if split_source(self.source)[0] == "path":
            return f"put the weights at {split_source(self.source)[1]}"
        return f"studio models install {self.name}"

    @property
    def extra_command(self) -> str:
        return f"pip install 'media-studio[{self.extra}]'"

    def missing_requirements(self) -> list[str]:
        return [name for name in self.requires if importlib.util.find_spec(name) is None]

    def find_weights(self, settings: Settings) -> FoundWeights:
        """Where the weights are, and what is wrong when they are there but broken."""
        return find_weights(self.source, settings, self.revision)

    def weights_path(self, settings: Settings) -> Path | None:
        return self.find_weights(settings).path

    def weights_problem(self, settings: Settings) -> str:
        """What is wrong with weights that are there but cannot be used; ``""`` otherwise."""
        return self.find_weights(settings).problem

    def is_installed(self, settings: Settings) -> bool:
        return not self.missing_requirements() and self.weights_path(settings) is not None

    def require_installed(self, settings: Settings) -> None:
        """Nothing if the model can load here, else :class:`~studio.core.ModelUnavailable` with
        the one-line reason and the command that fixes it (pip for a package, install for weights)."""
        if self.is_installed(settings):
            return
        missing = self.missing_requirements()
        reason = self.weights_problem(settings) or (f"needs {', '.join(missing)}" if missing else
                                                    "its weights are not installed")  # fmt: skip
        raise ModelUnavailable(self.name, reason, self.extra_command if missing else self.install_command)
