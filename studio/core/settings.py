"""One ``Settings`` dataclass, read from ``MEDIA_STUDIO_*`` environment variables.

| variable                    | default                    | meaning                                   |
|-----------------------------|----------------------------|-------------------------------------------|
| ``MEDIA_STUDIO_HOME``       | ``~/.cache/media-studio``  | root for models and outputs               |
| ``MEDIA_STUDIO_MODELS``     | ``$MEDIA_STUDIO_HOME/models``  | converted / downloaded weights        |
| ``MEDIA_STUDIO_OUTPUTS``    | ``$MEDIA_STUDIO_HOME/outputs`` | one folder per job                    |
| ``MEDIA_STUDIO_DATASETS``   | ``$MEDIA_STUDIO_HOME/datasets`` | the only folders a served training reads |
| ``MEDIA_STUDIO_DEVICE``     | ``auto``                   | ``auto`` (CUDA if present), ``cpu``, ``cuda:N`` |
| ``MEDIA_STUDIO_MEMORY_MB``  | ``8192``                   | budget for models held by the cache       |
| ``MEDIA_STUDIO_MAX_PIXELS`` | ``67108864`` (8192×8192)   | largest frame a file may declare          |
| ``MEDIA_STUDIO_MAX_DURATION_S`` | ``86400`` (24 h)       | longest media a file may declare          |
| ``MEDIA_STUDIO_MAX_FILE_MB`` | ``65536`` (64 GiB)        | largest input file                        |
| ``MEDIA_STUDIO_JOB_RETENTION_DAYS`` | ``7``              | finished jobs and their files kept this long |
| ``MEDIA_STUDIO_GENERATE_MEMORY_MB`` | (measured)         | memory a generation may use (MB), not measured |

The three limits are checked from a file's header before anything is decoded, so a
16000×16000 picture posing as a video is refused before it allocates gigabytes.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from studio.core.errors import InputError

__all__ = ["Settings"]

_D = TypeVar("_D", int, None)  # a default: a number, or None for "not set"
_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


@dataclass(frozen=True)
class Settings:
    home: Path
    models_dir: Path
    outputs_dir: Path
    device: str = "auto"
    # 8 GiB holds the offline defaults (Whisper base + detector + pose) several times over,
    # and leaves most of a 24 GiB machine or a 16 GiB GPU to the data being processed.
    memory_budget_mb: int = 8192
    # 8192×8192 holds 8K UHD, DCI 8K and 8K 360° video; a frame of it is 200 MB as RGB
    max_pixels: int = 8192 * 8192
    max_duration_s: float = 24 * 3600.0  # a day of recording; longer files are split first
    max_file_mb: int = 64 * 1024  # hours of 4K; uploads to a service get their own, smaller cap
    job_retention_days: float = 7.0  # a finished job's row and folder are deleted after this
    # None: a generation's pre-flight check measures the device's free memory; a number (MB)
    # replaces it, for a share of a GPU or a test (studio.generation.memory)
    generate_memory_mb: int | None = None
    # the folders of labelled clips a served training may read (the CLI and Python read any);
    # None: ``home / "datasets"``
    datasets_dir: Path | None = None

    @property
    def datasets(self) -> Path:
        return self.datasets_dir if self.datasets_dir is not None else self.home / "datasets"

    def __post_init__(self) -> None:
        if not _DEVICE.match(self.device):
            raise InputError(f"expected device auto, cpu, cuda or cuda:N, got {self.device!r}")
        if self.memory_budget_mb <= 0:
            raise InputError(f"expected a positive memory budget in MB, got {self.memory_budget_mb}")
        if self.generate_memory_mb is not None and self.generate_memory_mb <= 0:
            raise InputError(f"expected a positive generation memory in MB, got {self.generate_memory_mb}")
        if not 0 < self.max_pixels <= 2**31 - 1:  # FFmpeg's own ceiling for its max_pixels option
            raise InputError(f"expected 0 < max pixels <= 2147483647, got {self.max_pixels}")
        if not 0 < self.job_retention_days < math.inf:
            raise InputError(f"expected a positive number of days to keep jobs, got {self.job_retention_days}")
        if self.max_pixels <= 0 or not self.max_duration_s > 0 or self.max_file_mb <= 0:
            raise InputError(
                "expected positive media limits, got "
                f"max_pixels={self.max_pixels}, max_duration_s={self.max_duration_s}, max_file_mb={self.max_file_mb}"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("MEDIA_STUDIO_HOME") or Path.home() / ".cache" / "media-studio").expanduser()
        return cls(
            home=home,
            models_dir=Path(env.get("MEDIA_STUDIO_MODELS") or home / "models").expanduser(),
            outputs_dir=Path(env.get("MEDIA_STUDIO_OUTPUTS") or home / "outputs").expanduser(),
            device=env.get("MEDIA_STUDIO_DEVICE", "auto").strip().lower() or "auto",
            memory_budget_mb=_whole(env, "MEDIA_STUDIO_MEMORY_MB", cls.memory_budget_mb, "whole megabytes"),
            max_pixels=_whole(env, "MEDIA_STUDIO_MAX_PIXELS", cls.max_pixels, "a whole number of pixels"),
            max_duration_s=_finite(env, "MEDIA_STUDIO_MAX_DURATION_S", cls.max_duration_s),
            max_file_mb=_whole(env, "MEDIA_STUDIO_MAX_FILE_MB", cls.max_file_mb, "whole megabytes"),
            job_retention_days=_finite(env, "MEDIA_STUDIO_JOB_RETENTION_DAYS", cls.job_retention_days),
            generate_memory_mb=_whole(env, "MEDIA_STUDIO_GENERATE_MEMORY_MB", None, "whole megabytes"),
            datasets_dir=Path(env["MEDIA_STUDIO_DATASETS"]).expanduser() if env.get("MEDIA_STUDIO_DATASETS") else None,
        )

    @property
    def job_retention_s(self) -> float:
        return self.job_retention_days * 24 * 3600.0

    def resolve_device(self) -> str:
        """``auto`` becomes ``cuda`` when torch sees a GPU, else ``cpu``. Without an NVIDIA
        driver on the machine torch is not even imported (it takes seconds)."""
        if self.device != "auto":
            return self.device
        if "torch" not in sys.modules and not Path("/proc/driver/nvidia/version").exists():
            return "cpu"
        try:
            import torch
        except ImportError:
            return "cpu"
        return "cuda" if torch.cuda.is_available() else "cpu"


def _whole(env: Mapping[str, str], name: str, default: _D, what: str) -> int | _D:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{name}: expected {what}, got {text!r}") from None


def _finite(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(f"{name}: expected a number, got {text!r}")
    return value
