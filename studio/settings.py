"""One ``Settings`` dataclass, read from ``MEDIA_STUDIO_*`` environment variables.

| variable                    | default                    | meaning                                   |
|-----------------------------|----------------------------|-------------------------------------------|
| ``MEDIA_STUDIO_HOME``       | ``~/.cache/media-studio``  | root for models and outputs               |
| ``MEDIA_STUDIO_MODELS``     | ``$MEDIA_STUDIO_HOME/models``  | converted / downloaded weights        |
| ``MEDIA_STUDIO_OUTPUTS``    | ``$MEDIA_STUDIO_HOME/outputs`` | one folder per job                    |
| ``MEDIA_STUDIO_DEVICE``     | ``auto``                   | ``auto`` (CUDA if present), ``cpu``, ``cuda:N`` |
| ``MEDIA_STUDIO_MEMORY_MB``  | ``8192``                   | budget for models held by the cache       |
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from studio.errors import InputError

__all__ = ["Settings"]

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

    def __post_init__(self) -> None:
        if not _DEVICE.match(self.device):
            raise InputError(f"expected device auto, cpu, cuda or cuda:N, got {self.device!r}")
        if self.memory_budget_mb <= 0:
            raise InputError(f"expected a positive memory budget in MB, got {self.memory_budget_mb}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("MEDIA_STUDIO_HOME") or Path.home() / ".cache" / "media-studio").expanduser()
        budget = env.get("MEDIA_STUDIO_MEMORY_MB", "8192")
        try:
            memory_budget_mb = int(budget)
        except ValueError:
            raise InputError(f"MEDIA_STUDIO_MEMORY_MB: expected whole megabytes, got {budget!r}") from None
        return cls(
            home=home,
            models_dir=Path(env.get("MEDIA_STUDIO_MODELS") or home / "models").expanduser(),
            outputs_dir=Path(env.get("MEDIA_STUDIO_OUTPUTS") or home / "outputs").expanduser(),
            device=env.get("MEDIA_STUDIO_DEVICE", "auto").strip().lower() or "auto",
            memory_budget_mb=memory_budget_mb,
        )

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
